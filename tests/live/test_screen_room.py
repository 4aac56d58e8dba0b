"""The projector's socket carries the room's count of phones and the countdown switch."""

import re

import pytest
from channels.db import database_sync_to_async

from tests.live.conftest import phone, screen
from workshop.actions.console import console_action
from workshop.services import stage_next

pytestmark = pytest.mark.django_db(transaction=True)


def _phones(frame: str) -> str:
    return re.search(r'<p class="join__phones" id="screen-phones"[^>]*>(.*?)</p>', frame).group(1)


async def test_the_projector_counts_the_phones_joined_as_they_come_and_go(live_workshop):
    projector = await screen(live_workshop)
    assert _phones(await projector.receive_until("screen-phones")) == "0 phones joined"

    first = await phone(live_workshop)
    assert _phones(await projector.receive_until("screen-phones")) == "1 phone joined"
    second = await phone(live_workshop)
    assert _phones(await projector.receive_until("screen-phones")) == "2 phones joined"

    await first.close()
    assert _phones(await projector.receive_until("screen-phones")) == "1 phone joined"
    await second.close()
    await projector.close()


async def test_a_reconnecting_projector_gets_the_countdown_switch_and_the_phones(live_workshop):
    on_phone = await phone(live_workshop)
    await database_sync_to_async(stage_next)(workshop=live_workshop)
    await database_sync_to_async(console_action)(
        workshop=live_workshop, data={"action": "screen_countdown_on"}
    )
    projector = await screen(live_workshop)
    frame = await projector.receive()
    assert 'id="screen-countdown"' in frame and "left</p>" in frame
    assert _phones(frame) == "1 phone joined"
    await projector.close()
    await on_phone.close()


async def test_the_countdown_switch_is_pushed_to_the_projector(live_workshop):
    await database_sync_to_async(stage_next)(workshop=live_workshop)
    projector = await screen(live_workshop)
    await projector.drain()
    await database_sync_to_async(console_action)(
        workshop=live_workshop, data={"action": "screen_countdown_on"}
    )
    assert 'id="screen-countdown"' in await projector.receive_until("screen-main")
    await database_sync_to_async(console_action)(
        workshop=live_workshop, data={"action": "screen_countdown_off"}
    )
    assert 'id="screen-countdown"' not in await projector.receive_until("screen-main")
    await projector.close()

"""A change made from async code before any socket has connected (a management command's
loop, an async view, a test) is pushed and returns: with no serving loop the coalescer
flushes at once, on the caller's own ORM thread (workshop/live/coalesce.py)."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from panel.services import question_submit
from tests.factories import make_attendee
from voting.services import ballot_cast, poll_open
from workshop.live.groups import Surface, group_name

pytestmark = pytest.mark.django_db(transaction=True)


async def _listen(workshop, surface: Surface) -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group_name(workshop_id=workshop.pk, surface=surface), channel)
    return channel


async def test_a_question_sent_from_async_code_with_no_socket_open_is_pushed_and_returns(
    live_workshop,
):
    attendee = await database_sync_to_async(make_attendee)(workshop=live_workshop)
    channel = await _listen(live_workshop, Surface.CONSOLE)

    # A deadlock here (the push waiting for the ORM thread that waits for the push) would
    # hang: the timeout turns it into a failure.
    question = await asyncio.wait_for(
        database_sync_to_async(question_submit)(
            workshop=live_workshop, attendee_id=attendee.pk, text="Who pays for this?"
        ),
        timeout=10,
    )

    message = await asyncio.wait_for(get_channel_layer().receive(channel), timeout=5)
    assert message["type"] == "panel.lists_changed"
    assert "Who pays for this?" in message["html"]
    assert question.pk


async def test_a_ballot_cast_from_async_code_with_no_socket_open_is_pushed_and_returns(
    live_workshop,
):
    poll = await database_sync_to_async(poll_open)(workshop=live_workshop, show_bars=True)
    attendee = await database_sync_to_async(make_attendee)(workshop=live_workshop)
    theme_id = await database_sync_to_async(lambda: poll.options.first().pk)()
    channel = await _listen(live_workshop, Surface.SCREEN)

    await asyncio.wait_for(
        database_sync_to_async(ballot_cast)(
            poll_id=poll.pk, attendee_id=attendee.pk, theme_id=theme_id
        ),
        timeout=10,
    )

    message = await asyncio.wait_for(get_channel_layer().receive(channel), timeout=5)
    assert message["type"] == "voting.tally_changed"
    assert message["total"] == 1

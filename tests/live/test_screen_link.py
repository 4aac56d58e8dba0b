"""A new projector link ends the old one at once, on sockets too."""

import pytest
from channels.db import database_sync_to_async

from tests.live.conftest import Socket, console, screen
from workshop.live import sockets
from workshop.models import LiveState
from workshop.render import screen_link_replaced_html

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]


async def _secret(workshop) -> str:
    return await database_sync_to_async(
        lambda: LiveState.objects.get(workshop=workshop).screen_secret
    )()


async def test_a_new_link_closes_the_open_projector_and_the_console_shows_it(live_workshop):
    old = await _secret(live_workshop)
    projector = await screen(live_workshop)
    desk = await console(live_workshop)
    assert await desk.connect()
    await projector.drain(), await desk.drain()

    await desk.send({"action": "screen_secret_renew", "confirm": "on"})

    assert await projector.receive_until("replaced") == screen_link_replaced_html()
    close = await projector.comm.receive_output(timeout=3)
    assert close == {"type": "websocket.close", "code": sockets.SCREEN_LINK_REPLACED}
    new = await _secret(live_workshop)
    frames = await desk.receive_all('id="console-projector"', "The projector has a new link")
    assert f'href="/s/{live_workshop.join_code}/screen/{new}/"' in frames
    assert old not in frames
    await desk.close()


async def test_after_a_new_link_the_old_socket_is_refused_and_the_new_one_opens(live_workshop):
    old = await _secret(live_workshop)
    desk = await console(live_workshop)
    assert await desk.connect()
    await desk.drain()

    await desk.send({"action": "screen_secret_renew", "confirm": "on"})
    await desk.receive_until("The projector has a new link")

    stale = Socket(f"/ws/s/{live_workshop.join_code}/screen/{old}/")
    assert await stale.connect() is False
    fresh = Socket(f"/ws/s/{live_workshop.join_code}/screen/{await _secret(live_workshop)}/")
    assert await fresh.connect() is True
    assert 'id="screen-main"' in await fresh.receive()
    await fresh.close(), await desk.close()


async def test_a_new_link_over_the_socket_needs_the_box_ticked(live_workshop):
    old = await _secret(live_workshop)
    projector = await screen(live_workshop)
    desk = await console(live_workshop)
    assert await desk.connect()
    await projector.drain(), await desk.drain()

    await desk.send({"action": "screen_secret_renew"})

    assert "Tick the box to confirm" in await desk.receive()
    assert await _secret(live_workshop) == old
    assert await projector.nothing()
    await projector.close(), await desk.close()

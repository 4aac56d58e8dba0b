"""Consumers through the real ASGI router (workshop.asgi.application), as a browser reaches them."""

import asyncio
import json
import logging
import time

import pytest
from autobahn.exception import Disconnected
from channels import DEFAULT_CHANNEL_LAYER
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.factories import make_attendee
from tests.live.conftest import HOST, ORIGIN, Socket, console, phone, poll_theme_ids, screen
from tests.processes import free_port
from voting.models import Ballot, Poll, PollEvent
from voting.services import poll_close, poll_open
from workshop.asgi import application
from workshop.attendees import attendee_cookie_value, cookie_name
from workshop.live import presence, sockets
from workshop.live.broadcast import workshop_state_changed
from workshop.live.groups import Surface, group_name
from workshop.services import stage_next

pytestmark = pytest.mark.django_db(transaction=True)


async def _open_vote(workshop, **kwargs) -> Poll:
    return await database_sync_to_async(poll_open)(workshop=workshop, **kwargs)


# --- connecting -------------------------------------------------------------------------------


async def test_phone_gets_the_current_state_as_soon_as_it_connects(live_workshop):
    await _open_vote(live_workshop)
    sock = await phone(live_workshop)

    frame = await sock.receive()

    assert 'id="phone-live"' in frame and "Which theme should the panel discuss?" in frame
    assert frame.count('name="theme"') == 3
    assert 'id="phone-banner"' in frame
    await sock.close()


async def test_phone_that_voted_reconnects_to_its_receipt(live_workshop):
    poll = await _open_vote(live_workshop)
    first = await phone(live_workshop)
    _, themes = poll_theme_ids(await first.receive())
    await first.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[1])})
    await first.receive_until("Your vote")
    await first.close()

    again = await phone(live_workshop, attendee=first.attendee)
    frame = await again.receive()

    assert "✓ Your vote: <strong>Theme 2</strong>" in frame
    assert 'aria-pressed="true"' in frame
    await again.close()


async def test_unknown_workshop_code_is_refused(live_workshop):
    sock = Socket("/ws/j/ZZZZZ/")
    assert await sock.connect() is False


async def test_screen_needs_the_secret(live_workshop):
    sock = Socket(f"/ws/s/{live_workshop.join_code}/screen/wrong-secret/")
    assert await sock.connect() is False


async def test_console_needs_a_facilitator(live_workshop):
    anonymous = Socket(f"/ws/s/{live_workshop.join_code}/console/")
    assert await anonymous.connect() is False
    staffless = await console(live_workshop, facilitator=False, username="someone")
    assert await staffless.connect() is False
    facilitator = await console(live_workshop)
    assert await facilitator.connect() is True
    frame = await facilitator.receive()
    assert 'id="console-stage"' in frame and 'id="turnout"' in frame
    await facilitator.close()


# --- the vote, live -------------------------------------------------------------------------


async def test_console_opens_vote_and_every_surface_follows(live_workshop):
    desk = await console(live_workshop)
    assert await desk.connect()
    proj = await screen(live_workshop)
    p1 = await phone(live_workshop)
    await desk.drain(), await proj.drain(), await p1.drain()

    await desk.send(
        {"action": "poll_open", "tie_rule": "casting", "show_bars": "on", "HEADERS": {}}
    )

    phone_frame = await p1.receive_until('id="phone-live"')
    assert phone_frame.count("ws-send") == 3
    screen_frame = await proj.receive_until('id="screen-main"')
    assert 'data-mode="vote"' in screen_frame
    console_frames = await desk.receive_all('id="console-vote"', 'id="console-flash"')
    assert "Close the vote" in console_frames
    assert "The vote is open." in console_frames
    for sock in (desk, proj, p1):
        await sock.close()


async def test_a_vote_opened_on_the_console_socket_names_its_facilitator_in_the_trail(
    live_workshop,
):
    desk = await console(live_workshop, username="chair")
    assert await desk.connect()
    await desk.drain()

    await desk.send({"action": "poll_open", "tie_rule": "casting", "HEADERS": {}})
    await desk.receive_until('id="console-flash"')

    trail = await database_sync_to_async(
        lambda: list(PollEvent.objects.values_list("what", "actor"))
    )()
    assert trail == [("opened", "chair")]
    await desk.close()


async def test_a_vote_closed_on_the_console_keeps_the_phones_connected_at_the_close(
    live_workshop,
):
    await _open_vote(live_workshop)
    desk = await console(live_workshop)
    assert await desk.connect()
    phones = [await phone(live_workshop) for _ in range(2)]
    for p in phones:
        await p.receive()
    await desk.drain()

    await desk.send({"action": "poll_close", "HEADERS": {}})
    await desk.receive_until('id="console-flash"')

    closed = await database_sync_to_async(
        lambda: list(Poll.objects.values_list("state", "phones_at_close"))
    )()
    assert closed == [("closed", 2)]
    for client in (desk, *phones):
        await client.close()


async def test_phone_vote_is_acknowledged_after_commit_and_reaches_projector_and_console(
    live_workshop,
):
    poll = await _open_vote(live_workshop, show_bars=True)
    desk = await console(live_workshop)
    assert await desk.connect()
    proj = await screen(live_workshop)
    p1 = await phone(live_workshop)
    _, themes = poll_theme_ids(await p1.receive())
    await desk.drain(), await proj.drain()

    await p1.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[0]), "HEADERS": {}})
    receipt = await p1.receive()

    assert "✓ Your vote: <strong>Theme 1</strong>" in receipt
    assert await database_sync_to_async(Ballot.objects.filter(poll=poll).count)() == 1
    assert 'data-total="1"' in await proj.receive_until(f'id="tally-{poll.pk}"')
    assert "<strong>1</strong> ballot" in await desk.receive_until('id="turnout"')
    for sock in (desk, proj, p1):
        await sock.close()


async def test_phone_can_change_its_vote_until_the_vote_closes(live_workshop):
    poll = await _open_vote(live_workshop)
    p1 = await phone(live_workshop)
    _, themes = poll_theme_ids(await p1.receive())

    await p1.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[0])})
    await p1.receive()
    await p1.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[2])})
    assert "Your vote: <strong>Theme 3</strong>" in await p1.receive()

    await database_sync_to_async(poll_close)(poll=poll)
    await p1.receive_until("Voting has closed")
    await p1.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[1])})
    refusal = await p1.receive()

    assert 'id="phone-flash"' in refusal and "Voting has closed" in refusal
    ballots = await database_sync_to_async(
        lambda: list(Ballot.objects.values_list("theme_id", flat=True))
    )()
    assert ballots == [themes[2]]
    await p1.close()


async def test_phone_cannot_send_control_actions(live_workshop):
    poll = await _open_vote(live_workshop)
    proj = await screen(live_workshop)
    p1 = await phone(live_workshop)
    await p1.drain(), await proj.drain()

    for action in ("poll_close", "stage_next", "poll_decide", "screen_show"):
        await p1.send({"action": action, "screen": "join"})
        assert "That action is not allowed here." in await p1.receive()

    assert await database_sync_to_async(lambda: Poll.objects.get(pk=poll.pk).state)() == "open"
    assert await proj.nothing()
    await p1.close(), await proj.close()


async def test_screen_sends_nothing_and_its_frames_are_ignored(live_workshop):
    await _open_vote(live_workshop)
    proj = await screen(live_workshop)
    await proj.drain()
    await proj.send({"action": "poll_close"})
    assert await proj.nothing()
    assert await database_sync_to_async(lambda: Poll.objects.get().state)() == "open"
    await proj.close()


@pytest.mark.parametrize(
    "frame, message",
    [
        ("not json at all", "That message was not understood."),
        ("[1, 2, 3]", "That message was not understood."),
        ('{"no": "action"}', "That message was not understood."),
        ('{"action": 5}', "That message was not understood."),
        (
            '{"action": "vote", "poll": "x", "theme": "y"}',
            "Choose one of the themes on the ballot.",
        ),
        (
            '{"action": "vote", "poll": "1", "theme": "99999999999999999999"}',
            "Choose one of the themes",
        ),
        (json.dumps({"action": "vote", "pad": "x" * 5000}), "That message is too long."),
    ],
)
async def test_malformed_frames_get_a_message_and_change_nothing(live_workshop, frame, message):
    await _open_vote(live_workshop)
    p1 = await phone(live_workshop)
    await p1.drain()

    await p1.send_text(frame)
    reply = await p1.receive()

    assert message in reply and 'role="alert"' in reply
    assert await database_sync_to_async(Ballot.objects.count)() == 0
    # The socket stays usable after a bad frame.
    await p1.send_text("still here?")
    assert "not understood" in await p1.receive()
    await p1.close()


async def test_vote_for_a_theme_of_another_poll_or_workshop_is_refused(live_workshop):
    from tests.factories import make_voting_workshop

    poll = await _open_vote(live_workshop)
    foreign = await database_sync_to_async(lambda: make_voting_workshop().themes.first())()
    p1 = await phone(live_workshop)
    await p1.drain()

    await p1.send({"action": "vote", "poll": str(poll.pk), "theme": str(foreign.pk)})

    assert "That theme is not on this ballot." in await p1.receive()
    assert await database_sync_to_async(Ballot.objects.count)() == 0
    await p1.close()


async def test_console_refusal_is_told_to_the_console_only(live_workshop):
    desk = await console(live_workshop)
    assert await desk.connect()
    p1 = await phone(live_workshop)
    await desk.drain(), await p1.drain()

    await desk.send({"action": "poll_close"})

    assert "No vote has been opened yet." in await desk.receive()
    await desk.send({"action": "made_up"})
    assert "That action is not allowed here." in await desk.receive()
    assert await p1.nothing()
    await desk.close(), await p1.close()


async def test_tally_pushes_never_reach_phones(live_workshop):
    poll = await _open_vote(live_workshop, show_bars=True)
    watcher = await phone(live_workshop)
    voter = await phone(live_workshop)
    _, themes = poll_theme_ids(await voter.receive())
    await watcher.drain()

    await voter.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[0])})
    await voter.receive()
    await asyncio.sleep(0.3)  # longer than the coalescing interval

    assert await watcher.nothing()
    await watcher.close(), await voter.close()


async def test_stage_change_reaches_every_surface_and_stale_pushes_are_dropped(live_workshop):
    proj = await screen(live_workshop)
    await proj.drain()

    await database_sync_to_async(stage_next)(workshop=live_workshop)
    frame = await proj.receive_until('id="screen-main"')
    assert "Item 1" in frame

    from channels.layers import get_channel_layer

    stale = {
        "type": "workshop.state_changed",
        "version": 0,
        "html": "<main id='screen-main'>old</main>",
    }
    await get_channel_layer().group_send(
        group_name(workshop_id=live_workshop.pk, surface=Surface.SCREEN), stale
    )
    assert await proj.nothing()
    await proj.close()


async def test_broadcast_payloads_survive_json(live_workshop):
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    channel = await layer.new_channel()
    for surface in Surface:
        await layer.group_add(group_name(workshop_id=live_workshop.pk, surface=surface), channel)
    await _open_vote(live_workshop)  # broadcasts after commit

    for _ in Surface:
        event = await asyncio.wait_for(layer.receive(channel), 2)
        assert json.loads(json.dumps(event)) == event


async def test_phone_counts_reach_the_console(live_workshop):
    desk = await console(live_workshop)
    assert await desk.connect()
    await desk.drain()

    phones = [await phone(live_workshop) for _ in range(3)]

    assert "<strong>3</strong> phones connected" in await desk.receive_until(
        r"<strong>3</strong> phones connected"
    )
    for sock in phones:
        await sock.close()
    await desk.close()


async def test_200_phones_voting_at_once_give_200_ballots_and_a_final_tally_of_200(live_workshop):
    poll = await _open_vote(live_workshop, show_bars=True)
    proj = await screen(live_workshop)
    phones = await asyncio.gather(*(phone(live_workshop) for _ in range(200)))
    frames = await asyncio.gather(*(p.receive() for p in phones))
    themes = poll_theme_ids(frames[0])[1]
    await proj.drain()

    await asyncio.gather(
        *(
            p.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[i % 3])})
            for i, p in enumerate(phones)
        )
    )
    receipts = await asyncio.gather(*(p.receive(timeout=10) for p in phones))

    assert all("✓ Your vote" in r for r in receipts)
    assert await database_sync_to_async(Ballot.objects.filter(poll=poll).count)() == 200
    final = await proj.receive_until(r'data-total="200"', timeout=5)
    assert f'id="tally-{poll.pk}"' in final
    await asyncio.gather(*(p.close() for p in phones))
    await proj.close()


def test_the_return_window_keeps_a_full_hall_under_160_returns_a_second():
    assert sockets.reconnect_window(3) == 2
    assert sockets.reconnect_window(320) == 2
    assert sockets.reconnect_window(321) == 3
    assert sockets.reconnect_window(5000) == 32


def test_workshop_state_changed_can_run_without_an_event_loop(live_workshop):
    """Commands and the admin run outside the server's loop; broadcasting must not fail."""
    workshop_state_changed(workshop_id=live_workshop.pk)


# --- losing the channel layer ---------------------------------------------------------------


async def test_losing_the_channel_layer_asks_every_socket_to_reconnect(live_workshop):
    """Only one consumer sees a Redis error, yet a restarted Redis has forgotten every group:
    all sockets of the process are closed with 4011 so that each client comes back."""
    projector, phone_sock = await screen(live_workshop), await phone(live_workshop)
    facilitator = await console(live_workshop)
    assert await facilitator.connect()
    for sock in (projector, phone_sock, facilitator):
        await sock.drain()

    sockets.layer_lost(RedisConnectionError("Connection reset by peer"))

    for sock in (projector, phone_sock, facilitator):
        # first the window to spread the return over (three sockets: the shortest), then 4011
        assert await sock.receive() == "<!--reconnect-window 2-->"
        assert await sock.comm.receive_output(timeout=3) == {
            "type": "websocket.close",
            "code": sockets.RECONNECT,
        }
    # A second error within the same outage closes nothing more (the sockets are gone).
    sockets.layer_lost(RedisConnectionError("Connection refused"))
    fresh = await phone(live_workshop)
    assert 'id="phone-live"' in await fresh.receive()
    assert await fresh.nothing()
    await fresh.close()


async def test_a_state_push_that_finds_redis_away_sends_this_workers_sockets_back(
    live_workshop, caplog
):
    """The stage change is committed but its push fails: the sockets of the worker that
    committed it would not hear of it, so they are sent back and get the state on return.
    The push goes through a real Redis layer with nothing listening at its address."""
    projector, phone_sock = await screen(live_workshop), await phone(live_workshop)
    for sock in (projector, phone_sock):
        await sock.drain()
    away = RedisChannelLayer(hosts=[f"redis://127.0.0.1:{free_port()}/0"])
    served_by = channel_layers.set(DEFAULT_CHANNEL_LAYER, away)  # the sockets keep theirs
    try:
        with caplog.at_level(logging.WARNING, logger="workshop.live"):
            await database_sync_to_async(stage_next)(workshop=live_workshop)
    finally:
        channel_layers.set(DEFAULT_CHANNEL_LAYER, served_by)

    assert "state push dropped: channel layer unavailable" in caplog.text
    for sock in (projector, phone_sock):
        assert await sock.receive() == "<!--reconnect-window 2-->"
        assert await sock.comm.receive_output(timeout=3) == {
            "type": "websocket.close",
            "code": sockets.RECONNECT,
        }
    back = await phone(live_workshop)  # and on return, the stage the push could not carry
    assert "Now: Item 1" in await back.receive()
    await back.close()


async def test_sockets_that_joined_after_a_redis_restart_are_not_sent_back(live_workshop):
    """The watch sees a restart only when Redis is up again, and by then clients sent back
    by a consumer's error may have joined the new Redis: only sockets that joined their
    group before the restart are asked to come back (watch.py)."""
    before = await screen(live_workshop)
    await before.drain()
    restarted_at = time.time()
    after = await phone(live_workshop)
    await after.drain()
    await before.drain()  # the projector's count of phones joined, now one

    sockets.reconnect_all("Redis restarted", joined_before=restarted_at)

    assert await before.receive() == "<!--reconnect-window 2-->"
    assert await before.comm.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": sockets.RECONNECT,
    }
    assert await after.nothing()
    sockets.reconnect_all("Redis restarted", joined_before=time.time())
    assert await after.receive() == "<!--reconnect-window 2-->"


async def test_a_client_gone_before_its_first_card_leaves_quietly(live_workshop):
    """daphne raises autobahn's Disconnected when the app sends to a socket whose client has
    already gone (a phone that gave up on a slow connect). The consumer leaves its group and
    the count of open sockets as if the client had said goodbye, and raises nothing."""
    attendee = await database_sync_to_async(make_attendee)(workshop=live_workshop)
    cookie = attendee_cookie_value(workshop_id=live_workshop.pk, attendee_id=attendee.pk)
    path = f"/ws/j/{live_workshop.join_code}/"
    scope = {
        "type": "websocket", "path": path, "raw_path": path.encode(), "query_string": b"",
        "headers": [ORIGIN, HOST, (b"cookie", f"{cookie_name(live_workshop.pk)}={cookie}".encode())],
        "subprotocols": [], "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    incoming = asyncio.Queue()
    await incoming.put({"type": "websocket.connect"})
    sent = []

    async def send(message):
        sent.append(message["type"])
        if message["type"] == "websocket.send":
            raise Disconnected("Attempt to send on a closed protocol")

    open_before = sockets.count()
    here_before = presence.phones_here(live_workshop.pk)
    await asyncio.wait_for(application(scope, incoming.get, send), 5)

    assert sent == ["websocket.accept", "websocket.send"]
    assert sockets.count() == open_before
    # It counted itself in when it joined its group, and out when it left it (disconnect).
    assert presence.phones_here(live_workshop.pk) == here_before
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # the in-memory layer shows its members
        assert not layer.groups.get(group_name(workshop_id=live_workshop.pk, surface="phone"))


async def test_console_stage_change_is_recorded_with_the_facilitator(live_workshop):
    from workshop.models import StageEvent

    desk = await console(live_workshop, username="desk")
    assert await desk.connect()
    await desk.drain()

    await desk.send({"action": "stage_next"})
    assert "Moved to the next agenda item." in await desk.receive_until("Moved to the next")

    events = await database_sync_to_async(
        lambda: list(StageEvent.objects.values_list("item__position", "actor"))
    )()
    assert events == [(0, "desk")]
    await desk.close()

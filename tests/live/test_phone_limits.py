"""Hostile phones through the real ASGI router: cookieless sockets, many sockets on one
cookie, vote floods and upvote floods (docs/security.md)."""

import pytest
from channels.db import database_sync_to_async

from tests.factories import make_attendee
from tests.live.conftest import Socket, console, phone, poll_theme_ids
from voting.models import Ballot
from voting.services import BallotRequest, ballots_cast, poll_open
from workshop.live import presence
from workshop.live.consumers.base import JOIN_FIRST, REPLACED

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.security]


async def test_phone_socket_without_the_attendee_cookie_is_told_to_join_and_closed(
    live_workshop,
):
    sock = Socket(f"/ws/j/{live_workshop.join_code}/")
    assert await sock.connect()

    assert "Reload the page to join this workshop." in await sock.receive()
    assert await sock.comm.receive_output(timeout=3) == {
        "type": "websocket.close",
        "code": JOIN_FIRST,
    }
    assert presence.phones_here(live_workshop.pk) == 0


async def test_many_sockets_on_one_cookie_count_as_one_phone_and_keep_the_newest(
    live_workshop, settings
):
    settings.WORKSHOP_SOCKETS_PER_ATTENDEE = 3
    first = await phone(live_workshop)
    socks = [first] + [await phone(live_workshop, first.attendee) for _ in range(4)]

    assert presence.phones_here(live_workshop.pk) == 1
    assert presence.sockets_of(live_workshop.pk, first.attendee.pk) == 3
    for old in socks[:2]:
        frames = await old.drain_until_closed()
        assert frames[-1] == {"type": "websocket.close", "code": REPLACED}
        assert any("open in too many tabs" in f.get("text", "") for f in frames)
    # The newest sockets are live: a vote on one of them is acknowledged.
    poll = await database_sync_to_async(poll_open)(workshop=live_workshop)
    frame = await socks[-1].receive_until("Tap a theme to vote")
    _, themes = poll_theme_ids(frame)
    await socks[-1].send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[0])})
    assert "✓ Your vote" in await socks[-1].receive_until("Your vote")
    for sock in socks[2:]:
        await sock.close()
    assert presence.phones_here(live_workshop.pk) == 0


async def test_a_vote_flood_from_one_phone_is_refused_past_its_limit(live_workshop):
    poll = await database_sync_to_async(poll_open)(workshop=live_workshop)
    sock = await phone(live_workshop)
    _, themes = poll_theme_ids(await sock.receive())

    for i in range(11):
        await sock.send({"action": "vote", "poll": str(poll.pk), "theme": str(themes[i % 3])})
    frames = [await sock.receive() for _ in range(11)]

    assert sum("✓ Your vote" in f for f in frames) == 10
    assert "You have sent a lot of votes just now." in frames[-1]
    ballot = await database_sync_to_async(Ballot.objects.get)(poll=poll)
    assert ballot.theme_id == themes[9 % 3]
    await sock.close()


async def test_console_warns_when_ballots_outnumber_the_phones_connected(live_workshop):
    poll = await database_sync_to_async(poll_open)(workshop=live_workshop)
    sock = await phone(live_workshop)
    desk = await console(live_workshop)
    assert await desk.connect()
    assert "More ballots than phones" not in await desk.receive_until(
        r"<strong>1</strong> phone connected"
    )

    def stuff():
        theme = poll.options.first()
        return ballots_cast(
            requests=[
                BallotRequest(
                    poll_id=poll.pk,
                    attendee_id=make_attendee(workshop=live_workshop).pk,
                    theme_id=theme.pk,
                )
                for _ in range(3)
            ]
        )

    await database_sync_to_async(stuff)()

    frame = await desk.receive_until(r"<strong>3</strong> ballots")
    assert "More ballots than phones connected." in frame
    await sock.close()
    await desk.close()

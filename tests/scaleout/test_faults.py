"""Faults, each in a bounded run with an exact check of the database afterwards."""

import asyncio
import os
import re
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.scaleout.conftest import Client, restart_redis, ws_url
from tests.scaleout.test_workers import OPEN_VOTE
from workshop.live.watch import RedisWatch

BALLOTS = (
    "import json; from voting.models import Ballot; "
    "print(json.dumps(sorted(Ballot.objects.values_list('attendee_id', 'theme_id'))))"
)


async def test_whole_app_restart_brings_console_projector_and_phone_back_to_the_same_state(
    cluster,
):
    port = cluster.start()
    poll = cluster.query(OPEN_VOTE)
    phone_cookie, console_cookie = cluster.join(port), cluster.login(port)
    phone = await Client(ws_url(cluster, port, "phone"), phone_cookie).connect()
    theme = re.findall(r'name="theme" value="(\d+)"', await phone.until('id="phone-live"'))[1]
    await phone.send({"action": "vote", "poll": str(poll), "theme": theme, "key": "before"})
    await phone.until("Your vote")

    cluster.kill(port)  # the whole app: its only process, without a chance to tidy up
    cluster.start(port)

    phone = await Client(ws_url(cluster, port, "phone"), phone_cookie).connect()
    console = await Client(ws_url(cluster, port, "console"), console_cookie).connect()
    projector = await Client(ws_url(cluster, port, "screen")).connect()
    assert (
        "✓ Your vote: <strong>Leadership, management and governance</strong>"
        in await phone.until('id="phone-live"')
    )
    console_frame = await console.until('id="console-vote"')
    assert "Close the vote" in console_frame and "<strong>1</strong> ballot" in console_frame
    assert 'data-total="1"' in await projector.until('id="screen-main"')
    for client in (phone, console, projector):
        await client.close()


class Phone:
    """A simulated phone that behaves like htmx's ws extension plus live.js: one key per
    tap, and after a lost connection it reconnects (to any worker) and resends what was
    not acknowledged, with the same key."""

    def __init__(self, cluster, ports: list[int], cookie: str):
        self.cluster, self.ports, self.cookie = cluster, ports, cookie
        self.client: Client | None = None

    async def connect(self) -> str:
        for attempt in range(40):
            port = self.ports[attempt % len(self.ports)]
            try:
                self.client = await Client(
                    ws_url(self.cluster, port, "phone"), self.cookie
                ).connect(2)
                return await self.client.until('id="phone-live"')
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.25)
        raise AssertionError("could not reconnect")

    async def vote(self, payload: dict) -> str:
        for _ in range(10):
            try:
                await self.client.send(payload)
                return await self.client.until("Your vote|phone-flash", timeout=5)
            except (ConnectionClosed, TimeoutError, OSError):
                await self.connect()
        raise AssertionError("vote never acknowledged")


async def test_worker_killed_during_a_vote_burst_counts_every_ballot_exactly_once(cluster):
    a, b = cluster.start(), cluster.start()
    poll = cluster.query(OPEN_VOTE)
    phones = [Phone(cluster, [a, b] if i % 2 else [b, a], cluster.join(a)) for i in range(60)]
    cards = await asyncio.gather(*(p.connect() for p in phones))
    themes = re.findall(r'name="theme" value="(\d+)"', cards[0])
    choices = [themes[i % 3] for i in range(60)]

    async def burst():
        return await asyncio.gather(
            *(
                p.vote({"action": "vote", "poll": str(poll), "theme": t, "key": f"tap-{i}"})
                for i, (p, t) in enumerate(zip(phones, choices, strict=True))
            )
        )

    voting = asyncio.create_task(burst())
    await asyncio.sleep(0.05)
    cluster.kill(b)  # mid-burst, half the phones lose their worker
    answers = await asyncio.wait_for(voting, 60)

    assert all("✓ Your vote" in answer for answer in answers)
    stored = dict(cluster.query(BALLOTS))
    assert len(stored) == 60
    attendees = sorted(stored)  # attendees were created in order of the phones joining
    assert [str(stored[attendee]) for attendee in attendees] == choices
    for p in phones:
        await p.client.close()


async def test_redis_restart_mid_session_live_updates_resume_and_nothing_is_lost(cluster):
    a, b = cluster.start(), cluster.start()
    poll = cluster.query(OPEN_VOTE)
    voter = Phone(cluster, [a], cluster.join(a))
    themes = re.findall(r'name="theme" value="(\d+)"', await voter.connect())
    projector = Phone(cluster, [b], "")
    projector.client = await Client(ws_url(cluster, b, "screen")).connect()
    await projector.client.until(f'id="tally-{poll}"')
    await voter.vote({"action": "vote", "poll": str(poll), "theme": themes[0], "key": "one"})
    await projector.client.until(r'data-total="1"')

    restart_redis()

    # The same phone changes its vote and a new phone votes; the projector must catch up
    # by itself. Its worker closes its socket (4011) and it reconnects, as live.js does;
    # it reconnects only then: a socket left open must keep receiving.
    second = Phone(cluster, [a, b], cluster.join(a))
    await second.connect()
    await voter.vote({"action": "vote", "poll": str(poll), "theme": themes[2], "key": "two"})
    await second.vote({"action": "vote", "poll": str(poll), "theme": themes[1], "key": "three"})
    deadline = time.monotonic() + 30
    while True:
        try:
            left = max(0.1, deadline - time.monotonic())
            frame = await projector.client.until(r'data-total="2"', timeout=left)
            break
        except (ConnectionClosed, OSError):
            assert time.monotonic() < deadline, "the projector never caught up"
            try:
                projector.client = await Client(ws_url(cluster, b, "screen")).connect(2)
            except (OSError, InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.25)
    assert f'id="tally-{poll}"' in frame or 'id="screen-main"' in frame
    assert sorted(t for _, t in cluster.query(BALLOTS)) == sorted([int(themes[1]), int(themes[2])])
    for p in (voter, second, projector):
        await p.client.close()


async def test_a_quiet_worker_learns_of_a_redis_restart_and_sends_its_sockets_back(cluster):
    """Nothing is pushed after the restart: no vote, no stage change. A restarted Redis has
    forgotten the worker's groups, so its sockets must still be sent back to reconnect;
    otherwise they stay open and hear nothing more. (Measured with 5,000 phones on the core
    layer: after a restart no socket was closed in 240 s; most likely the one consumer
    reading from Redis was leaving at that moment and its error went with it. With a handful
    of sockets the error does surface, so this test also passed before workshop/live/watch.py
    looked at Redis's run id: it guards the behaviour, it does not reproduce the miss.)"""
    port = cluster.start()
    cluster.query(OPEN_VOTE)
    projector = await Client(ws_url(cluster, port, "screen")).connect()
    phone = await Client(ws_url(cluster, port, "phone"), cluster.join(port)).connect()
    await projector.until('id="screen-main"')
    await phone.until('id="phone-live"')

    restart_redis()

    for client in (projector, phone):
        assert re.match(r"<!--reconnect-window \d+-->", await client.until("reconnect-window"))
        try:
            frame = await asyncio.wait_for(client.ws.recv(), 10)
        except ConnectionClosed:
            pass
        else:
            raise AssertionError(f"expected the close, got {frame[:200]!r}")
        assert client.ws.close_code == 4011
    # Back, each is sent the current state, and the worker still pushes to them.
    projector = await Client(ws_url(cluster, port, "screen")).connect()
    assert 'id="screen-main"' in await projector.until('id="screen-main"')
    await projector.close()


@pytest.mark.parametrize("pubsub", [False, True], ids=["core", "pubsub"])
async def test_the_redis_watch_sees_a_restart_even_when_no_command_fails(pubsub):
    """The watch (workshop/live/watch.py) compares Redis's run id between looks: a restart
    between two looks is seen, whatever the layer's own connections noticed."""
    watch = RedisWatch(os.environ["REDIS_URL"], "workshop-live-test:restart", pubsub=pubsub)
    assert await watch.step() is False  # the baseline
    restart_redis()
    # The first look may find its own connection cut by the restart (Redis away, for now);
    # the next sees the new run and asks every socket of this process to reconnect, once.
    looks = [await watch.step() for _ in range(3)]
    assert looks in ([True, False, False], [False, True, False]), looks
    await watch.redis.aclose()

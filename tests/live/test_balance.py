"""Workers evening out their phones (workshop/live/balance.py): the decisions, and what the
sockets of a worker over its share receive, against a real Redis where one is needed.

The whole path, with nginx choosing where the phones go back to, is in
tests/scaleout/test_serve.py."""

import asyncio
import logging
import time
import uuid

import pytest
from django.conf import settings
from redis.asyncio import Redis

from tests.live.conftest import phone, screen
from workshop.live import balance, sockets
from workshop.live.balance import Balance

pytestmark = pytest.mark.django_db(transaction=True)

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="needs Redis: runs in make test's PostgreSQL + Redis stage",
)


@pytest.mark.parametrize(
    ("mine", "loads", "excess"),
    [
        (40, {"a": 40}, 0),  # alone: nowhere to send phones
        (40, {"a": 40, "b": 0}, 20),
        (25, {"a": 25, "b": 15}, 0),  # 5 over: not worth a reconnect
        (31, {"a": 31, "b": 9}, 11),
        (2_800, {"a": 2_800, "b": 2_200}, 300),
        (2_700, {"a": 2_700, "b": 2_300}, 0),  # 200 over: under a tenth of the share
        (10, {"a": 10, "b": 40}, 0),  # under its share
        (60, {"a": 60, "b": 0, "c": 0}, 40),
    ],
)
def test_a_worker_is_over_its_share_only_by_a_margin(mine, loads, excess):
    assert Balance(None, "a").excess(mine, loads) == excess


def test_phones_that_did_not_leave_count_as_come_back():
    b = Balance(None, "a")
    b.sent.extend([(100.0, 15, 60), (103.0, 15, 45)])
    assert not b.came_back(32, 106.5)  # 28 fewer: they went elsewhere
    assert not b.came_back(60, 102.0)  # too soon to tell
    assert b.came_back(58, 106.5)  # 30 sent back, 2 fewer: they came straight back
    assert not b.came_back(58, 200.0)  # long forgotten


async def _balance(phones: int, others: dict[str, int]):
    """A Balance for this process, with `phones` connected and other workers' entries."""
    redis = Redis.from_url(settings.REDIS_URL)
    await redis.delete(balance.KEY)
    b = Balance(redis, f"test-{uuid.uuid4().hex[:8]}")

    async def look(at: float) -> int:
        if others:
            await redis.hset(balance.KEY, mapping={k: f"{v} {at}" for k, v in others.items()})
        return await b.step(at)

    return b, redis, look


async def _sent_back(socks) -> list:
    """The sockets that were asked to reconnect: the window frame, then a close with 4011.
    Reads every socket's frames so far (a phone's card comes when it connects)."""
    await asyncio.sleep(0.2)  # the sends back run as tasks of their own
    sent = []
    for sock in socks:
        out = []
        while not await sock.comm.receive_nothing(timeout=0.001):
            out.append(await sock.comm.receive_output())
        closes = [m for m in out if m["type"] == "websocket.close"]
        if closes:
            assert out[-2:] == [
                {"type": "websocket.send", "text": "<!--reconnect-window 2-->"},
                {"type": "websocket.close", "code": sockets.RECONNECT},
            ]
            sent.append(sock)
    return sent


@needs_redis
async def test_a_worker_over_its_share_sends_some_phones_back_and_keeps_its_projector(
    live_workshop,
):
    phones = [await phone(live_workshop) for _ in range(40)]
    projector = await screen(live_workshop)
    await projector.drain()
    b, redis, look = await _balance(40, {"restarted": 0})
    now = time.time()

    # The picture must hold for three looks before any phone is sent back.
    assert [await look(now), await look(now + 1)] == [0, 0]
    assert await look(now + 2) == 10  # half of the 20 over its share of 20
    assert len(await _sent_back(phones)) == 10
    assert await projector.nothing()
    assert sockets.count(balance.is_phone) == 30
    assert await redis.hget(balance.KEY, b.name) == f"40 {now + 2}".encode()
    # Those sent back need a moment to land elsewhere before the next round.
    assert await look(now + 3) == 0
    assert await redis.hget(balance.KEY, b.name) == f"30 {now + 3}".encode()
    assert await look(now + 5) == 8  # still 15 over
    assert len(await _sent_back(phones)) == 8
    assert await projector.nothing()

    for sock in (*phones, projector):
        await sock.close()
    await redis.delete(balance.KEY)
    await redis.aclose()


@needs_redis
async def test_a_worker_that_has_stopped_writing_is_not_sent_phones(live_workshop):
    phones = [await phone(live_workshop) for _ in range(24)]
    _, redis, look = await _balance(24, {})
    now = time.time()
    await redis.hset(balance.KEY, "dead", f"0 {now - balance.FRESH - 0.1}")
    assert [await look(now + i) for i in range(4)] == [0, 0, 0, 0]
    assert sockets.count(balance.is_phone) == 24
    for sock in phones:
        await sock.close()
    await redis.delete(balance.KEY)
    await redis.aclose()


@needs_redis
async def test_phones_that_come_straight_back_pause_the_rebalancing(live_workshop, caplog):
    """Behind a balancer that keeps each phone on one worker, phones sent back return to
    the same worker: after two rounds it stops asking, rather than make them reconnect for
    nothing every few seconds."""
    phones = [await phone(live_workshop) for _ in range(60)]
    _, redis, look = await _balance(60, {"other": 0})
    now = time.time()

    async def round_trip(at: float) -> int:
        shed = await look(at)
        for sock in await _sent_back(phones):
            phones.remove(sock)
            phones.append(await phone(live_workshop))  # straight back to this worker
        return shed

    assert [await round_trip(now + i) for i in range(3)] == [0, 0, 15]
    assert await round_trip(now + 5) == 15  # 15 sent back, 0 fewer: too few to judge yet
    with caplog.at_level(logging.WARNING, logger="workshop.live.balance"):
        assert await round_trip(now + 8) == 0  # 30 sent back, none gone: paused
    assert "Rebalancing paused" in caplog.text
    assert await round_trip(now + 12) == 0
    assert await round_trip(now + balance.PAUSE + 9) == 15  # then it tries again
    assert sockets.count(balance.is_phone) == 60

    for sock in phones:
        await sock.close()
    await redis.delete(balance.KEY)
    await redis.aclose()

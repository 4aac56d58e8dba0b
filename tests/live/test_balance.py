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
from tests.live.test_watch import redis_user_without
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


def test_phones_sent_back_count_as_come_back_when_most_reconnect_here():
    b = Balance(None, "a")
    b.sent.extend([(100.0, set(range(15))), (103.0, set(range(15, 30)))])
    for attendee in (*range(14), 99):  # 99 was not sent back: a newcomer
        b.arrived(attendee)
    assert not b.came_back(102.0)  # too soon to tell
    assert not b.came_back(105.0)  # only the first 15 settled: too few to judge
    assert not b.came_back(106.5)  # 14 of the 30 back here: not yet half
    b.arrived(20)
    assert b.came_back(106.5)
    assert not b.came_back(200.0)  # long forgotten


def test_the_room_must_hold_still_before_phones_are_sent_back():
    b = Balance(None, "a")
    two = {"a": 100, "b": 40}
    assert [b.steady(two, True), b.steady(two, True), b.steady(two, True)] == [
        False,
        False,
        True,
    ]
    assert not b.steady({"a": 100, "b": 80}, True)  # filling up: 140 then 180
    b.steady(two, False)  # evened out meanwhile: start again
    assert [b.steady(two, True) for _ in range(3)] == [False, False, True]
    assert not b.steady({"a": 140}, True)  # a worker gone


async def _balance(phones: int, others: dict[str, int]):
    """A Balance for this process, with `phones` connected and other workers' entries."""
    redis = Redis.from_url(settings.REDIS_URL)
    await redis.delete(balance.KEY)
    b = Balance(redis, f"test-{uuid.uuid4().hex[:8]}")
    b.serve_here()  # hears of the phones that connect here

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


async def _rounds(live_workshop, look, phones, times, *, same_phones: bool) -> list[int]:
    """Looks at the given times; each phone sent back reconnects here at once, as itself
    (a balancer that keeps it on this worker) or as a newcomer taking its place."""
    shed = []
    for at in times:
        shed.append(await look(at))
        for sock in await _sent_back(phones):
            phones.remove(sock)
            phones.append(await phone(live_workshop, sock.attendee if same_phones else None))
    return shed


@needs_redis
async def test_phones_that_come_straight_back_pause_the_rebalancing(live_workshop, caplog):
    """Behind a balancer that keeps each phone on one worker, phones sent back return to
    the same worker: after two rounds it stops asking, rather than make them reconnect for
    nothing every few seconds."""
    phones = [await phone(live_workshop) for _ in range(60)]
    _, redis, look = await _balance(60, {"other": 0})
    now = time.time()

    def rounds(*times):
        return _rounds(live_workshop, look, phones, [now + t for t in times], same_phones=True)

    assert await rounds(0, 1, 2) == [0, 0, 15]
    assert await rounds(5) == [15]  # 15 sent back and back here: too few to judge yet
    with caplog.at_level(logging.WARNING, logger="workshop.live.balance"):
        assert await rounds(8) == [0]  # 30 sent back, all back here: paused
    assert "Rebalancing paused" in caplog.text
    assert await rounds(12) == [0]
    assert await rounds(balance.PAUSE + 9) == [15]  # then it tries again
    assert sockets.count(balance.is_phone) == 60

    for sock in phones:
        await sock.close()
    await redis.delete(balance.KEY)
    await redis.aclose()


@needs_redis
async def test_newcomers_are_not_taken_for_phones_coming_back(live_workshop, caplog):
    phones = [await phone(live_workshop) for _ in range(60)]
    _, redis, look = await _balance(60, {"other": 0})
    now = time.time()
    with caplog.at_level(logging.WARNING, logger="workshop.live.balance"):
        shed = await _rounds(
            live_workshop, look, phones, [now + t for t in (0, 1, 2, 5, 8, 11)], same_phones=False
        )
    assert shed == [0, 0, 15, 15, 15, 15]
    assert "Rebalancing paused" not in caplog.text
    for sock in phones:
        await sock.close()
    await redis.delete(balance.KEY)
    await redis.aclose()


@needs_redis
async def test_a_redis_that_refuses_hset_stops_the_rebalancing_with_advice(caplog):
    async with redis_user_without("hset") as url:
        redis = Redis.from_url(url)
        with caplog.at_level(logging.WARNING, logger="workshop.live.balance"):
            await asyncio.wait_for(Balance(redis, "test-acl").run(), 5)  # returns: stopped
        await redis.aclose()
    [report] = caplog.records
    assert report.levelno == logging.ERROR
    assert report.getMessage().startswith("Rebalancing stopped: Redis refused")
    assert "WORKSHOP_REBALANCE=0" in report.getMessage()

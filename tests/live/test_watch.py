"""The Redis watch (workshop/live/watch.py), against a real Redis where it needs one.

A Redis restart is covered by tests/scaleout (make test runs those on both Redis layers),
which can restart the test Redis. Here: a subscriber connection
dropped without a restart (as Redis does to a subscriber that reads too slowly), which the
restart test cannot show, and a Redis that cannot be reached.
"""

import asyncio
import contextlib
import logging
import sys
import time
import uuid

import pytest
from django.conf import settings
from redis.asyncio import Redis

from tests.live.conftest import phone, screen
from workshop.live import sockets
from workshop.live.watch import RedisWatch, SubscriberErrors

pytestmark = pytest.mark.django_db(transaction=True)

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL,
    reason="needs Redis: runs in make test's PostgreSQL + Redis stage",
)


@needs_redis
async def test_a_replaced_subscriber_connection_asks_every_socket_to_reconnect(live_workshop):
    name = f"workshop-live-test:{uuid.uuid4().hex}"
    subscriber = Redis.from_url(settings.REDIS_URL, client_name=name)
    admin = Redis.from_url(settings.REDIS_URL)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe("watch-test")
    watch = RedisWatch(settings.REDIS_URL, name, pubsub=True)
    projector, phone_sock = await screen(live_workshop), await phone(live_workshop)
    for sock in (projector, phone_sock):
        await sock.drain()

    assert await watch.step() is False  # the first look is the baseline
    assert await watch.step() is False  # nothing changed
    assert await projector.nothing() and await phone_sock.nothing()

    # Redis drops the subscriber; a new connection subscribes again (as the layer does).
    [old] = [c["id"] for c in await admin.client_list(_type="pubsub") if c["name"] == name]
    assert await admin.client_kill_filter(_id=old) == 1
    fresh = subscriber.pubsub()
    await fresh.subscribe("watch-test")

    assert await watch.step() is True
    for sock in (projector, phone_sock):
        assert await sock.receive() == "<!--reconnect-window 2-->"
        assert await sock.comm.receive_output(timeout=3) == {
            "type": "websocket.close",
            "code": sockets.RECONNECT,
        }
    assert await watch.step() is False  # the new connection is the new baseline
    for client in (fresh, pubsub):
        await client.aclose()
    await subscriber.aclose()
    await admin.aclose()


@needs_redis
async def test_a_subscriber_connection_left_with_nothing_subscribed_is_not_taken_for_lost(
    live_workshop,
):
    """When a worker's last socket leaves, its subscriber connection has nothing subscribed
    and Redis stops listing it as a pub/sub client; it is still the same connection, and
    nothing was lost. (Seen with scripts/serve.py: every worker that emptied logged that
    its connection was replaced.)"""
    name = f"workshop-live-test:{uuid.uuid4().hex}"
    subscriber = Redis.from_url(settings.REDIS_URL, client_name=name)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe("watch-test")
    watch = RedisWatch(settings.REDIS_URL, name, pubsub=True)
    projector = await screen(live_workshop)
    await projector.drain()
    assert await watch.step() is False  # the baseline: one subscriber connection

    await pubsub.unsubscribe("watch-test")
    await pubsub.get_message(timeout=1)  # the unsubscribe's answer: nothing subscribed now
    assert await watch.step() is False
    assert await projector.nothing()

    await pubsub.subscribe("watch-test")  # the next socket joins on the same connection
    assert await watch.step() is False
    await pubsub.aclose()
    await subscriber.aclose()
    await projector.close()
    await watch.redis.aclose()


@needs_redis
async def test_after_a_restart_only_sockets_from_before_it_are_sent_back(live_workshop):
    """The look before this one saw another Redis run (as after a restart); these sockets
    joined the Redis running now, which INFO's uptime dates, so they stay."""
    watch = RedisWatch(settings.REDIS_URL, "workshop-live-test:after", pubsub=False)
    await asyncio.sleep(1.1)  # so the test Redis has been up longer than the second of margin
    projector = await screen(live_workshop)
    await projector.drain()
    run_id, ids = await watch.look()
    assert watch.started < time.time() - 1.0
    watch.seen = ("the run before the restart", ids)

    assert await watch.step() is True  # it saw the restart
    assert await projector.nothing()
    assert watch.seen == (run_id, ids)
    await projector.close()
    await watch.redis.aclose()


async def test_an_unreachable_redis_closes_nothing_and_is_reported_once(live_workshop, caplog):
    watch = RedisWatch("redis://127.0.0.1:1/0", "workshop-live-test:unreachable", pubsub=False)
    projector = await screen(live_workshop)
    await projector.drain()

    with caplog.at_level(logging.WARNING, logger="workshop.live.watch"):
        assert await watch.step() is False
        assert await watch.step() is False

    assert watch.away
    [report] = caplog.records
    assert report.getMessage().startswith("Redis watch: Redis unavailable (Error ")
    assert await projector.nothing()
    await projector.close()
    await watch.redis.aclose()


@contextlib.asynccontextmanager
async def redis_user_without(command: str):
    """A Redis ACL user allowed everything but `command`; yields its URL."""
    admin = Redis.from_url(settings.REDIS_URL)
    user, password = f"wl-test-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    await admin.acl_setuser(
        user, enabled=True, passwords=[f"+{password}"], keys=["*"], channels=["*"],
        commands=["+@all", f"-{command}"],
    )  # fmt: skip
    try:
        yield f"redis://{user}:{password}@{settings.REDIS_URL.split('://', 1)[1]}"
    finally:
        await admin.acl_deluser(user)
        await admin.aclose()


@needs_redis
async def test_a_redis_that_refuses_client_list_stops_the_watch_with_advice(live_workshop, caplog):
    """A Redis user without CLIENT LIST (a restrictive ACL, some managed services) is not
    an outage: the watch says what to grant, or to use the core layer, and stops."""
    async with redis_user_without("client") as url:
        watch = RedisWatch(url, "workshop-live-test:acl", pubsub=True)
        projector = await screen(live_workshop)
        await projector.drain()

        with caplog.at_level(logging.WARNING, logger="workshop.live.watch"):
            await asyncio.wait_for(watch.run(), 5)  # returns: the watch has stopped

    [report] = caplog.records
    assert report.levelno == logging.ERROR
    assert report.getMessage().startswith("Redis watch stopped: Redis refused CLIENT LIST")
    assert "WORKSHOP_REDIS_LAYER=core" in report.getMessage()
    assert await projector.nothing()
    await projector.close()
    await watch.redis.aclose()


@needs_redis
async def test_a_redis_that_refuses_info_stops_the_core_watch_with_advice(live_workshop, caplog):
    async with redis_user_without("info") as url:
        watch = RedisWatch(url, "workshop-live-test:acl", pubsub=False)
        with caplog.at_level(logging.WARNING, logger="workshop.live.watch"):
            await asyncio.wait_for(watch.run(), 5)

    [report] = caplog.records
    assert report.levelno == logging.ERROR
    assert report.getMessage().startswith("Redis watch stopped: Redis refused INFO")
    assert "(ACL: +info)." in report.getMessage()
    await watch.redis.aclose()


def _record(error: Exception) -> logging.LogRecord:
    try:
        raise error
    except Exception:
        return logging.getLogger("channels_redis.pubsub").makeRecord(
            "channels_redis.pubsub", logging.ERROR, __file__, 1,
            "Unexpected exception in receive task", (), exc_info=sys.exc_info(),
        )  # fmt: skip


def test_the_layers_connection_errors_are_logged_in_one_line_and_others_in_full():
    lost = _record(ConnectionRefusedError(111, "Connect call failed"))
    assert SubscriberErrors().filter(lost) is True
    assert logging.Formatter().format(lost) == (
        "Unexpected exception in receive task: [Errno 111] Connect call failed"
    )

    bug = _record(KeyError("channel"))
    assert SubscriberErrors().filter(bug) is True
    assert "Traceback" in logging.Formatter().format(bug)

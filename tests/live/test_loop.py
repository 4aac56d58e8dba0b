"""The consumers' message loop: one message at a time, and a clean stop."""

import asyncio

import pytest
from channels.exceptions import StopConsumer

from workshop.live.tuning.loop import dispatch_from


def source_of(queue: asyncio.Queue):
    return queue.get


async def test_messages_from_both_sources_are_dispatched_one_at_a_time():
    client, layer = asyncio.Queue(), asyncio.Queue()
    log, inside = [], []

    async def dispatch(message):
        inside.append(message["n"])
        assert len(inside) == 1, "two messages were handled at once"
        await asyncio.sleep(0.01)  # a handler that awaits (a database call, a batch)
        log.append(message["n"])
        inside.pop()
        if message["n"] == "stop":
            raise StopConsumer

    for n in ("c1", "c2"):
        client.put_nowait({"n": n})
    for n in ("l1", "l2"):
        layer.put_nowait({"n": n})
    loop = asyncio.ensure_future(dispatch_from([source_of(client), source_of(layer)], dispatch))
    await asyncio.sleep(0.1)
    client.put_nowait({"n": "stop"})

    with pytest.raises(StopConsumer):
        await asyncio.wait_for(loop, 2)
    assert sorted(log) == ["c1", "c2", "l1", "l2", "stop"]
    assert log.index("c1") < log.index("c2") and log.index("l1") < log.index("l2")


async def test_a_failing_source_stops_the_loop_and_cancels_the_other():
    layer_cancelled = asyncio.Event()

    async def client():
        await asyncio.sleep(0.01)
        raise ConnectionError("layer gone")

    async def layer():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            layer_cancelled.set()
            raise

    async def dispatch(message):
        raise AssertionError("nothing was received")

    with pytest.raises(ConnectionError, match="layer gone"):
        await asyncio.wait_for(dispatch_from([client, layer], dispatch), 2)
    assert layer_cancelled.is_set()


async def test_cancelling_the_consumer_cancels_a_handler_in_progress():
    queue = asyncio.Queue()
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def dispatch(message):
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    queue.put_nowait({"n": 1})
    loop = asyncio.ensure_future(dispatch_from([queue.get], dispatch))
    await asyncio.wait_for(started.wait(), 2)
    loop.cancel()

    with pytest.raises(asyncio.CancelledError):
        await loop
    assert cancelled.is_set()


async def test_a_sources_clean_up_finishes_when_the_consumer_is_cancelled_during_it():
    """As channels-redis's pub/sub receive does when cancelled: it unsubscribes, after
    waiting for a lock the process's other consumers hold. daphne cancels a consumer still
    running 10 s after its client left, which can fall in that wait."""
    lock = asyncio.Lock()
    cleaning, unsubscribed = asyncio.Event(), asyncio.Event()

    async def client():
        await asyncio.sleep(0.01)
        raise StopConsumer  # the phone left

    async def layer():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cleaning.set()
            async with lock:
                unsubscribed.set()
            raise

    async def dispatch(message):
        raise AssertionError("nothing was received")

    await lock.acquire()  # other consumers are unsubscribing
    loop = asyncio.ensure_future(dispatch_from([client, layer], dispatch))
    await asyncio.wait_for(cleaning.wait(), 2)
    loop.cancel()  # daphne gives up on the consumer
    with pytest.raises(asyncio.CancelledError):
        await loop
    assert not unsubscribed.is_set()

    lock.release()
    await asyncio.wait_for(unsubscribed.wait(), 2)

"""LeanQueue (workshop/live/tuning/queues.py): asyncio.Queue's behaviour where daphne and the
in-memory layer use it, for a fraction of its memory."""

import asyncio
import tracemalloc

import pytest

from workshop.live.tuning.queues import LeanQueue


async def test_items_come_out_in_the_order_they_went_in():
    queue = LeanQueue()
    for item in ("a", "b", "c"):
        queue.put_nowait(item)

    assert queue.qsize() == 3
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]
    assert queue.empty()


async def test_a_waiting_reader_gets_the_next_item():
    queue = LeanQueue()
    reader = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait({"type": "websocket.connect"})

    assert await asyncio.wait_for(reader, 1) == {"type": "websocket.connect"}


async def test_a_full_queue_refuses_and_an_unbounded_one_does_not():
    bounded, unbounded = LeanQueue(maxsize=2), LeanQueue()
    bounded.put_nowait(1)
    bounded.put_nowait(2)

    with pytest.raises(asyncio.QueueFull):
        bounded.put_nowait(3)
    for n in range(100):
        unbounded.put_nowait(n)
    assert bounded.full() and not unbounded.full()
    assert unbounded.qsize() == 100


async def test_get_nowait_on_an_empty_queue_raises_queue_empty():
    with pytest.raises(asyncio.QueueEmpty):
        LeanQueue().get_nowait()


async def test_each_item_wakes_one_of_several_readers():
    queue = LeanQueue()
    readers = [asyncio.ensure_future(queue.get()) for _ in range(3)]
    await asyncio.sleep(0)

    queue.put_nowait("x")
    queue.put_nowait("y")
    done, pending = await asyncio.wait(readers, timeout=0.2)

    assert sorted(r.result() for r in done) == ["x", "y"]
    assert len(pending) == 1
    pending.pop().cancel()


async def test_a_reader_cancelled_after_its_wake_up_passes_the_item_on():
    queue = LeanQueue()
    first, second = asyncio.ensure_future(queue.get()), asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)

    queue.put_nowait("only")  # wakes the first reader...
    first.cancel()  # ...which is cancelled before it runs

    assert await asyncio.wait_for(second, 1) == "only"
    assert first.cancelled()


async def test_a_cancelled_reader_leaves_nothing_behind():
    queue = LeanQueue()
    reader = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)

    queue.put_nowait("later")

    assert queue.get_nowait() == "later"
    assert queue._getters is None and queue._items is None


def test_an_empty_queue_is_still_true():
    # daphne checks `if self.application_queue:` before putting into it.
    assert LeanQueue()


def test_an_empty_queue_takes_a_twentieth_of_an_asyncio_queue():
    def size_of_many(make) -> float:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            kept = [make() for _ in range(1000)]
            return (tracemalloc.get_traced_memory()[0] - before) / len(kept)
        finally:
            tracemalloc.stop()

    lean, standard = size_of_many(LeanQueue), size_of_many(asyncio.Queue)

    assert lean * 20 <= standard, (lean, standard)

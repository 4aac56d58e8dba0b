"""Pages run on a fixed pool of long-lived request threads (workshop/handler.py)."""

import asyncio
import threading

import pytest

from workshop.handler import RequestThreads


def thread_of(executor) -> int:
    return executor.submit(threading.get_ident).result(timeout=5)


async def test_a_thread_is_used_again_rather_than_a_new_one_started():
    pool = RequestThreads(4)
    first = await pool.acquire()
    ident = thread_of(first)
    pool.release(first)
    again = await pool.acquire()
    assert again is first and thread_of(again) == ident  # its database connection with it
    assert pool.busy == 1
    pool.release(again)
    assert pool.busy == 0


async def test_requests_beyond_the_pool_wait_their_turn_in_order():
    pool = RequestThreads(2)
    a, b = await pool.acquire(), await pool.acquire()
    served = []

    async def request(name):
        executor = await pool.acquire()
        served.append((name, executor))

    waiting = [asyncio.create_task(request(n)) for n in ("third", "fourth")]
    await asyncio.sleep(0)
    assert served == []  # both wait: no third thread is started
    pool.release(b)
    pool.release(a)
    await asyncio.gather(*waiting)
    assert served == [("third", b), ("fourth", a)]


async def test_a_request_that_goes_away_while_waiting_does_not_keep_a_thread():
    pool = RequestThreads(1)
    held = await pool.acquire()
    gone = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    pool.release(held)
    assert await asyncio.wait_for(pool.acquire(), 1) is held


def test_a_pool_needs_a_thread():
    with pytest.raises(ValueError):
        RequestThreads(0)

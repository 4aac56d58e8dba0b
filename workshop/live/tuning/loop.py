"""A consumer's message loop, without a task per message or a thread hop per frame.

Channels' own loop (channels.utils.await_many_dispatch) waits on the client and the channel
layer by creating a fresh task for every message and calling asyncio.wait on both: three task
switches and a handful of callbacks per frame. This loop uses about a third less of the
server's CPU time in a vote burst (docs/performance.md, "Where a ballot's time goes"). Here
each source has one long-lived task that receives and dispatches in turn; a lock keeps
Channels' promise that a consumer handles one message at a time, in arrival order per source.

Channels' AsyncConsumer.dispatch also first closes stale database connections through the ORM
thread: a thread hop for every frame, a quarter of the server's CPU in a vote burst.
Connections here are persistent and database_sync_to_async already tidies them around each
call, so `dispatch_direct` calls the handler straight away.

Both are used by workshop/live/consumers/ while WORKSHOP_TUNE_MESSAGE_LOOP is on (the
default); with it off the consumers run Channels' own loop and dispatch.
"""

import asyncio
from collections.abc import Awaitable, Callable

from channels.consumer import get_handler_name
from channels.utils import await_many_dispatch
from django.conf import settings

Source = Callable[[], Awaitable[dict]]


async def dispatch_from(sources: list[Source], dispatch: Callable[[dict], Awaitable]) -> None:
    """Receive from every source and dispatch each message, one at a time, until a source or
    the dispatch raises (StopConsumer when the socket closes); that exception is raised here,
    after the other sources have been cancelled."""
    lock = asyncio.Lock()

    async def pump(source: Source) -> None:
        while True:
            message = await source()
            async with lock:
                await dispatch(message)

    tasks = [asyncio.ensure_future(pump(source)) for source in sources]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        # A cancelled source may have clean-up to await: channels-redis's pub/sub layer
        # unsubscribes the consumer's channel from Redis, queueing on a lock shared by every
        # consumer of the process. daphne cancels a consumer that has not finished 10 s
        # after its client left, which in a mass close (a Redis restart under thousands of
        # phones) landed in that clean-up: a logged traceback per consumer and a channel
        # left subscribed. Shielded, the clean-up finishes even when this is cancelled.
        await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))


async def message_loop(sources: list[Source], dispatch: Callable[[dict], Awaitable]) -> None:
    """dispatch_from, or Channels' await_many_dispatch with WORKSHOP_TUNE_MESSAGE_LOOP=0."""
    if settings.TUNE_MESSAGE_LOOP:
        await dispatch_from(sources, dispatch)
    else:
        await await_many_dispatch(sources, dispatch)


async def dispatch_direct(consumer, message: dict) -> None:
    """AsyncConsumer.dispatch without closing old database connections first."""
    handler = getattr(consumer, get_handler_name(message), None)
    if handler is None:
        raise ValueError(f"No handler for message type {message['type']}")
    await handler(message)

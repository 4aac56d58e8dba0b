"""The sockets this process serves, so that all of them can be told to come back at once.

When the channel layer loses Redis (a restart, a network blip), only the one consumer blocked
in the layer's receive, or a push being sent, sees the error, and a restart can pass with no
error at all (watch.py, which looks at Redis from outside, catches that). The other
consumers wait on local queues and never learn of it, yet a restarted Redis has forgotten
every group they had joined: they would stay connected and hear nothing more. So the first
sign of an outage closes every socket of this process with RECONNECT; each client comes back
at a random moment within a window (static/js/live.js), joins its group again and is sent
the current state.
"""

import asyncio
import contextlib
import logging
import math
import time
import weakref

log = logging.getLogger(__name__)

# Close code meaning "come back in a moment" (live.js reconnects). Daphne lets applications
# use only 1000 or 3000-4999, and htmx reconnects by itself only after 1006/1011-1013.
RECONNECT = 4011
# Close codes that end a socket for good (live.js says so instead of "Reconnecting…"; htmx
# does not reconnect after them): the console's login ended (logged out, password changed,
# deactivated, permission removed), and the projector's link was replaced by a new one.
LOGIN_ENDED = 4401
SCREEN_LINK_REPLACED = 4404
QUIET = 2.0  # seconds: the errors of one outage close the sockets once
# All clients coming back at once overwhelm the worker: with 5,000 phones returning within
# 2 s (and daphne's default 5 s handshake timeout), attempts time out faster than they are
# served and most phones are not back after 4 minutes (docs/performance.md). So before
# closing, the worker tells each client the window to pick its moment from, sized so that
# arrivals stay under RETURNS_PER_SECOND; live.js reads it (daphne cannot send a close reason,
# so it goes as a frame of its own: an HTML comment, which htmx swaps into nothing). 160 a
# second is about what one worker on PostgreSQL and Redis connects on a modest 2-vCPU machine
# (one twice as fast connects about 330 a second; a phone's state is read in one statement:
# workshop/live/phone_state.py). It relies on daphne waiting 120 s for a handshake (serve.py's
# CONNECT_TIMEOUT), not its default 5 s.
RETURNS_PER_SECOND = 160
MIN_WINDOW = 2  # seconds: the shortest window, for a small room (live.js waits 0.5-2 s)

# Each open socket's consumer, and when it joined its group (time.time(), taken before the
# join): a socket that joined a restarted Redis need not come back (watch.py).
_open: "weakref.WeakKeyDictionary[object, float]" = weakref.WeakKeyDictionary()
_closing: set[asyncio.Task] = set()
_last_lost = -math.inf


def opened(consumer, joined_at: float) -> None:
    _open[consumer] = joined_at


def closed(consumer) -> None:
    _open.pop(consumer, None)


def count(which=None) -> int:
    """Open sockets; with `which` (a test on the consumer), those it accepts."""
    return len(_open) if which is None else sum(1 for c in list(_open) if which(c))


def send_back(n: int, which, reason: str) -> list:
    """Ask up to n sockets that `which` accepts, the longest open first, to reconnect
    within the shortest window (balance.py: the balancer gives them to another worker).
    Returns their consumers."""
    chosen = [c for c in list(_open) if which(c)][:n]
    log.warning("%s; asking %d sockets to reconnect elsewhere", reason, len(chosen))
    _close_all(chosen, MIN_WINDOW)
    return chosen


def layer_lost(error: Exception) -> None:
    """Ask every socket of this process to reconnect (once per outage)."""
    global _last_lost
    now = time.monotonic()
    if now - _last_lost < QUIET:
        return
    _last_lost = now
    reconnect_all(f"channel layer unavailable ({error})")


def reconnect_all(reason: str, joined_before: float | None = None) -> None:
    """Ask every socket of this process to reconnect now; each is sent the current state.
    With joined_before (a time.time()), only the sockets that joined their group earlier."""
    sockets = [c for c, at in list(_open.items()) if joined_before is None or at < joined_before]
    window = reconnect_window(len(sockets))
    log.warning("%s; asking %d sockets to reconnect within %d s", reason, len(sockets), window)
    _close_all(sockets, window)


def _close_all(consumers: list, window: int) -> None:
    loop = asyncio.get_running_loop()
    for consumer in consumers:
        _open.pop(consumer, None)
        task = loop.create_task(_close(consumer, window))
        _closing.add(task)
        task.add_done_callback(_closing.discard)


def reconnect_window(sockets: int) -> int:
    """Seconds over which `sockets` clients should spread their return."""
    return max(MIN_WINDOW, math.ceil(sockets / RETURNS_PER_SECOND))


def window_frame(window: int) -> str:
    return f"<!--reconnect-window {window}-->"


async def send_reconnect(send, window: int) -> None:
    """Tell one client the window to come back in, then close it with RECONNECT. `send` is
    its consumer's ASGI send. A client that has gone already misses the window frame."""
    with contextlib.suppress(Exception):
        await send({"type": "websocket.send", "text": window_frame(window)})
    await send({"type": "websocket.close", "code": RECONNECT})


async def _close(consumer, window: int) -> None:
    try:
        await send_reconnect(consumer.base_send, window)
    except Exception as error:  # the client may be gone already: nothing left to close
        log.debug("closing a socket for reconnect failed: %s", error)

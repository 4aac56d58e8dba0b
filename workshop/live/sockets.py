"""The sockets this process serves, so that all of them can be told to come back at once.

When the channel layer loses Redis (a restart, a network blip), only the one consumer blocked
in the layer's receive, or a push being sent, sees the error. The other consumers wait on
local queues and never learn of it, yet a restarted Redis has forgotten every group they had
joined: they would stay connected and hear nothing more. So the first error closes every
socket of this process with RECONNECT; each client comes back after a short jittered pause
(static/js/live.js), joins its group again and is sent the current state.
"""

import asyncio
import logging
import math
import time
import weakref

log = logging.getLogger(__name__)

# Close code meaning "come back in a moment" (live.js reconnects). Daphne lets applications
# use only 1000 or 3000-4999, and htmx reconnects by itself only after 1006/1011-1013.
RECONNECT = 4011
QUIET = 2.0  # seconds: the errors of one outage close the sockets once

_open: "weakref.WeakSet" = weakref.WeakSet()
_closing: set[asyncio.Task] = set()
_last_lost = -math.inf


def opened(consumer) -> None:
    _open.add(consumer)


def closed(consumer) -> None:
    _open.discard(consumer)


def layer_lost(error: Exception) -> None:
    """Ask every socket of this process to reconnect (once per outage)."""
    global _last_lost
    now = time.monotonic()
    if now - _last_lost < QUIET:
        return
    _last_lost = now
    reconnect_all(f"channel layer unavailable ({error})")


def reconnect_all(reason: str) -> None:
    """Ask every socket of this process to reconnect now; each is sent the current state."""
    sockets = list(_open)
    log.warning("%s; asking %d sockets to reconnect", reason, len(sockets))
    loop = asyncio.get_running_loop()
    for consumer in sockets:
        _open.discard(consumer)
        task = loop.create_task(_close(consumer))
        _closing.add(task)
        task.add_done_callback(_closing.discard)


async def _close(consumer) -> None:
    try:
        await consumer.close(code=RECONNECT)
    except Exception as error:  # the client may be gone already: nothing left to close
        log.debug("closing a socket for reconnect failed: %s", error)

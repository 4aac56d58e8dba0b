"""Coalesced pushes: a burst of ballots becomes at most one tally push per interval.

One Coalescer per event loop (daphne runs one). Marking is cheap and synchronous; a single
task flushes what was marked, waiting so that pushes for a workshop are at least INTERVAL
apart. Each push carries the whole tally with the poll's version, never a delta, so a push
dropped by a full channel is made good by the next one, and the last push always equals the
database. Phone counts are pushed the same way, and re-sent every HEARTBEAT seconds so
consoles can add up the counts of several workers and forget a worker that died.

The question list and the board (the "panel") go to every phone in the workshop, a few KB
each. A change the audience makes (a question, an upvote, a view) is pushed at once after a
quiet spell, then at most once every PANEL_INTERVAL per workshop, so that an upvote flood
cannot fan out to every phone (a phone's own upvote or post is answered on its own socket at
once). A facilitator's change (approve, hide, answered, on screen) goes out within INTERVAL
and carries the audience's changes with it.
"""

import asyncio
import contextlib
import contextvars
import logging
import threading
import weakref
from typing import Protocol

from django.conf import settings
from redis.exceptions import RedisError

from workshop.live import presence, sockets

log = logging.getLogger(__name__)

INTERVAL = 0.1
PANEL_INTERVAL = 1.0  # seconds between two panel pushes for changes the audience makes
HEARTBEAT = 5.0
RETRY = 1.0  # seconds between pushes while the channel layer is away
WORKER_ID = settings.WORKER_ID


class Pushes(Protocol):
    """What a flush sends: built and sent by workshop/live/broadcast.py, which installs it
    with push_with(). The coalescer only decides when."""

    async def tally(self, *, poll_id: int, workshop_id: int) -> None: ...

    async def phones(self, *, workshop_id: int) -> None: ...

    async def lists(self, *, workshop_id: int) -> None: ...


class Coalescer:
    def __init__(self, *, serving: bool, pushes: Pushes):
        # serving: the loop lives as long as the server (it hosts consumers). Otherwise (a
        # management command, a one-off async_to_sync loop) marks are flushed at once.
        self.serving = serving
        self.tallies: dict[int, int] = {}  # poll id -> workshop id
        self.presence: set[int] = set()
        self.panels: set[int] = set()  # pushed within INTERVAL
        self.audience_panels: set[int] = set()  # pushed PANEL_INTERVAL after the last panel push
        self.panel_sent: dict[int, float] = {}  # workshop id -> loop time of its last panel push
        self.wake = asyncio.Event()  # a mark arrived while the flush task waits
        self.last_flush = 0.0
        self.task: asyncio.Task | None = None
        self.heartbeat: asyncio.Task | None = None
        self.pushes = pushes

    def mark_tally(self, *, poll_id: int, workshop_id: int) -> None:
        self.tallies[poll_id] = workshop_id
        self._kick()

    def mark_presence(self, *, workshop_id: int) -> None:
        self.presence.add(workshop_id)
        self._kick()
        if self.heartbeat is None or self.heartbeat.done():
            self.heartbeat = _spawn(self._beat())

    def mark_panel(self, *, workshop_id: int, audience: bool = False) -> None:
        # Without a serving loop (a command) there is nothing to spread out: push at once.
        (self.audience_panels if audience and self.serving else self.panels).add(workshop_id)
        self._kick()

    def _kick(self) -> None:
        if self.task is None or self.task.done():
            # Without a serving loop the caller awaits the task (tally_changed, lists_changed),
            # from inside a sync_to_async thread: the task keeps the caller's context, so its
            # ORM calls run in that waiting thread instead of queueing behind it (a deadlock).
            self.task = _spawn(self._run()) if self.serving else asyncio.create_task(self._run())
        else:
            self.wake.set()

    def _due(self, now: float) -> float:
        """When the next flush may run: INTERVAL after the last, or, with only audience
        panel changes waiting, when the first of their workshops may be pushed again."""
        due = self.last_flush + INTERVAL
        if self.tallies or self.presence or self.panels:
            return due
        return max(due, min(self._panel_due(w) for w in self.audience_panels))

    def _panel_due(self, workshop_id: int) -> float:
        return self.panel_sent.get(workshop_id, float("-inf")) + PANEL_INTERVAL

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self.tallies or self.presence or self.panels or self.audience_panels:
            now = loop.time()
            due = self._due(now)
            if due > now:
                self.wake.clear()
                # A facilitator's mark or a ballot cuts a long wait short.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), due - now)
                continue
            tallies, self.tallies = self.tallies, {}
            workshops, self.presence = self.presence, set()
            ready = {w for w in self.audience_panels if self._panel_due(w) <= now}
            panels, self.panels = self.panels | ready, set()
            self.audience_panels -= panels
            self.panel_sent.update(dict.fromkeys(panels, now))
            self.last_flush = now
            try:
                await self._flush(tallies, workshops)
                await self._flush_panels(panels)
            except RedisError as error:
                if not self.serving:  # a command or a request with no sockets: don't hang it
                    log.warning("live push dropped: channel layer unavailable (%s)", error)
                    continue
                # Pushes carry whole states: mark them again and send them once the layer is
                # back. Meanwhile every socket here is asked to reconnect (sockets.py).
                self.tallies = {**tallies, **self.tallies}
                self.presence |= workshops
                self.panels |= panels
                self.last_flush = loop.time() + RETRY - INTERVAL
                sockets.layer_lost(error)
            except Exception:  # a failed push must not stop later ones
                log.exception("live push failed")

    async def _flush(self, tallies: dict[int, int], workshops: set[int]) -> None:
        for poll_id, workshop_id in tallies.items():
            await self.pushes.tally(poll_id=poll_id, workshop_id=workshop_id)
        for workshop_id in workshops:
            await self.pushes.phones(workshop_id=workshop_id)

    async def _flush_panels(self, workshops: set[int]) -> None:
        for workshop_id in workshops:
            await self.pushes.lists(workshop_id=workshop_id)

    async def _beat(self) -> None:
        while presence.workshops():
            await asyncio.sleep(HEARTBEAT)
            for workshop_id in presence.workshops():
                self.mark_presence(workshop_id=workshop_id)


def _spawn(coroutine) -> asyncio.Task:
    """Start a task in a fresh context. Marks arrive through async_to_sync from the ORM thread;
    a task inheriting that call's context would send its own ORM calls to that call's
    executor, which is gone once the call returns."""
    return asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())


_coalescers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Coalescer]" = (
    weakref.WeakKeyDictionary()
)


_serving: tuple[asyncio.AbstractEventLoop, int] | None = None  # the server's loop and thread
_pushes: Pushes | None = None


def push_with(pushes: Pushes) -> None:
    """Install what flushes send (workshop/live/broadcast.py does, when it is imported)."""
    global _pushes
    _pushes = pushes


def coalescer(*, serving: bool = False) -> Coalescer:
    """This loop's coalescer. Consumers call it with serving=True when they connect."""
    global _serving
    loop = asyncio.get_running_loop()
    found = _coalescers.get(loop)
    if found is None:
        if _pushes is None:
            raise RuntimeError("import workshop.live.broadcast before marking pushes")
        found = _coalescers[loop] = Coalescer(serving=serving, pushes=_pushes)
    elif serving:
        found.serving = True
    if serving:
        _serving = (loop, threading.get_ident())
    return found


def mark_from_any_thread(mark) -> bool:
    """Hand a mark to the serving loop without waiting for it. Returns False when there is
    no serving loop to hand it to (a command, a test without consumers).

    The ORM thread commits a batch of ballots and must go straight back to the next batch;
    waiting for the event loop here (async_to_sync) delayed every acknowledgement."""
    if _serving is None:
        return False
    loop, thread = _serving
    if loop.is_closed() or not loop.is_running():
        return False
    if threading.get_ident() == thread:
        mark()
    else:
        loop.call_soon_threadsafe(mark, context=contextvars.Context())
    return True


def mark_tallies(polls: dict[int, int]) -> None:
    c = coalescer()
    for poll_id, workshop_id in polls.items():
        c.mark_tally(poll_id=poll_id, workshop_id=workshop_id)


async def tally_changed(polls: dict[int, int]) -> None:
    mark_tallies(polls)
    c = coalescer()
    if not c.serving:
        # No long-lived loop here: push now rather than leave a task to die with the loop.
        await c.task


async def lists_changed(workshop_id: int, *, audience: bool = False) -> None:
    c = coalescer()
    c.mark_panel(workshop_id=workshop_id, audience=audience)
    if not c.serving:
        await c.task

"""A queue for one reader, at a twentieth of asyncio.Queue's memory while it is empty.

Every open socket has two queues that sit empty nearly all the time: daphne's input queue
for the client's frames, and the channel layer's queue for the socket's channel. An
asyncio.Queue costs about 3.3 KB even when empty (three deques of 760 bytes, made up front,
and an asyncio.Event that nothing here waits on): 6.5 KB of the 37 KB a phone's socket held
(docs/performance.md, "Memory"). `LeanQueue` keeps nothing until a message comes: its list
of items and its list of waiting readers are made when needed and dropped when empty, so an
idle queue is one small object (about 70 bytes).

It has the part of asyncio.Queue's interface that daphne and the in-memory channel layer
use (put_nowait, get, get_nowait, empty, full, qsize, maxsize), with asyncio.Queue's
behaviour: items in order, a full queue refuses with asyncio.QueueFull, several readers
are woken one per item, and a reader cancelled just after being woken passes the wake-up
on. It is not a general replacement: no join/task_done and no waiting put.
"""

import asyncio


class LeanQueue:
    __slots__ = ("_getters", "_items", "maxsize")

    def __init__(self, maxsize: int = 0):
        self.maxsize = maxsize
        self._items: list | None = None  # made on the first item, dropped when empty
        self._getters: list[asyncio.Future] | None = None  # readers waiting, oldest first

    # An empty queue is still a queue: daphne tests `if self.application_queue:`.
    def __bool__(self) -> bool:
        return True

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= self.qsize()

    def first(self):
        """The oldest item, left in the queue (the channel layer's expiry sweep)."""
        return self._items[0]

    def put_nowait(self, item) -> None:
        if self.full():
            raise asyncio.QueueFull
        if self._items is None:
            self._items = [item]
        else:
            self._items.append(item)
        self._wake_next()

    def get_nowait(self):
        if not self._items:
            raise asyncio.QueueEmpty
        # A list's pop(0) moves the rest along; the queues here hold one or two items, at
        # most the layer's capacity.
        item = self._items.pop(0)
        if not self._items:
            self._items = None
        return item

    async def get(self):
        while not self._items:
            getter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = [getter]
            else:
                self._getters.append(getter)
            try:
                await getter
            except BaseException:
                # As asyncio.Queue.get: forget this reader, and if it had been woken for an
                # item it will not take, wake the next one.
                getter.cancel()
                if self._getters is not None and getter in self._getters:
                    self._getters.remove(getter)
                    if not self._getters:
                        self._getters = None
                if self._items and not getter.cancelled():
                    self._wake_next()
                raise
        return self.get_nowait()

    def _wake_next(self) -> None:
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break
        if not self._getters:
            self._getters = None

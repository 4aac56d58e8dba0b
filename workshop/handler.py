"""Django's ASGI handler, with pages served on a fixed set of long-lived request threads.

Django's own handler gives every request a thread of its own (a ThreadSensitiveContext with
no executor) and a second thread to join it afterwards. The database connection is kept per
thread, so under that handler each page also opens a new connection (SQLite: its PRAGMAs
and functions; PostgreSQL: a new backend) and leaves it behind with the thread: about a
third of a phone page's server CPU (docs/performance.md, "Doors open").

Here each request runs on one of WORKSHOP_REQUEST_THREADS threads that live as long as the
process, so its connection is reused as CONN_MAX_AGE intends. One request at a time per
thread, as with Django's; when every thread is busy a request waits for the first one free (in
arrival order). The sockets' database work does not use these threads (workshop.live has its
own).

The middleware chain and the view run in that thread in one go, as under WSGI. Django's
ASGI handler runs the chain in async mode instead, which crosses between the event loop and
a thread at every middleware that is sync only (WhiteNoise's) and again at the view, each
crossing a wake-up of the other side: three crossings a page. The app's views and
middleware are all synchronous, so one crossing is all a request needs.
"""

import asyncio
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import FileResponse


class RequestThreads:
    """A pool of single-thread executors, handed out one per request."""

    def __init__(self, size: int):
        if size < 1:
            raise ValueError("A pool needs at least one thread.")
        self.size = size
        self._idle: list[ThreadPoolExecutor] = []
        self._started = 0
        self._waiting: deque[asyncio.Future] = deque()

    async def acquire(self) -> ThreadPoolExecutor:
        if self._idle:
            return self._idle.pop()  # the most recently used: its caches are warm
        if self._started < self.size:
            self._started += 1
            return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release(waiter.result())  # handed over as the request went away
            raise

    def release(self, executor: ThreadPoolExecutor) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(executor)
                return
        self._idle.append(executor)

    @property
    def busy(self) -> int:
        return self._started - len(self._idle)


class PooledASGIHandler(ASGIHandler):
    def __init__(self, threads: int):
        base.BaseHandler.__init__(self)  # not ASGIHandler's: its chain is the async one
        self.load_middleware(is_async=False)
        self.threads = RequestThreads(threads)

    async def run_get_response(self, request):
        """The whole chain in the request's thread (ASGIHandler.run_get_response otherwise)."""
        response = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        response._handler_class = self.__class__
        if isinstance(response, FileResponse):  # the server chunks file bodies itself
            response.block_size = self.chunk_size
        return response

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = await self.threads.acquire()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.release(executor)

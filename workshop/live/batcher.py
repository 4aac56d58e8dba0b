"""Ballots from sockets are written in batches: one transaction for whatever has queued up.

The ORM runs in one thread per process (database_sync_to_async is thread-sensitive), so a
transaction per ballot caps a process near a thousand ballots a second. Here each consumer
queues its ballot and awaits the result; one task takes everything queued so far, commits it
with voting.services.ballots_cast, and answers each consumer. An answer means committed.
There is no timer: while one batch commits, the next one gathers.
"""

import asyncio
import logging
import weakref

from channels.db import database_sync_to_async

from voting.services import BallotRequest, BallotResult, ballots_cast

log = logging.getLogger(__name__)

MAX_BATCH = 500


class BallotBatcher:
    def __init__(self):
        self.queue: list[tuple[BallotRequest, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    async def submit(self, request: BallotRequest) -> BallotResult:
        future = asyncio.get_running_loop().create_future()
        self.queue.append((request, future))
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self.queue:
                batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
                try:
                    results = await database_sync_to_async(ballots_cast)(
                        requests=[request for request, _ in batch]
                    )
                except Exception as error:
                    log.exception("a batch of %d ballots failed", len(batch))
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self.task = None


_batchers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BallotBatcher]" = (
    weakref.WeakKeyDictionary()
)


def batcher() -> BallotBatcher:
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        found = _batchers[loop] = BallotBatcher()
    return found

"""Catch-up for the pub/sub layer after its subscriber connection is replaced.

channels-redis's pub/sub layer receives everything for a worker through one subscriber
connection per Redis server. When that connection drops (Redis restarts, a network blip,
Redis cutting off a subscriber that reads too slowly), the layer reconnects and subscribes
again by itself, but whatever was published in between is lost, and nothing tells the
consumers: their receive waits on a local queue and never raises. (The core layer's receive
raises instead, which closes the sockets: sockets.py.) Measured here before this existed:
after a Redis restart the projector on the other worker never showed the next ballot.

So each serving loop watches its own subscriber connections from outside. The layer's
connections carry a client name with this worker's id (settings.REDIS_CLIENT_NAME), and every
CHECK seconds a separate connection asks Redis which subscriber connections by that name
exist (CLIENT LIST TYPE pubsub) and which Redis run it is talking to. If a connection seen
at the last look is gone, or Redis is another run, this worker may have missed pushes:
every socket is asked to reconnect, and each is sent the current state, as after a core
layer error. Pushes carry whole states, so the catch-up is complete.
"""

import asyncio
import logging
import weakref

from django.conf import settings
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from workshop.live import sockets

log = logging.getLogger(__name__)

CHECK = 0.5  # seconds between looks
TIMEOUT = 5.0  # seconds a look may take before it counts as Redis being away


class SubscriberWatch:
    def __init__(self, url: str, name: str):
        self.name = name
        self.redis = Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        self.seen: tuple[str, frozenset[int]] | None = None  # (Redis run id, connection ids)
        self.away = False

    async def look(self) -> tuple[str, frozenset[int]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.info("server")
            pipe.client_list(_type="pubsub")
            info, clients = await pipe.execute()
        ids = frozenset(int(c["id"]) for c in clients if c.get("name") == self.name)
        return info["run_id"], ids

    def replaced(self, now: tuple[str, frozenset[int]]) -> bool:
        """True if a subscriber connection seen last time is not there any more."""
        if self.seen is None:
            return False
        run_id, ids = self.seen
        return now[0] != run_id or not ids <= now[1]

    async def step(self) -> bool:
        """One look. Returns True if it asked every socket to reconnect."""
        try:
            now = await self.look()
        except ResponseError:
            raise  # Redis refused a command: not an outage (run() stops the watch)
        except (RedisError, OSError) as error:
            if not self.away:
                log.warning("pub/sub watch: Redis unavailable (%s)", error)
            self.away = True
            return False
        caught_up = False
        if self.replaced(now):
            sockets.reconnect_all(
                "the pub/sub subscriber connection was replaced; pushes may have been lost"
            )
            caught_up = True
        if self.away:
            log.warning("pub/sub watch: Redis is back")
        self.seen, self.away = now, False
        return caught_up

    async def run(self) -> None:
        # The first look is at once: it is the baseline, and a connection replaced before
        # it would go unnoticed.
        while True:
            try:
                await self.step()
            except ResponseError as error:
                log.error(
                    "pub/sub watch stopped: Redis refused CLIENT LIST or INFO (%s). Without "
                    "them a worker cannot tell that its subscriber connection was replaced, "
                    "and after a Redis restart its sockets would hear nothing more. Allow "
                    "them for this user (ACL: +client|setname +client|list +info) or set "
                    "WORKSHOP_REDIS_LAYER=core.",
                    error,
                )
                return
            except Exception:  # the watch must outlive anything one look runs into
                log.exception("pub/sub watch failed")
            await asyncio.sleep(CHECK)


class SubscriberErrors(logging.Filter):
    """channels-redis logs a full traceback every second while its subscriber connection is
    down (a Redis restart is an expected fault; the watch reports it). Keep each such error
    to one line; anything else passes unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, (RedisError, OSError)):
            record.msg, record.args = f"{record.getMessage()}: {error}", ()
            record.exc_info = record.exc_text = None
        return True


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task]" = (
    weakref.WeakKeyDictionary()
)


def watch_subscriber() -> None:
    """Start this loop's watch, once, if the channel layer is Redis pub/sub. Consumers call
    it when they connect."""
    if not (settings.REDIS_URL and settings.REDIS_LAYER == "pubsub"):
        return
    loop = asyncio.get_running_loop()
    task = _watches.get(loop)
    if task is None or task.done():
        watch = SubscriberWatch(settings.REDIS_URL, settings.REDIS_CLIENT_NAME)
        _watches[loop] = loop.create_task(watch.run())

"""A watch on Redis from outside the channel layer: catch-up after Redis restarts, or after
the pub/sub layer's subscriber connection is replaced.

A restarted Redis has forgotten every group the worker's sockets had joined, and (pub/sub)
whatever was published while the layer's subscriber connection was down is lost. The layer
itself does not reliably tell the consumers:
- pub/sub: the layer reconnects and subscribes again by itself; the consumers' receive waits
  on a local queue and never raises. Without this watch, after a Redis restart the
  projector on the other worker never shows the next ballot.
- core: only the one consumer blocked in the layer's read (BZPOPMIN) sees the connection
  drop. If that consumer is leaving at that moment (its task is cancelled), the error goes
  with it, the next consumer reads from the new Redis without error, and no one learns of
  the restart. With 5,000 phones on one worker and no watch, not one socket is closed in
  240 s after a Redis restart, and every phone hears nothing more.

So each serving loop looks at Redis every CHECK seconds through a connection of its own:
which Redis run it is (INFO run_id), and with pub/sub which subscriber connections carrying
this worker's client name (settings.REDIS_CLIENT_NAME) exist (CLIENT LIST TYPE pubsub, and
those seen at the last look by id, since one with nothing subscribed is not listed). If
Redis is another run, or a subscriber connection seen at the last look is gone, every socket
is asked to reconnect (sockets.py), and each is sent the current state when it is back.
Pushes carry whole states, so the catch-up is complete. After a restart, sockets that joined
their group once the new Redis was up (INFO uptime_in_seconds says when) are left alone:
they came back already, when a consumer's error sent every socket back before Redis was up
again and before this watch could see the new run.
"""

import asyncio
import logging
import time
import weakref

from django.conf import settings
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from workshop.live import sockets

log = logging.getLogger(__name__)

CHECK = 0.5  # seconds between looks
TIMEOUT = 5.0  # seconds a look may take before it counts as Redis being away


class RedisWatch:
    def __init__(self, url: str, name: str, pubsub: bool):
        self.name, self.pubsub = name, pubsub
        self.redis = Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        self.seen: tuple[str, frozenset[int]] | None = None  # (Redis run id, connection ids)
        self.away = False
        self.started = 0.0  # when the Redis of the last look started (time.time())

    async def look(self) -> tuple[str, frozenset[int]]:
        if not self.pubsub:
            info, ids = await self.redis.info("server"), frozenset()
        else:
            # A subscriber connection with nothing subscribed (its worker's sockets have all
            # left) is no longer listed as pub/sub, yet it is the same connection and nothing
            # was lost: the connections seen last time are also looked up by id.
            seen = sorted(self.seen[1]) if self.seen else []
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.info("server")
                pipe.client_list(_type="pubsub")
                if seen:
                    pipe.client_list(client_id=seen)
                info, *found = await pipe.execute()
            ids = frozenset(
                int(c["id"]) for clients in found for c in clients if c.get("name") == self.name
            )
        self.started = time.time() - info["uptime_in_seconds"]
        return info["run_id"], ids

    def lost(self, now: tuple[str, frozenset[int]]) -> tuple[str, float | None] | None:
        """What was lost since the last look, if anything, and which sockets must come back:
        those that joined their group before the time given (None: all of them)."""
        if self.seen is None:
            return None
        run_id, ids = self.seen
        if now[0] != run_id:
            # Uptime is in whole seconds: a socket that joined up to a second after the
            # restart is sent back too, rather than one from before it kept.
            return "Redis restarted; its groups and anything queued are gone", self.started + 1.0
        if not ids <= now[1]:
            reason = "the pub/sub subscriber connection was replaced; pushes may have been lost"
            return reason, None
        return None

    async def step(self) -> bool:
        """One look. Returns True if it asked every socket to reconnect."""
        try:
            now = await self.look()
        except ResponseError:
            raise  # Redis refused a command: not an outage (run() stops the watch)
        except (RedisError, OSError) as error:
            if not self.away:
                log.warning("Redis watch: Redis unavailable (%s)", error)
            self.away = True
            return False
        caught_up = False
        if found := self.lost(now):
            sockets.reconnect_all(*found)
            caught_up = True
        if self.away:
            log.warning("Redis watch: Redis is back")
        self.seen, self.away = now, False
        return caught_up

    def advice(self, error: ResponseError) -> str:
        if self.pubsub:
            return (
                f"CLIENT LIST or INFO ({error}). Without them a worker cannot tell that Redis "
                "restarted or that its subscriber connection was replaced, and its sockets "
                "could hear nothing more. Allow them for this user (ACL: +client|setname "
                "+client|list +info) or set WORKSHOP_REDIS_LAYER=core."
            )
        return (
            f"INFO ({error}). Without it a worker cannot tell that Redis restarted, and its "
            "sockets could hear nothing more. Allow it for this user (ACL: +info)."
        )

    async def run(self) -> None:
        # The first look is at once: it is the baseline, and a connection replaced before
        # it would go unnoticed.
        while True:
            try:
                await self.step()
            except ResponseError as error:
                log.error("Redis watch stopped: Redis refused %s", self.advice(error))
                return
            except Exception:  # the watch must outlive anything one look runs into
                log.exception("Redis watch failed")
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


def watch_redis() -> None:
    """Start this loop's watch, once, if the channel layer is on Redis. Consumers call it
    when they connect."""
    if not settings.REDIS_URL:
        return
    loop = asyncio.get_running_loop()
    task = _watches.get(loop)
    if task is None or task.done():
        watch = RedisWatch(
            settings.REDIS_URL, settings.REDIS_CLIENT_NAME, settings.REDIS_LAYER == "pubsub"
        )
        _watches[loop] = loop.create_task(watch.run())

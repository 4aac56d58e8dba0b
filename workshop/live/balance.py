"""Workers behind one address even out their phones after one of them restarts.

When a worker dies, nginx gives its phones' reconnects to the others; when it is started
again it gets only new connections, and the others keep the whole room until phones leave.
With WORKSHOP_REBALANCE on (scripts/serve.py turns it on: it needs a balancer that gives a
new connection to the least loaded worker, as deploy/nginx.conf's least_conn does), each
worker writes how many phones it serves to Redis every TICK seconds and reads the others'.
One that is over its share, look after look, while the room holds still, sends some of its
phones back as after a Redis restart (sockets.py: live.js reconnects within a short window
and is sent the current state): half of its excess per round, at most SHED_PER_ROUND, a
round every SETTLE seconds, so that those sent back have landed before it counts again and
the two sides meet without overshooting. Projectors and consoles stay where they are: the
room would see them blink.

A balancer that keeps a phone on the same worker (ip_hash, sticky sessions) would send the
phones straight back, and they would reconnect for nothing, again and again. So a worker
remembers which attendees it sent back; if most of them reconnect to it, it stops sending
phones back for PAUSE seconds and says so in its log.
"""

import asyncio
import collections
import logging
import math
import time
import weakref

from django.conf import settings
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from workshop.live import sockets
from workshop.live.groups import Surface

log = logging.getLogger(__name__)

KEY = "workshop-live:phones"  # a hash: worker id -> "<phones> <time.time()>"
TICK = 1.0  # seconds between looks; each look also says this worker is alive
FRESH = 1.5 * TICK  # an entry older than this is a worker that has gone (or is stuck)
FORGET = 60.0  # entries older than this are deleted
STEADY = 3  # looks in a row that must agree: same workers, this one over its share, and
STEADY_SLACK = 0.05  # the room's phones changing by less than this (filling, or returning)
MIN_EXCESS = 10  # phones: a smaller imbalance is not worth a reconnect
SHARE_SLACK = 0.1  # ... nor one under a tenth of the worker's share
SHED_FRACTION = 0.5  # of the excess, per round
SETTLE = 3.0  # seconds between rounds: those sent back land (their window is 2 s) and count
SHED_PER_ROUND = 240  # 80 a second: the other worker connects several hundred a second
PAUSE = 300.0  # seconds without sending phones back once they came straight back


def is_phone(consumer) -> bool:
    return getattr(consumer, "surface", None) == Surface.PHONE


class Balance:
    def __init__(self, redis, name: str):
        self.redis, self.name = redis, name
        self.sent: collections.deque[tuple[float, set[int]]] = collections.deque()  # attendees
        self.back: set[int] = set()  # of those, the ones that came back here
        self.last_sent = -math.inf
        self.paused_until = 0.0
        self.looks: collections.deque[tuple[frozenset[str], int]] = collections.deque(
            maxlen=STEADY
        )  # (workers, phones in all) of the latest looks that found this worker over

    async def loads(self, mine: int, now: float) -> dict[str, int]:
        """Publish this worker's phones; the phones of every worker alive."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(KEY, self.name, f"{mine} {now}")
            pipe.hgetall(KEY)
            _, entries = await pipe.execute()
        fresh, gone = {}, []
        for name, value in entries.items():
            phones, at = value.decode().split()
            if now - float(at) <= FRESH:
                fresh[name.decode()] = int(phones)
            elif now - float(at) > FORGET:
                gone.append(name)
        if gone:
            await self.redis.hdel(KEY, *gone)
        return fresh

    def excess(self, mine: int, loads: dict[str, int]) -> int:
        """How many phones over its share this worker has, when worth sending back."""
        if len(loads) < 2:
            return 0
        share = sum(loads.values()) / len(loads)
        over = mine - share
        return math.floor(over) if over >= max(MIN_EXCESS, SHARE_SLACK * share) else 0

    def steady(self, loads: dict[str, int], over: bool) -> bool:
        """Whether the last STEADY looks found this worker over its share, the same workers
        alive, and the room neither filling nor emptying: a worker that has just died is
        still listed for up to FRESH seconds while its phones arrive here, and a room
        filling up evens out by itself as nginx gives newcomers to the emptier worker."""
        if not over:
            self.looks.clear()
            return False
        self.looks.append((frozenset(loads), sum(loads.values())))
        totals = [total for _, total in self.looks]
        return (
            len(self.looks) == STEADY
            and len({workers for workers, _ in self.looks}) == 1
            and max(totals) - min(totals) <= max(MIN_EXCESS, STEADY_SLACK * max(totals))
        )

    def serve_here(self) -> None:
        """Hear of the phones that connect to this loop's sockets (phone_arrived)."""
        _balances[asyncio.get_running_loop()] = self

    def arrived(self, attendee_id: int | None) -> None:
        """A phone connected here: note it if it is one this worker sent back lately."""
        if attendee_id is not None and any(attendee_id in ids for _, ids in self.sent):
            self.back.add(attendee_id)

    def came_back(self, now: float) -> bool:
        """Whether most of the phones sent back a while ago came straight back here."""
        while self.sent and now - self.sent[0][0] > SETTLE * 4:
            _, ids = self.sent.popleft()
            self.back -= ids
        settled = set().union(*(ids for at, ids in self.sent if now - at >= SETTLE))
        return len(settled) >= 2 * MIN_EXCESS and len(settled & self.back) >= len(settled) / 2

    async def step(self, now: float) -> int:
        """One look. Returns how many phones it sent back."""
        mine = sockets.count(is_phone)
        loads = await self.loads(mine, now)
        excess = self.excess(mine, loads)
        steady = self.steady(loads, excess > 0)
        if now < self.paused_until:
            return 0
        if self.came_back(now):
            self.paused_until, self.sent, self.back = now + PAUSE, collections.deque(), set()
            log.warning(
                "Rebalancing paused for %.0f s: phones sent back came straight back to this "
                "worker. Does the balancer keep a phone on one worker (ip_hash, sticky "
                "sessions)? Rebalancing needs least_conn (deploy/nginx.conf); or set "
                "WORKSHOP_REBALANCE=0.",
                PAUSE,
            )
            return 0
        if not steady or now - self.last_sent < SETTLE:
            return 0
        n = min(SHED_PER_ROUND, max(1, math.ceil(excess * SHED_FRACTION)))
        total = sum(loads.values())
        reason = f"Rebalancing: {mine} phones on this worker, {total} on {len(loads)} workers"
        shed = sockets.send_back(n, is_phone, reason)
        self.sent.append((now, {c.attendee_id for c in shed if c.attendee_id is not None}))
        self.last_sent = now
        return len(shed)

    async def run(self) -> None:
        while True:
            try:
                await self.step(time.time())
            except ResponseError as error:  # refused a command: not an outage
                log.error(
                    "Rebalancing stopped: Redis refused %s. Allow HSET, HGETALL and HDEL on "
                    "the key %s for this user, or set WORKSHOP_REBALANCE=0.",
                    error,
                    KEY,
                )
                return
            except (RedisError, OSError):
                pass  # Redis is away: the watch (watch.py) reports it; try again next tick
            except Exception:  # the balance must outlive anything one look runs into
                log.exception("Rebalancing failed")
            await asyncio.sleep(TICK)


_balances: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Balance]" = (
    weakref.WeakKeyDictionary()
)
_tasks: set[asyncio.Task] = set()


def balance_workers() -> None:
    """Start this loop's balance, once, when rebalancing is on and workers share Redis.
    Consumers call it when they connect; under daphne, workshop/asgi.py at start."""
    if not (settings.REBALANCE and settings.REDIS_URL):
        return
    loop = asyncio.get_running_loop()
    if loop in _balances:
        return
    redis = Redis.from_url(
        settings.REDIS_URL, socket_timeout=TICK * 5, socket_connect_timeout=TICK * 5
    )
    balance = Balance(redis, settings.WORKER_ID)
    balance.serve_here()
    task = loop.create_task(balance.run())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def phone_arrived(attendee_id: int | None) -> None:
    """A phone connected to this worker (consumers.PhoneConsumer)."""
    balance = _balances.get(asyncio.get_running_loop())
    if balance is not None:
        balance.arrived(attendee_id)

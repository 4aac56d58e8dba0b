import asyncio
import hashlib
import weakref
from enum import StrEnum


class Surface(StrEnum):
    """The three surfaces. Also names the template folder and the group suffix."""

    PHONE = "phone"
    SCREEN = "screen"
    CONSOLE = "console"


def group_name(*, workshop_id: int, surface: Surface) -> str:
    """`session-<id>.<surface>`: ASCII and far under Channels' 100-character limit."""
    return f"session-{int(workshop_id)}.{Surface(surface).value}"


def login_group_name(*, session_key: str) -> str:
    """`login-<digest>`: the console sockets of one login session, told when it ends.

    A digest of the session key, not the key itself: group names show in Redis, and a
    session key is as good as the password until it expires."""
    digest = hashlib.sha256(f"workshop-live-login:{session_key}".encode()).hexdigest()
    return f"login-{digest[:40]}"


# Joining and leaving groups, at most this many Redis calls at once per process. Each call
# that finds no idle connection in channels-redis's pool opens a new one (redis-py's pool has
# no practical limit), so when thousands of sockets close together, after a Redis restart,
# every one of them opened its own connection to leave its group: measured here, 5,000
# leaves took 8.4 s of CPU and 5,000 Redis connections at once, against 0.5 s and 16
# connections in turn (docs/performance.md, "A Redis restart under a full room").
CALLS_AT_ONCE = 16
_limits: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = (
    weakref.WeakKeyDictionary()
)


def _limit() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if (limit := _limits.get(loop)) is None:
        limit = _limits[loop] = asyncio.Semaphore(CALLS_AT_ONCE)
    return limit


async def group_join(layer, group: str, channel: str) -> None:
    async with _limit():
        await layer.group_add(group, channel)


async def group_leave(layer, group: str, channel: str) -> None:
    async with _limit():
        await layer.group_discard(group, channel)

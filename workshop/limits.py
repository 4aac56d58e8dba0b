"""Rate limits on what attendees do, per client address and per attendee (docs/security.md).

Every limit is a count per fixed window of seconds. Two kinds of counter:

- New attendees per client address and workshop are counted in Django's cache: shared by
  every worker when REDIS_URL is set (Redis), in this process otherwise (the embedded run is
  one process). A refused join is answered with the seconds to wait.
- Ballots, questions, views and upvotes are counted in this process's memory, per client
  address and per attendee: checked on every socket frame, they must cost microseconds, not a
  round trip to Redis. With several workers an address's sockets are spread over them, so an
  address gets up to the worker count times its allowance; the join limit, which is shared,
  bounds how many attendees one address can bring.

The socket and the HTTP form call the same functions, so both paths refuse alike.
"""

import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int

    @classmethod
    def parse(cls, name: str, spec: str) -> "Limit":
        """'200/20' is 200 per 20 seconds."""
        count, _, seconds = spec.partition("/")
        limit = cls(name=name, count=int(count), seconds=int(seconds or 60))
        if limit.count < 1 or limit.seconds < 1:
            raise ValueError(f"{name}: a limit is 'COUNT/SECONDS', both at least 1 (got {spec!r})")
        return limit


def client_address(address: str | None) -> str:
    """The key for an address: an IPv6 address counts as its /64 (one device or home network
    can take any address in its /64), an IPv4 address as itself."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address) + "/64"
    return str(ip)


def _window(limit: Limit, now: float) -> tuple[int, float]:
    """The window `now` falls in, and the seconds until it ends."""
    index = math.floor(now / limit.seconds)
    return index, (index + 1) * limit.seconds - now


# --- shared counters (Django's cache) --------------------------------------------------------


def shared_take(limit: Limit, key: str, *, now: float | None = None) -> float:
    """Count one use of `key` against `limit` in the shared cache. Returns 0 when allowed,
    else the seconds until the window ends (the use is not counted)."""
    now = time.time() if now is None else now
    index, left = _window(limit, now)
    cache_key = f"limit:{limit.name}:{key}:{index}"
    # add() then incr(): both atomic in Redis and in the local-memory cache.
    cache.add(cache_key, 0, timeout=limit.seconds + 1)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # expired between the two calls: the window has just ended
        cache.add(cache_key, 1, timeout=limit.seconds + 1)
        used = 1
    if used > limit.count:
        return max(left, 0.001)
    return 0


# --- this process's counters -----------------------------------------------------------------

_counts: dict[tuple[str, str], tuple[int, int]] = {}  # (limit, key) -> (window, used)
_SWEEP_EVERY = 10_000
_since_sweep = 0


def local_take(limit: Limit, key: str, *, now: float | None = None) -> float:
    """Like shared_take, counted in this process only."""
    global _since_sweep
    now = time.time() if now is None else now
    index, left = _window(limit, now)
    slot = (limit.name, key)
    window, used = _counts.get(slot, (index, 0))
    if window != index:
        used = 0
    if used >= limit.count:
        _counts[slot] = (index, used)
        return max(left, 0.001)
    _counts[slot] = (index, used + 1)
    _since_sweep += 1
    if _since_sweep >= _SWEEP_EVERY:
        _sweep(now)
    return 0


def _sweep(now: float) -> None:
    """Forget counters of windows that have ended, so memory follows the active clients."""
    global _since_sweep
    _since_sweep = 0
    for (name, key), (window, _) in list(_counts.items()):
        limit = LIMITS.get(name)
        if limit is None or window < math.floor(now / limit.seconds):
            _counts.pop((name, key), None)


def local_reset() -> None:
    """Forget every local counter (tests start each with none)."""
    _counts.clear()


# --- the limits ------------------------------------------------------------------------------

# What each action is called in the limits, and in refusals.
ACTIONS = {
    "vote": "votes",
    "question_ask": "questions",
    "board_post": "views",
    "question_upvote": "upvotes",
    "question_unvote": "upvotes",
}


def _limits() -> dict[str, Limit]:
    spec = settings.WORKSHOP_LIMITS
    return {name: Limit.parse(name, value) for name, value in spec.items()}


LIMITS = _limits()


@receiver(setting_changed)
def _limits_changed(*, setting, **kwargs) -> None:
    """Tests that override WORKSHOP_LIMITS get their limits (and fresh counters)."""
    global LIMITS
    if setting == "WORKSHOP_LIMITS":
        LIMITS = _limits()
        local_reset()


def join_wait(*, workshop_id: int, address: str | None, now: float | None = None) -> float:
    """Count a new attendee from this address in this workshop. 0: allowed; else the seconds
    to wait before trying again."""
    return shared_take(
        LIMITS["joins_per_address"], f"{workshop_id}:{client_address(address)}", now=now
    )


def action_refusal(
    *,
    action: str,
    workshop_id: int,
    attendee_id: int | None,
    address: str | None,
    now: float | None = None,
) -> str | None:
    """A message when this attendee, or this address, has sent too many of `action` lately;
    None when it may go ahead (and it is counted)."""
    what = ACTIONS.get(action)
    if what is None:
        return None
    kind = "upvote" if action.startswith("question_") and action != "question_ask" else action
    # Questions and views also have a limit per attendee in their services, counted in the
    # database (exact across workers); votes and upvotes have theirs here.
    per_attendee = LIMITS.get(f"{kind}_per_attendee")
    if per_attendee is not None and attendee_id is not None:
        wait = local_take(per_attendee, str(attendee_id), now=now)
        if wait:
            return f"You have sent a lot of {what} just now. Please wait {_seconds(wait)}."
    wait = local_take(
        LIMITS[f"{kind}_per_address"], f"{workshop_id}:{client_address(address)}", now=now
    )
    if wait:
        return (
            f"Many {what} are arriving from your network at once. "
            f"Please try again in {_seconds(wait)}."
        )
    return None


def _seconds(wait: float) -> str:
    n = max(1, math.ceil(wait))
    return f"{n} second{'s' if n != 1 else ''}"

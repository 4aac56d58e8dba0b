"""How many phones are connected to this process, per workshop (for the console's turnout).

A phone is an attendee, not a socket: the tabs of one phone, or a script opening hundreds of
sockets on one cookie, count once. One attendee keeps at most
settings.WORKSHOP_SOCKETS_PER_ATTENDEE sockets here; a socket beyond that replaces the
attendee's oldest (usually a tab left open, or a socket whose phone dropped off the Wi-Fi
and that the server has not yet timed out), so a real phone is never locked out.

Each daphne process counts its own phones; with several workers the console adds up the
counts every worker reports (see coalesce.py). An attendee with sockets on two workers is
counted by both.
"""

from collections import Counter

from django.conf import settings

# (workshop id, attendee id) -> that attendee's sockets here, oldest first
_sockets: dict[tuple[int, int], list] = {}
_phones: Counter[int] = Counter()  # workshop id -> attendees with a socket here


def phone_connected(workshop_id: int, attendee_id: int, consumer) -> object | None:
    """Count this socket. Returns the consumer of a socket it replaces (to be closed by the
    caller), if the attendee already had the most sockets allowed."""
    key = (workshop_id, attendee_id)
    held = _sockets.setdefault(key, [])
    if not held:
        _phones[workshop_id] += 1
    held.append(consumer)
    if len(held) > settings.WORKSHOP_SOCKETS_PER_ATTENDEE:
        return held.pop(0)
    return None


def phone_disconnected(workshop_id: int, attendee_id: int, consumer) -> None:
    """Forget this socket (a socket forgotten already, or never counted, changes nothing)."""
    key = (workshop_id, attendee_id)
    held = _sockets.get(key)
    if held is None or consumer not in held:
        return
    held.remove(consumer)
    if not held:
        del _sockets[key]
        _phones[workshop_id] -= 1
        if _phones[workshop_id] <= 0:
            del _phones[workshop_id]


def phones_here(workshop_id: int) -> int:
    return _phones.get(workshop_id, 0)


def sockets_of(workshop_id: int, attendee_id: int) -> int:
    return len(_sockets.get((workshop_id, attendee_id), ()))


def workshops() -> list[int]:
    """The workshops with phones connected to this process."""
    return list(_phones)

"""How many phones are connected to this process, per workshop (for the console's turnout).

Each daphne process counts its own sockets; with several workers the console adds up the
counts every worker reports (see coalesce.py).
"""

from collections import Counter

_phones: Counter[int] = Counter()


def phone_connected(workshop_id: int) -> None:
    _phones[workshop_id] += 1


def phone_disconnected(workshop_id: int) -> None:
    _phones[workshop_id] -= 1
    if _phones[workshop_id] <= 0:
        del _phones[workshop_id]


def phones_here(workshop_id: int) -> int:
    return _phones.get(workshop_id, 0)


def workshops() -> list[int]:
    """The workshops with phones connected to this process."""
    return list(_phones)

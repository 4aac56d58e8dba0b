"""What changed, announced by the domain after commit; delivered to whoever subscribed.

Services write, then call `emit_on_commit(SomeEvent(...))` inside their transaction. Once the
transaction commits, each subscriber is called with the event, in the thread that committed
(a sync view, or the ORM thread behind `database_sync_to_async`); a rolled-back transaction
emits nothing. The domain apps know only these dataclasses: the live layer (workshop.live)
subscribes in its AppConfig and is the only code that turns an event into group messages for
the phones, the projector and the console (workshop/live/broadcast.py).

Each event's `name` follows `<app>.<noun>_<past-tense verb>`; the live layer uses the same
name as the Channels message type of the pushes it sends for it.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Event:
    name: ClassVar[str]


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    """The stage, the screen or a vote's state changed (LiveState.version went up)."""

    name: ClassVar[str] = "workshop.state_changed"
    workshop_id: int


@dataclass(frozen=True, slots=True)
class ScreenSecretRenewed(Event):
    """The projector has a new secret link; sockets opened with the old one must close."""

    name: ClassVar[str] = "workshop.screen_secret_renewed"
    workshop_id: int


@dataclass(frozen=True, slots=True)
class LoginEnded(Event):
    """A staff login ended (logout): its console sockets must stop at once."""

    name: ClassVar[str] = "workshop.login_ended"
    session_key: str


@dataclass(frozen=True, slots=True)
class TallyChanged(Event):
    """Ballots were committed: {poll id: workshop id} of the polls whose counts moved."""

    name: ClassVar[str] = "voting.tally_changed"
    polls: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListsChanged(Event):
    """The question list or the board changed (LiveState.panel_version went up).

    `audience`: an attendee's change (a question, an upvote, a view) rather than the
    facilitator's; the live layer spreads such pushes out when many come at once."""

    name: ClassVar[str] = "panel.lists_changed"
    workshop_id: int
    audience: bool = False


Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Call `subscriber(event)` after each commit that emitted an event. Idempotent."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def emit_on_commit(event: Event) -> None:
    """Deliver `event` to the subscribers once the current transaction commits (at once
    outside a transaction, as Django's on_commit does)."""
    transaction.on_commit(lambda: deliver(event))


def deliver(event: Event) -> None:
    """Hand `event` to every subscriber now. A subscriber that fails is logged and the
    others still run: the change is committed whatever a push does."""
    for subscriber in _subscribers:
        try:
            subscriber(event)
        except Exception:
            log.exception("subscriber %s failed on %s", subscriber.__qualname__, event.name)

"""Reads for the workshop and its agenda. Pages, pushes and tests all use these."""

import datetime
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    load_backend,
)
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from panel.models import Person
from workshop.codes import join_code_normalise
from workshop.models import AgendaItem, StageEvent, Workshop


def workshop_by_code(code: str) -> Workshop | None:
    """The workshop with this join code, whatever case or spacing was typed."""
    return Workshop.objects.filter(join_code=join_code_normalise(code)).first()


@dataclass(frozen=True)
class ScheduledItem:
    item: AgendaItem
    starts: datetime.time
    ends: datetime.time


def agenda_schedule(*, workshop: Workshop) -> list[ScheduledItem]:
    """The agenda with clock times, each item starting when the one before it ends."""
    items = workshop.agenda_items.prefetch_related(
        Prefetch("leads", queryset=Person.objects.order_by("position", "id"))
    )
    schedule, clock = [], workshop.starts_at
    for item in items:
        end = clock + datetime.timedelta(minutes=item.minutes)
        schedule.append(ScheduledItem(item=item, starts=clock.time(), ends=end.time()))
        clock = end
    return schedule


def agenda_timeline(*, workshop: Workshop) -> list[dict]:
    """The agenda with planned and actual times, one dict per item in agenda order.

    Planned: each item starts when the one before it ends, from the workshop's date and start
    time. Actual, from the StageEvents: `actual_start` is the first time the item became
    current, `actual_end` the moment the stage moved on after its last visit, and
    `actual_minutes` the time spent on it over all its `visits` (an item visited twice has
    both spells summed). An item still current, or never started, has no end and no actual
    minutes. `overrun_minutes` is the actual minutes over the plan, never negative.
    """
    items = list(workshop.agenda_items.all())
    events = list(
        StageEvent.objects.filter(workshop=workshop)
        .order_by("started_at", "id")
        .values_list("item_id", "started_at")
    )
    spells: dict[int, list[tuple[datetime.datetime, datetime.datetime | None]]] = {}
    for index, (item_id, started) in enumerate(events):
        if item_id is None:
            continue
        ended = events[index + 1][1] if index + 1 < len(events) else None
        spells.setdefault(item_id, []).append((started, ended))
    clock = timezone.make_aware(workshop.starts_at)
    timeline = []
    for item in items:
        planned_end = clock + datetime.timedelta(minutes=item.minutes)
        visits = spells.get(item.pk, [])
        ended = bool(visits) and all(end is not None for _, end in visits)
        actual_minutes = None
        if ended:
            seconds = sum((end - start).total_seconds() for start, end in visits)
            actual_minutes = round(seconds / 60, 1)
        overrun = None
        if actual_minutes is not None:
            overrun = round(max(0.0, actual_minutes - item.minutes), 1)
        timeline.append(
            {
                "position": item.position,
                "title": item.title,
                "kind": item.kind,
                "kind_label": item.get_kind_display(),
                "planned_start": clock,
                "planned_end": planned_end,
                "planned_minutes": item.minutes,
                "actual_start": visits[0][0] if visits else None,
                "actual_end": visits[-1][1] if visits else None,
                "actual_minutes": actual_minutes,
                "overrun_minutes": overrun,
                "visits": len(visits),
            }
        )
        clock = planned_end
    return timeline


def console_login_current(*, session_key: str | None, user_id: int | None) -> bool:
    """Whether the login a console socket opened with still stands, judged as Django judges
    an HTTP request's: the session still exists (logging out deletes it) and is this user's,
    the user is still active, the session's auth hash still matches (changing the password
    changes it) and the user may still run workshops.

    Unlike django.contrib.auth.get_user, this only reads: a stale session is left for the
    next HTTP request to flush.
    """
    if not session_key or user_id is None:
        return False
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(session.get(SESSION_KEY)) != str(user_id):
        return False
    backend_path = session.get(BACKEND_SESSION_KEY)
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    user = load_backend(backend_path).get_user(user_id)  # ModelBackend: None when inactive
    if user is None or not user.is_active:
        return False
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(session_hash, h) for h in hashes):
        return False
    return user.has_perm("workshop.run_workshop")

"""Reads for the workshop and its agenda. Pages, pushes and tests all use these."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch

from panel.models import Person
from workshop.codes import join_code_normalise
from workshop.models import AgendaItem, Workshop


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

"""Reads for the people taking part."""

from dataclasses import dataclass

from django.db.models import Prefetch

from panel.models import Person
from workshop.models import AgendaItem, Workshop


@dataclass(frozen=True)
class PeopleGroup:
    role: str
    heading: str
    people: list[Person]


_HEADINGS = {
    Person.Role.CHAIR: "Chair",
    Person.Role.PRESENTER: "Presenting the findings",
    Person.Role.PANELLIST: "Panel",
}


def people_by_role(*, workshop: Workshop) -> list[PeopleGroup]:
    """Chair, presenters, panel: each group in its display order, empty groups left out."""
    people = list(workshop.people.all())
    return [
        PeopleGroup(role=role, heading=heading, people=group)
        for role, heading in _HEADINGS.items()
        if (group := [p for p in people if p.role == role])
    ]


def person_get(*, workshop: Workshop, pk: int) -> Person | None:
    return (
        workshop.people.prefetch_related(
            Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("position", "id"))
        )
        .filter(pk=pk)
        .first()
    )

"""Builders for test data: plain functions with sensible defaults."""

import datetime
import itertools

from evidence.models import Finding, Report, Theme
from panel.models import Person
from workshop.models import AgendaItem, Workshop

_codes = itertools.count()
_CODE_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZ"


def _next_code() -> str:
    n = next(_codes)
    return "T" + "".join(
        _CODE_CHARS[(n // len(_CODE_CHARS) ** i) % len(_CODE_CHARS)] for i in range(4)
    )


def make_workshop(**fields) -> Workshop:
    defaults = {
        "title": "Evidence into action",
        "date": datetime.date(2026, 12, 3),
        "start_time": datetime.time(14, 0),
        "venue": "Room 1",
        "join_code": _next_code(),
    }
    return Workshop.objects.create(**{**defaults, **fields})


def make_person(*, workshop: Workshop, **fields) -> Person:
    defaults = {"name": "Dr Ada Lovelace", "role": Person.Role.PANELLIST}
    return Person.objects.create(workshop=workshop, **{**defaults, **fields})


def make_agenda_item(*, workshop: Workshop, **fields) -> AgendaItem:
    defaults = {"title": "Welcome", "kind": AgendaItem.Kind.WELCOME, "minutes": 10}
    return AgendaItem.objects.create(workshop=workshop, **{**defaults, **fields})


def make_report(*, workshop: Workshop, **fields) -> Report:
    defaults = {"title": "A rapid evaluation", "short_title": "Rapid evaluation"}
    return Report.objects.create(workshop=workshop, **{**defaults, **fields})


def make_theme(*, workshop: Workshop, **fields) -> Theme:
    defaults = {"title": "Policy and history"}
    return Theme.objects.create(workshop=workshop, **{**defaults, **fields})


def make_finding(*, theme: Theme, report: Report, **fields) -> Finding:
    defaults = {"text": "Networks formed quickly."}
    return Finding.objects.create(theme=theme, report=report, **{**defaults, **fields})


def make_attendee(*, workshop: Workshop):
    from workshop.models import Attendee

    return Attendee.objects.create(workshop=workshop)


def make_voting_workshop(*, themes: int = 3, **fields) -> Workshop:
    """A workshop with `themes` themes and a three-item agenda, ready to vote."""
    workshop = make_workshop(**fields)
    for i in range(themes):
        make_theme(workshop=workshop, title=f"Theme {i + 1}", position=i)
    for i, kind in enumerate(["welcome", "vote", "panel"]):
        make_agenda_item(workshop=workshop, title=f"Item {i + 1}", kind=kind, position=i)
    return workshop


def log_in(client, username: str, password: str) -> None:
    """Log `client` in as staff do: through admin's login form, with django-axes counting."""
    response = client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}
    )
    assert response.status_code == 302, "the login was refused"

"""Writes for workshops and their content. Admin, commands and tests all come through here."""

import secrets
from dataclasses import dataclass
from types import ModuleType

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from evidence.models import Finding, Report, Theme
from panel.models import Person
from workshop.codes import join_code_random
from workshop.models import AgendaItem, Workshop

FACILITATORS_GROUP = "Facilitators"
RUN_PERMISSION = "workshop.run_workshop"


def join_code_unused(*, length: int = 5) -> str:
    """A random join code no workshop has yet (offered as the default in admin)."""
    while True:
        code = join_code_random(length)
        if not Workshop.objects.filter(join_code=code).exists():
            return code


def _upsert(model, *, lookup: dict, values: dict):
    """Like update_or_create, but saves only when a value differs: a re-run writes nothing."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save()
    return obj


@transaction.atomic
def workshop_load(*, content: ModuleType) -> Workshop:
    """Create or bring up to date the workshop described by a content module.

    The module holds WORKSHOP, PEOPLE, REPORTS, THEMES and AGENDA (see workshop/demo/pcn.py).
    Rows are matched by join code, name, title and position, so a second run with the same
    content changes nothing, and a run after the content changed updates it in place.
    """
    fields = dict(content.WORKSHOP)
    code = fields.pop("join_code")
    workshop = _upsert(Workshop, lookup={"join_code": code}, values=fields)

    people = {}
    for position, spec in enumerate(content.PEOPLE):
        spec = dict(spec)
        key = spec.pop("key")
        people[key] = _upsert(
            Person,
            lookup={"workshop": workshop, "name": spec.pop("name")},
            values={**spec, "position": position},
        )

    reports = {}
    for position, spec in enumerate(content.REPORTS):
        spec = dict(spec)
        key = spec.pop("key")
        spec["key_points"] = "\n".join(spec["key_points"])
        reports[key] = _upsert(
            Report,
            lookup={"workshop": workshop, "title": spec.pop("title")},
            values={**spec, "position": position},
        )

    for position, spec in enumerate(content.THEMES):
        theme = _upsert(
            Theme,
            lookup={"workshop": workshop, "title": spec["title"]},
            values={"description": spec["description"], "position": position},
        )
        for f_position, finding in enumerate(spec["findings"]):
            _upsert(
                Finding,
                lookup={"theme": theme, "position": f_position},
                values={
                    "text": finding["text"],
                    "report": reports[finding["report"]],
                    "location": finding["location"],
                },
            )
        theme.findings.filter(position__gte=len(spec["findings"])).delete()

    for position, spec in enumerate(content.AGENDA):
        item = _upsert(
            AgendaItem,
            lookup={"workshop": workshop, "position": position},
            values={
                "title": spec["title"],
                "kind": spec["kind"],
                "minutes": spec["minutes"],
                "description": spec["description"],
            },
        )
        item.leads.set([people[key] for key in spec["leads"]])  # set() skips unchanged links
    workshop.agenda_items.filter(position__gte=len(content.AGENDA)).delete()
    return workshop


def facilitators_group_ensure() -> Group:
    """The group whose members may run the console and edit workshop content in admin."""
    group, _ = Group.objects.get_or_create(name=FACILITATORS_GROUP)
    app_models = {
        "workshop": ["workshop", "agendaitem"],
        "evidence": ["theme", "finding", "report"],
        "panel": ["person"],
    }
    perms = Permission.objects.filter(content_type__app_label__in=app_models).filter(
        codename__regex=r"^(add|change|delete|view)_"
    )
    wanted = [p for p in perms if p.content_type.model in app_models[p.content_type.app_label]]
    wanted.append(Permission.objects.get(codename="run_workshop"))
    group.permissions.add(*wanted)
    return group


@dataclass(frozen=True)
class FacilitatorLogin:
    username: str
    password: str | None  # None: the account existed and its password was left alone
    created: bool


@transaction.atomic
def facilitator_ensure(*, username: str, password: str | None = None) -> FacilitatorLogin:
    """Make sure a staff account in the Facilitators group exists.

    Creates it with the given (or a generated) password; an existing account keeps its
    password unless one is given.
    """
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"is_staff": True})
    if created and password is None:
        password = secrets.token_urlsafe(12)
    if password is not None:
        user.set_password(password)
    user.is_staff = True
    user.is_active = True
    user.save()
    user.groups.add(facilitators_group_ensure())
    return FacilitatorLogin(username=username, password=password, created=created)

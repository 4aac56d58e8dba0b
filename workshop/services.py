"""Writes for workshops and their content. Admin, commands and tests all come through here."""

import datetime
import math
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from evidence.models import Finding, Report, Theme
from panel.models import Person
from voting.models import Poll
from workshop import limits
from workshop.codes import join_code_random
from workshop.content import WorkshopContent
from workshop.events import ScreenSecretRenewed, StateChanged, emit_on_commit
from workshop.models import AgendaItem, Attendee, LiveState, StageEvent, Workshop

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
def workshop_load(*, content: WorkshopContent) -> Workshop:
    """Create or bring up to date the workshop described by checked content.

    The content comes from a file read by workshop.content.content_read (the demo is
    workshop/demo/pcn.toml). Rows are matched by join code, name, title and position, so a
    second run with the same content changes nothing, and a run after the content changed
    updates it in place. All of it is one transaction: a failure part way writes nothing.
    """
    fields = dict(content.workshop)
    code = fields.pop("join_code")
    workshop = _upsert(Workshop, lookup={"join_code": code}, values=fields)

    people = {}
    for position, spec in enumerate(content.people):
        spec = dict(spec)
        key = spec.pop("key")
        people[key] = _upsert(
            Person,
            lookup={"workshop": workshop, "name": spec.pop("name")},
            values={**spec, "position": position},
        )

    reports = {}
    for position, spec in enumerate(content.reports):
        spec = dict(spec)
        key = spec.pop("key")
        spec["key_points"] = "\n".join(spec["key_points"])
        reports[key] = _upsert(
            Report,
            lookup={"workshop": workshop, "title": spec.pop("title")},
            values={**spec, "position": position},
        )

    for position, spec in enumerate(content.themes):
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

    for position, spec in enumerate(content.agenda):
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
    workshop.agenda_items.filter(position__gte=len(content.agenda)).delete()
    return workshop


def facilitators_group_ensure() -> Group:
    """The group whose members may run the console and edit workshop content in admin."""
    group, _ = Group.objects.get_or_create(name=FACILITATORS_GROUP)
    app_models = {
        "workshop": ["workshop", "agendaitem"],
        "evidence": ["theme", "finding", "report"],
        "panel": ["person", "question", "boardpost"],
        # The vote's audit trail: shown read-only; its delete permission lets a workshop be
        # deleted whole (admin refuses to delete its rows on their own).
        "voting": ["poll", "pollevent", "ballotchange"],
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


# The generated facilitator password is kept in var/ so that `make run` can print it at every
# start, but only while it is the account's password: once someone sets another one (admin's
# password form, `manage.py changepassword`, anything that calls set_password), the file is
# deleted (workshop.passwords.ForgetKeptPassword), and `make run` checks again at start.


def facilitator_password_path(*, username: str):
    return settings.VAR_DIR / f"{username}-password"


def facilitator_password_keep(*, username: str, password: str) -> None:
    """Keep the password in var/<username>-password, readable by its owner only."""
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = facilitator_password_path(username=username)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have been created with looser modes
    with os.fdopen(fd, "w") as f:
        f.write(password)


def facilitator_password_forget(*, username: str) -> bool:
    """Delete the kept password; whether there was one."""
    try:
        facilitator_password_path(username=username).unlink()
    except FileNotFoundError:
        return False
    return True


def facilitator_password_kept(*, username: str) -> str | None:
    """The kept password while it still opens the account; otherwise the file is deleted
    (the password was changed in a way that did not pass through set_password's save, e.g. a
    database restored from elsewhere) and None is returned."""
    path = facilitator_password_path(username=username)
    try:
        kept = path.read_text().strip()
    except FileNotFoundError:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.check_password(kept):
        facilitator_password_forget(username=username)
        return None
    return kept


# --- Live session ------------------------------------------------------------------------------
# Every change to what the room sees goes through these functions. Each bumps LiveState.version
# and broadcasts after commit, so the console that caused a change updates the same way as
# every other screen.


class JoinThrottled(ValidationError):
    """Too many phones joined from one address lately; `wait` is the seconds until the next
    may try. A refused phone retries by itself (static/js/live.js) or on its next tap."""

    def __init__(self, wait: float):
        self.wait = max(1, math.ceil(wait))
        super().__init__(
            "Many phones are joining from your network at once. "
            f"Please try again in {self.wait} second{'s' if self.wait != 1 else ''}."
        )


def attendee_join(*, workshop: Workshop, address: str | None, now: float | None = None) -> Attendee:
    """A new anonymous attendee for a phone that joined (the view sets the signed cookie).

    Refuses with JoinThrottled past the limit of new attendees per client address and
    workshop (settings.WORKSHOP_LIMITS["joins_per_address"]); `now` (a time.time()) is for
    tests that replay an arrival over time."""
    wait = limits.join_wait(workshop_id=workshop.pk, address=address, now=now)
    if wait:
        raise JoinThrottled(wait)
    return Attendee.objects.create(workshop=workshop)


@dataclass(frozen=True)
class AttendeePurge:
    removed: int  # attendee rows deleted
    kept_for_open_vote: int  # attendees left for now: their workshop's vote is open


def attendees_purge(*, joined_before: datetime.datetime) -> AttendeePurge:
    """Delete the attendees who joined before `joined_before`; keep what they contributed.

    Their ballots, questions, upvotes and board posts stay (vote tallies, upvote counts and
    the board do not change) but lose their link to the attendee, so nothing is left that
    ties them to one phone. Attendee ids are never reused (AUTOINCREMENT on SQLite, a sequence
    on PostgreSQL), so a purged attendee's cookie names nobody: it cannot vote or ask again.

    Attendees of a workshop whose vote is open are left until the vote closes (the next purge
    takes them): their ballots must stay tied to them, or a phone that joined again could vote
    twice in the same vote. Each workshop is purged in its own transaction, under the lock on
    its live state that opening a vote takes, so a vote cannot open halfway through.
    """
    removed = kept = 0
    old = Attendee.objects.filter(joined_at__lt=joined_before)
    workshop_ids = list(old.values_list("workshop_id", flat=True).distinct().order_by())
    for workshop_id in workshop_ids:
        with transaction.atomic():
            live_state_lock(workshop_id=workshop_id)
            attendees = old.filter(workshop_id=workshop_id)
            if Poll.objects.filter(workshop_id=workshop_id, state=Poll.State.OPEN).exists():
                kept += attendees.count()
                continue
            # Lock the rows first: a question or upvote arriving for one of them meanwhile
            # waits, then finds the attendee gone, instead of failing this purge at commit.
            list(attendees.select_for_update().order_by("pk").values_list("pk", flat=True))
            _, deleted = attendees.delete()
            removed += deleted.get(Attendee._meta.label, 0)
    return AttendeePurge(removed=removed, kept_for_open_vote=kept)


def live_state_ensure(*, workshop: Workshop) -> LiveState:
    """The workshop's live state row (with its projector secret), created on first use."""
    state, _ = LiveState.objects.get_or_create(workshop=workshop)
    return state


def live_state_lock(*, workshop_id: int) -> LiveState:
    """The workshop's live state row, created on first use and locked for this transaction."""
    LiveState.objects.get_or_create(workshop_id=workshop_id)
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join.
    return (
        LiveState.objects.select_for_update(of=("self",))
        .select_related("current_item")
        .get(workshop_id=workshop_id)
    )


def live_state_touch(*, state: LiveState) -> None:
    """Save a changed live state with a new version and announce it after commit."""
    state.version += 1
    state.save()
    emit_on_commit(StateChanged(workshop_id=state.workshop_id))


@transaction.atomic
def stage_goto(*, workshop: Workshop, item_id: int | None, actor: str = "") -> LiveState:
    """Make an agenda item current (None: back to 'not started'). Restarts its countdown and
    appends a StageEvent, the agenda timeline's record of when each item really ran.

    Refuses an item of another workshop.
    """
    state = live_state_lock(workshop_id=workshop.pk)
    item = None
    if item_id is not None:
        item = AgendaItem.objects.filter(workshop=workshop, pk=item_id).first()
        if item is None:
            raise ValidationError("That agenda item is not part of this workshop.")
    now = timezone.now()
    state.current_item = item
    state.item_started_at = now if item else None
    live_state_touch(state=state)
    StageEvent.objects.create(workshop=workshop, item=item, started_at=now, actor=actor)
    return state


def _neighbour(*, workshop: Workshop, step: int) -> int | None:
    items = list(workshop.agenda_items.values_list("pk", flat=True))
    if not items:
        raise ValidationError("This workshop has no agenda items yet.")
    state = LiveState.objects.filter(workshop=workshop).first()
    current = state.current_item_id if state else None
    if current not in items:
        return items[0] if step > 0 else None
    index = items.index(current) + step
    if index >= len(items):
        raise ValidationError("This is the last agenda item.")
    if index < 0:
        raise ValidationError("This is the first agenda item.")
    return items[index]


@transaction.atomic
def stage_next(*, workshop: Workshop, actor: str = "") -> LiveState:
    """Move to the next agenda item (from 'not started', to the first). Refuses past the end."""
    live_state_lock(workshop_id=workshop.pk)
    return stage_goto(workshop=workshop, item_id=_neighbour(workshop=workshop, step=1), actor=actor)


@transaction.atomic
def stage_previous(*, workshop: Workshop, actor: str = "") -> LiveState:
    """Move back one agenda item. Refuses before the first."""
    live_state_lock(workshop_id=workshop.pk)
    target = _neighbour(workshop=workshop, step=-1)
    if target is None:
        raise ValidationError("This is the first agenda item.")
    return stage_goto(workshop=workshop, item_id=target, actor=actor)


@transaction.atomic
def screen_secret_renew(*, workshop: Workshop) -> LiveState:
    """Give the projector a new secret link, for a link that has been seen by people who
    should not have it. The old link stops working at once: its page is not found, and,
    after commit, its open sockets close and the consoles show the new link."""
    state = live_state_lock(workshop_id=workshop.pk)
    state.screen_secret = LiveState._meta.get_field("screen_secret").get_default()
    live_state_touch(state=state)
    emit_on_commit(ScreenSecretRenewed(workshop_id=state.workshop_id))
    return state


@transaction.atomic
def screen_show(*, workshop: Workshop, screen: str) -> LiveState:
    """Choose what the projector shows. Refuses an unknown choice."""
    if screen not in LiveState.Screen.values:
        raise ValidationError("Choose what the screen shows from the list.")
    state = live_state_lock(workshop_id=workshop.pk)
    state.screen = screen
    live_state_touch(state=state)
    return state


@transaction.atomic
def screen_countdown_show(*, workshop: Workshop, show: bool) -> LiveState:
    """Show (or hide) the current agenda item's countdown on the projector."""
    state = live_state_lock(workshop_id=workshop.pk)
    if state.screen_countdown != show:
        state.screen_countdown = show
        live_state_touch(state=state)
    return state


# --- Content edited by organisers ---------------------------------------------------------------
# Phones are sent their card and lists from caches keyed by LiveState.version and panel_version
# (workshop.render), in every worker. An edit that left both versions alone would go on being
# served from there, live and on reload, while pages read straight from the database changed:
# so every saved edit moves both versions on and is announced like any other change.


def content_workshop_id(obj: models.Model) -> int | None:
    """The workshop a piece of content belongs to (a workshop, an agenda item, a theme, a
    finding, a report, a person or a poll)."""
    if isinstance(obj, Workshop):
        return obj.pk
    if isinstance(obj, Finding):
        return Theme.objects.filter(pk=obj.theme_id).values_list("workshop_id", flat=True).first()
    return getattr(obj, "workshop_id", None)


@transaction.atomic
def content_changed(*, workshop_id: int) -> None:
    """Every surface of the workshop redraws from the database: the live version and, once
    questions or views exist, the panel version move on, and the change is announced."""
    state = live_state_lock(workshop_id=workshop_id)  # locked: the increments cannot race
    if state.panel_version:
        state.panel_version += 1  # the state push sends the lists too (live.broadcast)
    live_state_touch(state=state)


@transaction.atomic
def content_save(
    *, saved: Iterable[models.Model] = (), deleted: Iterable[models.Model] = ()
) -> None:
    """Save organisers' edits (admin's forms and inlines, already validated there) and
    delete what they removed, then redraw every surface of each workshop touched, once.
    A deleted workshop takes its surfaces with it: there is nothing left to redraw."""
    workshop_ids = []
    for obj in saved:
        obj.save()
        workshop_ids.append(content_workshop_id(obj))
    for obj in deleted:
        workshop_ids.append(None if isinstance(obj, Workshop) else content_workshop_id(obj))
        obj.delete()
    for workshop_id in dict.fromkeys(workshop_ids):
        if workshop_id is not None and Workshop.objects.filter(pk=workshop_id).exists():
            content_changed(workshop_id=workshop_id)

"""Render each surface's live partials once, for every socket of that surface.

Phones differ only by the attendee's choice in the current vote, so the phone card is
rendered once per option (plus once for "not voted") and each phone's consumer picks its
variant. Renders are cached by (workshop, live version): acknowledging a thousand votes
costs dictionary look-ups, not a thousand renders.
"""

import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import get_template, render_to_string
from django.template.utils import get_app_template_dirs
from django.urls import reverse
from django.utils.safestring import mark_safe

from panel.models import TEXT_LIMIT, Question
from panel.selectors import (
    board_posts,
    board_posts_console,
    board_posts_held_of,
    question_get,
    questions_queue,
    questions_visible,
)
from voting.models import Poll
from voting.selectors import Tally
from workshop.models import LiveState
from workshop.snapshot import LiveSnapshot, live_snapshot

NO_CHOICE = ""


def templates_compile() -> list[str]:
    """Compile the project's own templates into the cached loader now, at start-up (the
    server calls this before freezing its start-up objects), so the first vote after a
    restart does not compile them on the database thread in the middle of a burst."""
    dirs = [*settings.TEMPLATES[0]["DIRS"], *get_app_template_dirs("templates")]
    names = []
    for root in map(Path, dirs):
        if root.is_relative_to(settings.BASE_DIR) and ".venv" not in root.parts:
            names += [p.relative_to(root).as_posix() for p in sorted(root.rglob("*.html"))]
    # The project's overrides of Django's admin templates serve admin pages only, never a push.
    names = [name for name in names if not name.startswith("admin/")]
    for name in names:
        get_template(name)
    return names


def screen_mode(snap: LiveSnapshot) -> str:
    """What the projector shows: the facilitator's pick, or (auto) what the session is at."""
    if snap.state.screen != LiveState.Screen.AUTO:
        return snap.state.screen
    poll = snap.poll
    if poll and poll.state in (Poll.State.OPEN, Poll.State.CLOSED):
        return "vote"
    if poll and poll.state == Poll.State.DECIDED and snap.chosen_theme:
        # The decision stays on screen until the facilitator moves the agenda on: from then
        # on the projector follows the agenda again.
        started = snap.state.item_started_at
        if not (started and poll.decided_at and started > poll.decided_at):
            return "theme"
    return "stage"


def phone_html(snap: LiveSnapshot, *, choice: int | None, csrf_token: str = "") -> str:
    titles = {t.pk: t.title for t in snap.options}
    context = {
        "snap": snap,
        "choice": choice,
        "choice_title": titles.get(choice, ""),
        "csrf_token": csrf_token,
    }
    return render_to_string("voting/phone/live.html#card", context) + render_to_string(
        "voting/phone/live.html#banner", context
    )


def phone_variants(snap: LiveSnapshot) -> dict[str, str]:
    """The phone card and banner for each possible choice, keyed by theme id ("" = none)."""
    variants = {NO_CHOICE: phone_html(snap, choice=None)}
    for theme in snap.options:
        variants[str(theme.pk)] = phone_html(snap, choice=theme.pk)
    return variants


def _board_theme_id(snap: LiveSnapshot) -> int | None:
    return snap.chosen_theme.pk if snap.chosen_theme else None


def screen_context(snap: LiveSnapshot) -> dict:
    """What the projector's main area needs; panel data only for the modes that show it."""
    mode = screen_mode(snap)
    panel = {}
    workshop_id = snap.workshop.pk
    if mode == "question":
        panel["screen_question"] = question_get(
            workshop_id=workshop_id, pk=snap.state.screen_question_id
        )
    elif mode == "questions":
        panel["top"] = questions_visible(workshop_id=workshop_id, sort="top")[:5]
    elif mode == "board":
        panel["board"] = board_posts(workshop_id=workshop_id, theme_id=_board_theme_id(snap))
    return {"snap": snap, "mode": mode, "panel": panel}


def screen_main_html(snap: LiveSnapshot) -> str:
    return render_to_string("workshop/screen/screen.html#main", screen_context(snap))


def screen_phones_html(phones: int) -> str:
    """The projector's count of phones joined, swapped in by id."""
    return render_to_string("workshop/screen/screen.html#phones", {"phones": phones})


def screen_link_replaced_html() -> str:
    """The projector's page, once the console has given the projector a new link."""
    return render_to_string("workshop/screen/screen.html#replaced")


def console_panel_context(snap: LiveSnapshot) -> dict:
    held, posts = board_posts_console(workshop_id=snap.workshop.pk)
    return {
        "queue": questions_queue(workshop_id=snap.workshop.pk),
        "statuses": Question.Status.choices,
        "posts": posts,
        "held_posts": held,
    }


def console_html(snap: LiveSnapshot, *, phones: int | None) -> str:
    panel = console_panel_context(snap)
    context = {
        "snap": snap,
        "phones": phones,
        "screen_choices": LiveState.Screen.choices,
        "tie_rules": Poll.TieRule.choices,
        "csrf_token": "",
        **panel,
    }
    return "".join(
        render_to_string(name, context)
        for name in (
            "workshop/console/console.html#stage",
            "workshop/console/console.html#vote",
            "panel/console/panel.html#questions",
            "panel/console/panel.html#board",
        )
    )


def console_projector_context(*, join_code: str, secret: str) -> dict:
    """The console's projector link and the form that replaces it."""
    return {
        "screen_url": reverse("workshop:screen", kwargs={"code": join_code, "secret": secret}),
        "action_url": reverse("workshop:console-action", kwargs={"code": join_code}),
    }


def console_projector_html(*, join_code: str, secret: str) -> str:
    """Pushed to consoles when the projector gets a new link; the CSRF token is filled in
    by live.js from the page, as for the other pushed forms."""
    context = {**console_projector_context(join_code=join_code, secret=secret), "csrf_token": ""}
    return render_to_string("workshop/console/console.html#projector", context)


def phone_panel_payload(snap: LiveSnapshot) -> dict:
    """The question lists (both sorts) and the board, rendered once for every phone, with
    what each phone needs to patch in its own marks: vote counts and pending items."""
    workshop_id, code = snap.workshop.pk, snap.workshop.join_code
    base = {
        "code": code,
        "mine": set(),
        "upvoted": set(),
        "moderated": snap.workshop.moderate_questions,
    }
    html = []
    votes = {}
    for sort in ("top", "new"):
        questions = questions_visible(workshop_id=workshop_id, sort=sort)
        votes.update({q.pk: q.votes for q in questions})
        html.append(
            render_to_string(
                "panel/phone/questions.html#list",
                {**base, "list_id": f"questions-{sort}", "questions": questions},
            )
        )
    html.append(
        render_to_string(
            "panel/phone/board.html#board",
            {
                "board": board_posts(workshop_id=workshop_id, theme_id=_board_theme_id(snap)),
                "board_theme": snap.chosen_theme,
            },
        )
    )
    pending = {
        q.pk: render_to_string("panel/phone/questions.html#pending-item", {"q": q})
        for q in Question.objects.filter(workshop_id=workshop_id, status=Question.Status.PENDING)
    }
    return {
        "version": snap.state.panel_version,
        "html": "".join(html),
        "votes": {str(k): v for k, v in votes.items()},
        "pending": {str(k): v for k, v in pending.items()},
    }


# A phone's own marks on the shared question list, and its cleared text boxes, are sent per
# socket on top of the HTML rendered once for every phone. They depend on their arguments
# only and repeat across phones (every phone that upvoted a question gets the same pressed
# button), so each is rendered once and then served from memory: a push to a thousand
# phones costs look-ups, not a render per phone and mark.


@lru_cache(maxsize=4096)
def upvote_form(*, code: str, question_id: int, votes: int, pressed: bool) -> str:
    return render_to_string(
        "panel/phone/questions.html#upvote",
        {"code": code, "question_id": question_id, "votes": votes, "pressed": pressed},
    )


@lru_cache(maxsize=4096)
def mine_mark(*, question_id: int) -> str:
    return render_to_string("panel/phone/questions.html#mine-mark", {"question_id": question_id})


def my_pending(*, items: list[str]) -> str:
    """The attendee's own questions still waiting for approval. The items are the shared
    ones phone_panel_payload rendered; the channel layer carries them as plain strings."""
    return _my_pending(tuple(items))


@lru_cache(maxsize=256)
def _my_pending(items: tuple[str, ...]) -> str:
    safe = [mark_safe(item) for item in items]  # rendered by phone_panel_payload's template
    return render_to_string("panel/phone/questions.html#mine", {"pending_items": safe})


def my_held_html(*, attendee_id: int) -> tuple[str, bool]:
    """The attendee's own views waiting for approval (their board page's #my-held), and
    whether there are any. Read per phone, only on phones that may have some."""
    held = board_posts_held_of(attendee_id=attendee_id)
    return render_to_string("panel/phone/board.html#mine", {"held": held}), bool(held)


@lru_cache(maxsize=8)
def text_box(prefix: str, text: str = "") -> str:
    """A question's ("q") or a view's ("p") box, counter and key, emptied once the server
    has the text."""
    return render_to_string(
        "panel/phone/text.html#box", {"prefix": prefix, "text": text, "limit": TEXT_LIMIT}
    )


def screen_tally_html(*, tally: Tally, poll: Poll) -> str:
    show = bool(poll.revealed_at or (poll.state == Poll.State.OPEN and poll.show_bars))
    return render_to_string(
        "voting/screen/tally.html#tally",
        {
            "tally": tally,
            "show_bars": show,
            "decided_theme_id": poll.decided_theme_id,
            "revealed": bool(poll.revealed_at),
        },
    )


def console_tally_html(*, tally: Tally | None, phones: int | None) -> str:
    return render_to_string(
        "voting/console/tally.html#tally",
        {"tally": tally, "phones": phones, "leaders": tally.leaders if tally else []},
    )


@lru_cache(maxsize=64)
def qr_svg(url: str) -> str:
    """The join link as an inline SVG QR code (server-rendered, no JavaScript)."""
    # omitsize: a viewBox and no width or height, so the page's CSS sizes the drawing itself
    # (with a fixed size the drawing stayed at its pixel size in a larger box).
    return segno.make(url, error="m").svg_inline(
        scale=10,
        border=2,
        dark="#0b1d4d",
        light="#ffffff",
        title="QR code to join",
        omitsize=True,
    )


class VersionedCache:
    """Rendered pushes by (workshop id, version); small, thread-safe, least recent out."""

    def __init__(self, size: int = 64):
        self._items: OrderedDict[tuple[int, int], dict[str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, workshop_id: int, version: int) -> dict[str, str] | None:
        with self._lock:
            return self._items.get((workshop_id, version))

    def put(self, workshop_id: int, version: int, variants: dict[str, str]) -> None:
        with self._lock:
            self._items[(workshop_id, version)] = variants
            self._items.move_to_end((workshop_id, version))
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


phone_cache = VersionedCache()  # phone card variants by (workshop, live version)
panel_cache = VersionedCache()  # phone panel payloads by (workshop, panel version)


def phone_variants_at(*, workshop_id: int, version: int) -> tuple[int, dict[str, str]]:
    """The phone variants of this live version, from the cache; if they are not there, the
    current ones, rendered now (and their version, which may be newer)."""
    variants = phone_cache.get(workshop_id, version)
    if variants is None:
        snap = live_snapshot(workshop_id=workshop_id)
        variants = phone_variants(snap)
        phone_cache.put(workshop_id, snap.version, variants)
        version = snap.version
    return version, variants


def phone_panel_at(*, workshop_id: int, version: int) -> dict | None:
    """The phones' panel payload of this panel version, from the cache; if it is not there,
    the current one, rendered now. None at version 0 (no question or view yet)."""
    if not version:
        return None
    payload = panel_cache.get(workshop_id, version)
    if payload is None:
        payload = phone_panel_payload(live_snapshot(workshop_id=workshop_id))
        panel_cache.put(workshop_id, payload["version"], payload)
    return payload

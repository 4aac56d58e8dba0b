"""Reads for the post-session report (/s/<CODE>/report/): the workshop, its agenda timeline,
every vote, the questions and the views, as aggregates only. No attendee id leaves here: a
question carries the name its asker typed, if any, as the projector shows it.

The number of queries is fixed: it does not grow with ballots, questions or views (a test
holds it), so a large session renders as fast as a small one.
"""

import datetime
import math
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMinute
from django.utils import timezone

from evidence.models import Theme
from panel.models import BoardPost, Question
from voting.models import Ballot, Poll
from workshop.models import Attendee, LiveState, Workshop
from workshop.selectors import agenda_timeline

# The line chart's drawing area, in SVG user units (the viewBox scales it to the page).
LINE_W, LINE_H, LINE_LEFT, LINE_BOTTOM, LINE_TOP = 600, 220, 48, 36, 12
# The bar chart: one row per theme.
BAR_W, BAR_ROW, BAR_LABEL = 680, 34, 290


@dataclass
class ResultRow:
    theme_id: int
    title: str
    count: int
    percent: float
    decided: bool
    bar_y: int = 0
    bar_width: float = 0.0


@dataclass
class PollReport:
    poll: Poll
    rows: list[ResultRow]
    total: int
    joined_before_close: int | None
    turnout_percent: float | None
    changed: int
    minutes: list[tuple[int, int]]  # (minute since opening, ballots cast by its end)
    has_runoff: bool = False
    line_points: str = ""
    line_ticks: list[dict] = field(default_factory=list)
    bar_height: int = 0


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _line_chart(report: PollReport) -> None:
    """Points of the cumulative-ballots line, scaled into the chart's drawing area."""
    if not report.minutes:
        return
    last_minute = max(m for m, _ in report.minutes) or 1
    top = max(report.total, 1)
    width = LINE_W - LINE_LEFT - 8
    height = LINE_H - LINE_BOTTOM - LINE_TOP
    points = [(LINE_LEFT, LINE_H - LINE_BOTTOM)]
    for minute, total in report.minutes:
        x = LINE_LEFT + width * minute / last_minute
        y = LINE_H - LINE_BOTTOM - height * total / top
        points.append((round(x, 1), round(y, 1)))
    report.line_points = " ".join(f"{x},{y}" for x, y in points)
    report.line_ticks = [
        {"x": LINE_LEFT, "label": "0", "anchor": "middle"},
        {"x": LINE_LEFT + width, "label": f"{last_minute} min", "anchor": "end"},
    ]


def _bar_chart(report: PollReport) -> None:
    top = max((r.count for r in report.rows), default=0) or 1
    for index, row in enumerate(report.rows):
        row.bar_y = index * BAR_ROW
        row.bar_width = round((BAR_W - BAR_LABEL - 90) * row.count / top, 1)
    report.bar_height = max(len(report.rows) * BAR_ROW, BAR_ROW)


def report_polls(*, workshop: Workshop) -> list[PollReport]:
    """Every vote of the workshop in the order they opened, with counts and percentages per
    theme, turnout against the phones connected at the close (else those that had joined by
    then), and ballots per minute
    while it was open (by when each ballot was first cast)."""
    polls = list(
        Poll.objects.filter(workshop=workshop)
        .select_related("decided_theme", "runoff_of")
        .order_by("opened_at", "created_at", "id")
    )
    if not polls:
        return []
    ids = [p.pk for p in polls]
    options: dict[int, list[tuple[int, str]]] = {}
    for poll_id, theme_id, title in (
        Theme.objects.filter(polls__in=ids)
        .order_by("position", "id")
        .values_list("polls", "pk", "title")
    ):
        options.setdefault(poll_id, []).append((theme_id, title))
    counts: dict[tuple[int, int], int] = {}
    changed: dict[int, int] = {}
    for poll_id, theme_id, n, n_changed in (
        Ballot.objects.filter(poll_id__in=ids)
        .values_list("poll_id", "theme_id")
        .annotate(
            n=Count("id"),
            n_changed=Count("id", filter=Q(changed_at__gt=F("cast_at"))),
        )
        .values_list("poll_id", "theme_id", "n", "n_changed")
        .order_by()
    ):
        counts[(poll_id, theme_id)] = n
        changed[poll_id] = changed.get(poll_id, 0) + n_changed
    per_minute: dict[int, list[tuple[datetime.datetime, int]]] = {}
    for poll_id, minute, n in (
        Ballot.objects.filter(poll_id__in=ids)
        .annotate(minute=TruncMinute("cast_at", tzinfo=datetime.UTC))
        .values_list("poll_id", "minute")
        .annotate(n=Count("id"))
        .values_list("poll_id", "minute", "n")
        .order_by("poll_id", "minute")
    ):
        per_minute.setdefault(poll_id, []).append((minute, n))
    closed = {p.pk: p.closed_at for p in polls if p.closed_at}
    joined = {}
    if closed:
        joined = Attendee.objects.filter(workshop=workshop).aggregate(
            **{f"p{pk}": Count("id", filter=Q(joined_at__lte=at)) for pk, at in closed.items()}
        )
    parents = {p.runoff_of_id for p in polls if p.runoff_of_id}
    reports = []
    for poll in polls:
        total = sum(counts.get((poll.pk, t), 0) for t, _ in options.get(poll.pk, []))
        rows = [
            ResultRow(
                theme_id=t,
                title=title,
                count=counts.get((poll.pk, t), 0),
                percent=_percent(counts.get((poll.pk, t), 0), total),
                decided=t == poll.decided_theme_id,
            )
            for t, title in options.get(poll.pk, [])
        ]
        before = joined.get(f"p{poll.pk}")
        minutes, running = [], 0
        start = poll.opened_at
        for minute, n in per_minute.get(poll.pk, []):
            running += n
            # The bucket's end, in whole minutes since the vote opened.
            since = math.ceil((minute - start).total_seconds() / 60 + 1) if start else 0
            minutes.append((max(since, 0), running))
        report = PollReport(
            poll=poll,
            rows=rows,
            total=total,
            joined_before_close=before,
            # Against the phones connected at the close, as the console counted them; a vote
            # closed without the console's socket falls back to the phones that had joined.
            turnout_percent=(
                _percent(total, poll.phones_at_close)
                if poll.phones_at_close
                else _percent(total, before)
                if before
                else None
            ),
            changed=changed.get(poll.pk, 0),
            minutes=minutes,
            has_runoff=poll.pk in parents,
        )
        _line_chart(report)
        _bar_chart(report)
        reports.append(report)
    return reports


def report_questions(*, workshop: Workshop) -> dict:
    """The questions, most upvoted first within each state, and how many were approved
    (shown at some point), hidden and left waiting."""
    on_screen = (
        LiveState.objects.filter(workshop=workshop)
        .values_list("screen_question_id", flat=True)
        .first()
    )
    questions = list(
        Question.objects.filter(workshop=workshop)
        .select_related("theme", "panellist")
        .annotate(votes=Count("upvotes"))
        .order_by("-votes", "created_at", "id")
        .only(
            "text",
            "author_name",
            "status",
            "created_at",
            "theme__title",
            "panellist__name",
            "approved_at",
            "answered_at",
        )
    )
    order = {
        Question.Status.ANSWERED: 0,
        Question.Status.LIVE: 1,
        Question.Status.PENDING: 2,
        Question.Status.HIDDEN: 3,
    }
    rows = []
    for q in questions:
        if q.pk == on_screen:
            state = "On screen"
        elif q.status == Question.Status.ANSWERED:
            state = "Answered"
        elif q.status == Question.Status.HIDDEN:
            state = "Hidden"
        elif q.status == Question.Status.PENDING:
            state = "Waiting"
        else:
            state = "Live"
        rows.append({"question": q, "state": state, "order": order.get(q.status, 4)})
    rows.sort(key=lambda r: r["order"])
    return {
        "rows": rows,
        "total": len(rows),
        "answered": sum(q.status == Question.Status.ANSWERED for q in questions),
        "approved": sum(
            q.status in (Question.Status.LIVE, Question.Status.ANSWERED) for q in questions
        ),
        "hidden": sum(q.status == Question.Status.HIDDEN for q in questions),
        "waiting": sum(q.status == Question.Status.PENDING for q in questions),
        "upvotes": sum(q.votes for q in questions),
    }


def report_views(*, workshop: Workshop) -> dict:
    """The views on the board that everyone saw, grouped by opportunity/challenge and then by
    theme (untagged last), with counts of those held for approval or hidden."""
    posts = list(
        BoardPost.objects.filter(workshop=workshop)
        .select_related("theme")
        .order_by("created_at", "id")
        .only("kind", "text", "hidden", "held", "created_at", "theme__title", "theme__position")
    )
    groups = []
    labels = {BoardPost.Kind.OPPORTUNITY: "Opportunities", BoardPost.Kind.CHALLENGE: "Challenges"}
    for kind, label in labels.items():
        shown = [p for p in posts if p.kind == kind and not p.hidden and not p.held]
        by_theme: dict = {}
        for p in shown:
            by_theme.setdefault(p.theme, []).append(p)
        themes = sorted(
            by_theme.items(),
            key=lambda kv: (
                kv[0] is None,
                kv[0].position if kv[0] else 0,
                kv[0].pk if kv[0] else 0,
            ),
        )
        groups.append(
            {
                "kind": kind,
                "label": label,
                "count": len(shown),
                "themes": [
                    {"title": t.title if t else "No theme", "posts": ps} for t, ps in themes
                ],
            }
        )
    return {
        "groups": groups,
        "total": len(posts),
        "shown": sum(g["count"] for g in groups),
        "held": sum(p.held and not p.hidden for p in posts),
        "hidden": sum(p.hidden for p in posts),
    }


def report_context(*, workshop: Workshop) -> dict:
    """Everything the report page shows, read in a fixed number of queries."""
    return {
        "workshop": workshop,
        "timeline": agenda_timeline(workshop=workshop),
        "polls": report_polls(workshop=workshop),
        "questions": report_questions(workshop=workshop),
        "views": report_views(workshop=workshop),
        "generated_at": timezone.now(),
        "line": {
            "w": LINE_W,
            "h": LINE_H,
            "left": LINE_LEFT,
            "bottom": LINE_H - LINE_BOTTOM,
            "top": LINE_TOP,
        },
        "bar": {"w": BAR_W, "row": BAR_ROW, "label": BAR_LABEL},
    }

"""The workshop's exports: votes, questions, views and the agenda timeline as JSON and CSV
(read only).

Served at /s/<CODE>/export/<name>.<json|csv> to a facilitator and written by
`manage.py export_workshop CODE --out DIR`; both call export_json/export_csv here. The
schema is docs/export.schema.json (SCHEMA below names its version). Nothing here names an
attendee: ballots appear under their random per-poll alias (voting/record.py), which is
drawn with secrets.token_hex when the ballot is first cast, is stored only on the ballot
and in the vote's audit trail, and stays the same in every export of the same vote, so
that the published digest can be checked against any of them.
"""

import csv
import io
import json

from django.db.models import Count
from django.utils import timezone

from panel.models import BoardPost, Question
from voting.models import Poll
from voting.record import iso_utc, poll_record, record_counts
from workshop.models import Workshop
from workshop.selectors import agenda_timeline

SCHEMA = "workshop-live-export/1"
NAMES = ("votes", "questions", "views", "agenda")


def _iso(at) -> str | None:
    return iso_utc(at) if at else None


def _votes(workshop: Workshop) -> list[dict]:
    polls = (
        Poll.objects.filter(workshop=workshop)
        .defer(None)  # with the frozen records
        .select_related("decided_theme")
        .prefetch_related("options")
        .order_by("opened_at", "id")
    )
    out = []
    for poll in polls:
        record = poll_record(poll)
        counts = record_counts(record)
        options = [t.title for t in sorted(poll.options.all(), key=lambda t: t.position)]
        out.append(
            {
                "id": poll.pk,
                "runoff_of": poll.runoff_of_id,
                "question": poll.question,
                "state": poll.state,
                "tie_rule": poll.tie_rule,
                "opened_at": _iso(poll.opened_at),
                "closed_at": _iso(poll.closed_at),
                "revealed_at": _iso(poll.revealed_at),
                "decided_at": _iso(poll.decided_at),
                "decided_theme": poll.decided_theme.title if poll.decided_theme else None,
                "decided_by": poll.decided_by or None,
                "options": options,
                "counts": [{"theme": t, "ballots": counts.get(t, 0)} for t in options],
                "total": len(record),
                "phones_at_close": poll.phones_at_close,
                "record_digest": poll.record_digest or None,
                "ballots": record,
            }
        )
    return out


def _questions(workshop: Workshop) -> list[dict]:
    rows = (
        Question.objects.filter(workshop=workshop)
        .select_related("theme", "panellist")
        .annotate(n=Count("upvotes"))
        .order_by("created_at", "id")
    )
    return [
        {
            "id": q.pk,
            "text": q.text,
            "theme": q.theme.title if q.theme else None,
            "panellist": q.panellist.name if q.panellist else None,
            "upvotes": q.n,
            "status": q.status,
            "created_at": _iso(q.created_at),
            "approved_at": _iso(q.approved_at),
            "answered_at": _iso(q.answered_at),
        }
        for q in rows
    ]


def _views(workshop: Workshop) -> list[dict]:
    rows = BoardPost.objects.filter(workshop=workshop).select_related("theme")
    return [
        {
            "id": p.pk,
            "kind": p.kind,
            "theme": p.theme.title if p.theme else None,
            "text": p.text,
            "state": "hidden" if p.hidden else "held" if p.held else "shown",
            "created_at": _iso(p.created_at),
        }
        for p in rows.order_by("created_at", "id")
    ]


def _agenda(workshop: Workshop) -> list[dict]:
    """The agenda with its planned and actual times (workshop.selectors.agenda_timeline)."""
    return [
        {
            "position": row["position"],
            "title": row["title"],
            "kind": row["kind"],
            "planned_start": _iso(row["planned_start"]),
            "planned_end": _iso(row["planned_end"]),
            "planned_minutes": row["planned_minutes"],
            "actual_start": _iso(row["actual_start"]),
            "actual_end": _iso(row["actual_end"]),
            "actual_minutes": row["actual_minutes"],
            "overrun_minutes": row["overrun_minutes"],
            "visits": row["visits"],
        }
        for row in agenda_timeline(workshop=workshop)
    ]


_BUILD = {"votes": _votes, "questions": _questions, "views": _views, "agenda": _agenda}


def export_data(workshop: Workshop, name: str) -> dict:
    """One export as a dict: the envelope (schema, workshop, time) and its rows."""
    return {
        "schema": SCHEMA,
        "workshop": {
            "code": workshop.join_code,
            "title": workshop.title,
            "date": workshop.date.isoformat(),
        },
        "exported_at": _iso(timezone.now()),
        name: _BUILD[name](workshop),
    }


def export_json(workshop: Workshop, name: str) -> str:
    return json.dumps(export_data(workshop, name), ensure_ascii=False, indent=2) + "\n"


# CSV: one row per ballot, question, view or agenda item; a vote's own fields repeat on its
# ballots' rows.
CSV_COLUMNS = {
    "votes": ["poll", "runoff_of", "poll_state", "record_digest", "alias", "theme", "at"],
    "questions": [
        "id", "text", "theme", "panellist", "upvotes", "status", "created_at", "approved_at",
        "answered_at",
    ],
    "views": ["id", "kind", "theme", "text", "state", "created_at"],
    "agenda": [
        "position", "title", "kind", "planned_start", "planned_end", "planned_minutes",
        "actual_start", "actual_end", "actual_minutes", "overrun_minutes", "visits",
    ],
}  # fmt: skip


def export_csv(workshop: Workshop, name: str) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS[name], lineterminator="\n")
    writer.writeheader()
    if name == "votes":
        for poll in _votes(workshop):
            for ballot in poll["ballots"]:
                writer.writerow(
                    {
                        "poll": poll["id"],
                        "runoff_of": poll["runoff_of"] or "",
                        "poll_state": poll["state"],
                        "record_digest": poll["record_digest"] or "",
                        **ballot,
                    }
                )
    else:
        for row in _BUILD[name](workshop):
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()

"""The vote record: the canonical, frozen list of a vote's ballots and its SHA-256 digest.

When a vote closes (voting.services.poll_close) its ballots are frozen into a list of
entries, one per voter:

    {"alias": "3f9c1a0b5e7d2c41", "theme": "Housing", "at": "2026-12-05T14:03:07.123456Z"}

- alias: the voter's random per-poll alias (Ballot.alias, secrets.token_hex), never the
  attendee's id; the same voter keeps it within the poll so its changes can be followed in
  the audit trail (BallotChange), and a run-off gives every voter a new one.
- theme: the title of the chosen theme, as it was when the vote closed.
- at: the time of the voter's final choice (Ballot.changed_at), ISO 8601 in UTC with
  microseconds and a "Z".

The list is sorted by (at, alias, theme). Its digest is the SHA-256, in lower-case hex, of

    json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

docs/vote-record.md shows how anyone recomputes it from the JSON export.
"""

import hashlib
import json
from datetime import UTC

from voting.models import Ballot, Poll


def iso_utc(at) -> str:
    """A time as the record and the exports write it: ISO 8601 in UTC, microseconds, "Z"."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entries: list[dict]) -> list[dict]:
    """The entries in canonical order."""
    return sorted(entries, key=lambda e: (e["at"], e["alias"], e["theme"]))


def poll_record(poll: Poll) -> list[dict]:
    """The canonical ballot list: the frozen one once the vote has closed, else the
    ballots as they stand."""
    if poll.record is not None:
        return poll.record
    rows = Ballot.objects.filter(poll=poll).values_list("alias", "theme__title", "changed_at")
    return canonical([{"alias": a, "theme": t, "at": iso_utc(at)} for a, t, at in rows])


def record_digest(entries: list[dict]) -> str:
    """SHA-256 (hex) of the canonical JSON serialisation of the entries."""
    data = json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def record_counts(entries: list[dict]) -> dict[str, int]:
    """Ballots per theme title in a record."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["theme"]] = counts.get(entry["theme"], 0) + 1
    return counts

"""Reads for the theme vote. Pages, pushes, the benchmark and tests use the same functions."""

from dataclasses import dataclass

from django.db.models import Count

from evidence.models import Theme
from voting.models import Ballot, Poll


@dataclass(frozen=True)
class TallyRow:
    theme_id: int
    title: str
    count: int
    percent: int  # of all ballots, rounded; 0 when there are none


@dataclass(frozen=True)
class Tally:
    poll_id: int
    version: int
    total: int
    rows: list[TallyRow]  # in ballot order

    @property
    def leaders(self) -> list[int]:
        """Theme ids with the most votes (several when tied; all when nobody voted)."""
        top = max((r.count for r in self.rows), default=0)
        return [r.theme_id for r in self.rows if r.count == top]

    @property
    def leader_titles(self) -> list[str]:
        """The titles of the themes in the lead, in ballot order."""
        leaders = set(self.leaders)
        return [r.title for r in self.rows if r.theme_id in leaders]


def poll_current(*, workshop_id: int) -> Poll | None:
    """The vote the session is on: an undecided one (a run-off before its parent), else the
    latest decided one."""
    polls = Poll.objects.filter(workshop_id=workshop_id).select_related("decided_theme")
    return polls.exclude(state=Poll.State.DECIDED).first() or polls.first()


def poll_options(*, poll: Poll) -> list[Theme]:
    return list(poll.options.order_by("position", "id"))


def poll_tally(*, poll_id: int) -> Tally:
    """Counts per option. The version is read before the counts, so a tally is never older
    than its version: a client that drops pushes with a lower version never goes back."""
    version = Poll.objects.values_list("version", flat=True).get(pk=poll_id)
    counts = dict(
        Ballot.objects.filter(poll_id=poll_id)
        .values_list("theme_id")
        .annotate(n=Count("id"))
        .values_list("theme_id", "n")
    )
    options = (
        Theme.objects.filter(polls=poll_id).order_by("position", "id").values_list("pk", "title")
    )
    total = sum(counts.values())
    rows = [
        TallyRow(
            theme_id=pk,
            title=title,
            count=counts.get(pk, 0),
            percent=round(100 * counts.get(pk, 0) / total) if total else 0,
        )
        for pk, title in options
    ]
    return Tally(poll_id=poll_id, version=version, total=total, rows=rows)


def ballot_choice(*, poll_id: int, attendee_id: int | None) -> int | None:
    """The theme this attendee chose in this poll, if any. No attendee: none (a ballot whose
    attendee was purged has no attendee either, and belongs to nobody)."""
    if not attendee_id:
        return None
    return (
        Ballot.objects.filter(poll_id=poll_id, attendee_id=attendee_id)
        .values_list("theme_id", flat=True)
        .first()
    )

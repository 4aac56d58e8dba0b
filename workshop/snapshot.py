"""Everything a surface needs to draw the live session, read in a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from evidence.models import Finding, Theme
from voting.models import Poll
from voting.selectors import Tally, poll_current, poll_options, poll_tally
from workshop.models import AgendaItem, LiveState, Workshop


@dataclass(frozen=True)
class LiveSnapshot:
    workshop: Workshop
    state: LiveState
    agenda: list[AgendaItem]
    poll: Poll | None
    options: list[Theme]
    tally: Tally | None
    chosen_theme: Theme | None  # with findings and their reports prefetched

    @property
    def version(self) -> int:
        return self.state.version

    @property
    def current(self) -> AgendaItem | None:
        return self.state.current_item

    @property
    def current_index(self) -> int | None:
        ids = [i.pk for i in self.agenda]
        return ids.index(self.state.current_item_id) if self.state.current_item_id in ids else None

    @property
    def next_item(self) -> AgendaItem | None:
        index = self.current_index
        index = -1 if index is None else index
        return self.agenda[index + 1] if index + 1 < len(self.agenda) else None

    @property
    def deadline(self) -> datetime.datetime | None:
        if self.current and self.state.item_started_at:
            return self.state.item_started_at + datetime.timedelta(minutes=self.current.minutes)
        return None

    @property
    def remaining_seconds(self) -> int | None:
        if self.deadline is None:
            return None
        return int((self.deadline - timezone.now()).total_seconds())

    @property
    def can_previous(self) -> bool:
        return bool(self.current_index)

    @property
    def can_next(self) -> bool:
        return self.next_item is not None

    @property
    def countdown_label(self) -> str:
        """ "4:05 left" or "Over by 1:10" (live.js keeps it ticking between pushes)."""
        seconds = self.remaining_seconds
        if seconds is None:
            return ""
        minutes, secs = divmod(abs(seconds), 60)
        return f"{minutes}:{secs:02d} left" if seconds >= 0 else f"Over by {minutes}:{secs:02d}"

    @property
    def show_tally_on_screen(self) -> bool:
        poll = self.poll
        return bool(
            poll and (poll.revealed_at or (poll.state == Poll.State.OPEN and poll.show_bars))
        )

    @property
    def tied(self) -> list[int]:
        """The themes tied for the lead of a closed vote; none when nobody voted (every theme
        then has no votes, which is no result rather than a tie)."""
        if self.tally and self.tally.total and self.poll and self.poll.state == Poll.State.CLOSED:
            leaders = self.tally.leaders
            return leaders if len(leaders) > 1 else []
        return []


def live_state_get(*, workshop_id: int) -> LiveState:
    """The live state, or the state of a session not started yet (unsaved: reads never write)."""
    found = LiveState.objects.select_related("current_item").filter(workshop_id=workshop_id)
    return found.first() or LiveState(workshop_id=workshop_id, screen_secret="")


def live_version(*, workshop_id: int) -> int:
    """The live version alone (0 before the session's state exists): one indexed read, for
    whatever is cached by version (workshop/pages.py)."""
    found = LiveState.objects.filter(workshop_id=workshop_id).values_list("version", flat=True)
    return found.first() or 0


def live_snapshot(
    *, workshop_id: int | None = None, workshop: Workshop | None = None
) -> LiveSnapshot:
    workshop = workshop or Workshop.objects.get(pk=workshop_id)
    workshop_id = workshop.pk
    state = live_state_get(workshop_id=workshop_id)
    agenda = list(workshop.agenda_items.prefetch_related("leads"))
    poll = poll_current(workshop_id=workshop_id)
    options = poll_options(poll=poll) if poll else []
    tally = poll_tally(poll_id=poll.pk) if poll else None
    chosen = None
    if poll and poll.decided_theme_id:
        chosen = (
            Theme.objects.filter(pk=poll.decided_theme_id)
            .prefetch_related(
                Prefetch("findings", queryset=Finding.objects.select_related("report"))
            )
            .first()
        )
    return LiveSnapshot(
        workshop=workshop,
        state=state,
        agenda=agenda,
        poll=poll,
        options=options,
        tally=tally,
        chosen_theme=chosen,
    )

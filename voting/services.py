"""Writes for the theme vote: the only code that changes polls and ballots.

Console (socket and HTTP), phone (socket and HTTP), admin and commands all call these.
Each function runs in a transaction, checks the state, and raises ValidationError with a
message a person can read. Broadcasts happen after commit.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evidence.models import Theme
from voting.models import Ballot, Poll
from voting.selectors import poll_tally
from workshop.models import Attendee, Workshop
from workshop.services import live_state_lock, live_state_touch


def _touch_live(workshop_id: int) -> None:
    live_state_touch(state=live_state_lock(workshop_id=workshop_id))


def _lock(poll: Poll | int) -> Poll:
    pk = poll.pk if isinstance(poll, Poll) else poll
    try:
        return Poll.objects.select_for_update().get(pk=pk)
    except Poll.DoesNotExist:
        raise ValidationError("That vote does not exist.") from None


@transaction.atomic
def poll_open(
    *, workshop: Workshop, tie_rule: str = Poll.TieRule.CASTING, show_bars: bool = False
) -> Poll:
    """Open a new theme vote with every theme of the workshop as an option.

    draft/none → open. Refuses while another vote is open or closed but not decided, with
    fewer than two themes, or with an unknown tie rule.
    """
    live_state_lock(workshop_id=workshop.pk)  # serialises concurrent opens
    if tie_rule not in Poll.TieRule.values:
        raise ValidationError("Choose how a tie will be settled.")
    busy = Poll.objects.filter(workshop=workshop).exclude(state=Poll.State.DECIDED)
    if busy.filter(state=Poll.State.OPEN).exists():
        raise ValidationError("The vote is already open.")
    if busy.exists():
        raise ValidationError("Decide the closed vote before opening a new one.")
    themes = list(Theme.objects.filter(workshop=workshop))
    if len(themes) < 2:
        raise ValidationError("A vote needs at least two themes. Add them in admin first.")
    poll = Poll.objects.create(
        workshop=workshop,
        tie_rule=tie_rule,
        show_bars=show_bars,
        state=Poll.State.OPEN,
        opened_at=timezone.now(),
    )
    poll.options.set(themes)
    _touch_live(workshop.pk)
    return poll


@transaction.atomic
def poll_close(*, poll: Poll | int) -> Poll:
    """open → closed. Ballots arriving afterwards are refused."""
    poll = _lock(poll)
    if poll.state != Poll.State.OPEN:
        raise ValidationError("The vote is not open, so it cannot be closed.")
    poll.state = Poll.State.CLOSED
    poll.closed_at = timezone.now()
    poll.save(update_fields=["state", "closed_at"])
    _touch_live(poll.workshop_id)
    return poll


@transaction.atomic
def poll_reveal(*, poll: Poll | int) -> Poll:
    """Show the results to the room (closed or decided votes). Refuses an open vote."""
    poll = _lock(poll)
    if poll.state in (Poll.State.DRAFT, Poll.State.OPEN):
        raise ValidationError("Close the vote before revealing the results.")
    if poll.revealed_at:
        raise ValidationError("The results are already on show.")
    poll.revealed_at = timezone.now()
    poll.save(update_fields=["revealed_at"])
    _touch_live(poll.workshop_id)
    return poll


@transaction.atomic
def poll_show_bars(*, poll: Poll | int, show: bool) -> Poll:
    """Show or hide the live bars on the projector while the vote is open."""
    poll = _lock(poll)
    if poll.state != Poll.State.OPEN:
        raise ValidationError("Live bars only apply while the vote is open.")
    poll.show_bars = show
    poll.save(update_fields=["show_bars"])
    _touch_live(poll.workshop_id)
    return poll


def _set_decided(poll: Poll, *, theme_id: int, by: str) -> None:
    poll.state = Poll.State.DECIDED
    poll.decided_theme_id = theme_id
    poll.decided_by = by
    poll.decided_at = timezone.now()
    poll.revealed_at = poll.revealed_at or poll.decided_at
    poll.save(update_fields=["state", "decided_theme", "decided_by", "decided_at", "revealed_at"])


@transaction.atomic
def poll_decide(*, poll: Poll | int, theme_id: int | None = None) -> Poll:
    """closed → decided.

    With a single leader, that theme wins by majority (a theme_id, if given, must be it).
    With a tie under the casting rule, theme_id must name one of the tied themes. With a
    tie under the run-off rule, refuses: start the run-off instead. Deciding a run-off also
    decides the vote it settles.
    """
    poll = _lock(poll)
    if poll.state != Poll.State.CLOSED:
        raise ValidationError(
            "The vote has already been decided."
            if poll.state == Poll.State.DECIDED
            else "Close the vote before deciding."
        )
    leaders = poll_tally(poll_id=poll.pk).leaders
    if len(leaders) == 1:
        if theme_id is not None and theme_id != leaders[0]:
            raise ValidationError("Another theme has the most votes; it wins outright.")
        _set_decided(poll, theme_id=leaders[0], by=Poll.DecidedBy.MAJORITY)
    elif poll.tie_rule == Poll.TieRule.RUNOFF and poll.runoff_of_id is None:
        raise ValidationError("The vote is tied: start the run-off between the tied themes.")
    else:
        # Casting rule, or a run-off that tied again: the facilitator chooses.
        if theme_id is None:
            raise ValidationError("The vote is tied: choose one of the tied themes.")
        if theme_id not in leaders:
            raise ValidationError("Choose one of the tied themes.")
        _set_decided(poll, theme_id=theme_id, by=Poll.DecidedBy.CASTING)
    if poll.runoff_of_id:
        parent = _lock(poll.runoff_of_id)
        _set_decided(parent, theme_id=poll.decided_theme_id, by=Poll.DecidedBy.RUNOFF)
    _touch_live(poll.workshop_id)
    return poll


@transaction.atomic
def poll_runoff_start(*, poll: Poll | int) -> Poll:
    """For a closed, tied vote under the run-off rule: open a new vote between the tied
    themes. A tie in the run-off is settled by the facilitator's casting choice."""
    poll = _lock(poll)
    if poll.state != Poll.State.CLOSED:
        raise ValidationError("Only a closed vote can go to a run-off.")
    if poll.tie_rule != Poll.TieRule.RUNOFF or poll.runoff_of_id:
        raise ValidationError("This vote settles a tie by the facilitator's choice, not a run-off.")
    if Poll.objects.filter(runoff_of=poll).exists():
        raise ValidationError("The run-off has already started.")
    leaders = poll_tally(poll_id=poll.pk).leaders
    if len(leaders) < 2:
        raise ValidationError("The vote is not tied: decide it directly.")
    runoff = Poll.objects.create(
        workshop_id=poll.workshop_id,
        question=poll.question,
        runoff_of=poll,
        tie_rule=Poll.TieRule.CASTING,
        show_bars=poll.show_bars,
        state=Poll.State.OPEN,
        opened_at=timezone.now(),
    )
    runoff.options.set(leaders)
    _touch_live(poll.workshop_id)
    return runoff


# --- Ballots -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotRequest:
    poll_id: int
    attendee_id: int
    theme_id: int
    key: str = ""  # the phone's idempotency key for this tap


@dataclass(frozen=True)
class BallotResult:
    request: BallotRequest
    error: str | None = None
    duplicate: bool = False  # already recorded under the same key: acknowledged, not rewritten

    @property
    def ok(self) -> bool:
        return self.error is None


def ballots_cast(*, requests: list[BallotRequest]) -> list[BallotResult]:
    """Record many ballots in one transaction: how a burst of votes is kept fast.

    Each request is checked on its own (the vote must be open, the theme one of its options,
    the attendee one of its workshop's); refused ones get a message and change nothing. A
    repeat from the same attendee replaces their choice (one ballot each, enforced by the
    database). A request whose key matches the one already stored for that attendee is a
    resend (a phone that lost the acknowledgement): it is acknowledged and changes nothing.
    Returns one result per request, in order; a result with no error is committed when this
    function returns.
    """
    if not requests:
        return []
    poll_ids = {r.poll_id for r in requests}
    with transaction.atomic():
        # Locks the open polls: a close waits for this batch, and a batch after a close sees it.
        open_polls = dict(
            Poll.objects.select_for_update()
            .filter(pk__in=poll_ids, state=Poll.State.OPEN)
            .values_list("pk", "workshop_id")
        )
        options = set(
            Poll.options.through.objects.filter(poll_id__in=open_polls).values_list(
                "poll_id", "theme_id"
            )
        )
        attendees = dict(
            Attendee.objects.filter(pk__in={r.attendee_id for r in requests}).values_list(
                "pk", "workshop_id"
            )
        )
        known_polls = (
            poll_ids
            if len(open_polls) == len(poll_ids)
            else set(Poll.objects.filter(pk__in=poll_ids).values_list("pk", flat=True))
        )
        keyed = [r for r in requests if r.key and r.poll_id in open_polls]
        stored_keys = set()
        if keyed:
            stored_keys = set(
                Ballot.objects.filter(
                    poll_id__in={r.poll_id for r in keyed},
                    attendee_id__in={r.attendee_id for r in keyed},
                ).values_list("poll_id", "attendee_id", "key")
            )
        results, accepted = [], {}
        for r in requests:
            if r.key and (r.poll_id, r.attendee_id, r.key) in stored_keys:
                results.append(BallotResult(request=r, duplicate=True))
                continue
            if r.poll_id not in open_polls:
                error = (
                    "Voting has closed, so your vote was not counted."
                    if r.poll_id in known_polls
                    else "That vote does not exist."
                )
            elif attendees.get(r.attendee_id) != open_polls[r.poll_id]:
                error = "Join this workshop (scan the QR code or enter the code) to vote."
            elif (r.poll_id, r.theme_id) not in options:
                error = "That theme is not on this ballot."
            else:
                error = None
                accepted[(r.poll_id, r.attendee_id)] = r  # the last choice in a batch wins
            results.append(BallotResult(request=r, error=error))
        if accepted:
            now = timezone.now()
            Ballot.objects.bulk_create(
                [
                    Ballot(
                        poll_id=r.poll_id,
                        attendee_id=r.attendee_id,
                        theme_id=r.theme_id,
                        cast_at=now,
                        changed_at=now,
                        key=r.key,
                    )
                    for r in accepted.values()
                ],
                update_conflicts=True,
                unique_fields=["poll", "attendee"],
                update_fields=["theme", "changed_at", "key"],
            )
            changed = {poll_id: open_polls[poll_id] for poll_id, _ in accepted}
            Poll.objects.filter(pk__in=changed).update(version=F("version") + 1)

            from workshop.live import broadcast

            transaction.on_commit(lambda: broadcast.poll_tally_changed(polls=changed))
    return results


def ballot_cast(*, poll_id: int, attendee_id: int, theme_id: int, key: str = "") -> BallotResult:
    """One ballot (the HTTP form's path). Raises ValidationError when refused."""
    request = BallotRequest(poll_id=poll_id, attendee_id=attendee_id, theme_id=theme_id, key=key)
    (result,) = ballots_cast(requests=[request])
    if result.error:
        raise ValidationError(result.error)
    return result

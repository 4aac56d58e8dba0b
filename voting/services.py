"""Writes for the theme vote: the only code that changes polls and ballots.

Console (socket and HTTP), phone (socket and HTTP), admin and commands all call these.
Each function runs in a transaction, checks the state, and raises ValidationError with a
message a person can read. Broadcasts happen after commit.
"""

import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from evidence.models import Theme
from voting.models import Ballot, BallotChange, Poll, PollEvent
from voting.record import poll_record, record_digest
from voting.selectors import poll_tally
from workshop.events import TallyChanged, emit_on_commit
from workshop.models import Attendee, Workshop
from workshop.services import live_state_lock, live_state_touch


def _touch_live(workshop_id: int) -> None:
    live_state_touch(state=live_state_lock(workshop_id=workshop_id))


def _event(poll: Poll, what: str, actor: str, at=None, **detail) -> None:
    """Append one state change to the vote's audit trail (PollEvent)."""
    PollEvent.objects.create(
        poll=poll, what=what, actor=actor or "system", at=at or timezone.now(), detail=detail
    )


def _lock(poll: Poll | int) -> Poll:
    pk = poll.pk if isinstance(poll, Poll) else poll
    try:
        return Poll.objects.select_for_update().get(pk=pk)
    except Poll.DoesNotExist:
        raise ValidationError("That vote does not exist.") from None


@transaction.atomic
def poll_open(
    *,
    workshop: Workshop,
    tie_rule: str = Poll.TieRule.CASTING,
    show_bars: bool = False,
    joined_before_only: bool = False,
    actor: str = "system",
) -> Poll:
    """Open a new theme vote with every theme of the workshop as an option.

    draft/none → open. Refuses while another vote is open or closed but not decided, with
    fewer than two themes, or with an unknown tie rule. With joined_before_only, only phones
    that joined before this moment may vote in it (and in its run-off).
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
    now = timezone.now()
    poll = Poll.objects.create(
        workshop=workshop,
        tie_rule=tie_rule,
        show_bars=show_bars,
        state=Poll.State.OPEN,
        opened_at=now,
        voters_joined_before=now if joined_before_only else None,
    )
    poll.options.set(themes)
    _event(
        poll, PollEvent.What.OPENED, actor, at=now, tie_rule=tie_rule, show_bars=show_bars,
        joined_before_only=joined_before_only, options=[t.title for t in themes],
    )  # fmt: skip
    _touch_live(workshop.pk)
    return poll


@transaction.atomic
def poll_close(*, poll: Poll | int, actor: str = "system", phones: int | None = None) -> Poll:
    """open → closed. Ballots arriving afterwards are refused. `phones`: the phones connected
    at that moment, as the console counts them, kept for the turnout in the report.

    Freezes the vote record: the canonical ballot list and its SHA-256 digest
    (voting/record.py) are stored on the poll, so neither a purge of attendees nor anything
    later can change them."""
    poll = _lock(poll)
    if poll.state != Poll.State.OPEN:
        raise ValidationError("The vote is not open, so it cannot be closed.")
    poll.state = Poll.State.CLOSED
    poll.closed_at = timezone.now()
    poll.phones_at_close = phones
    # The poll row is locked and its state is no longer open in this transaction: a ballot
    # batch's final check (bump_open_versions) refuses it, so the list read here is final.
    poll.record = None
    poll.record = poll_record(poll)
    poll.record_digest = record_digest(poll.record)
    poll.save(update_fields=["state", "closed_at", "phones_at_close", "record", "record_digest"])
    _event(
        poll, PollEvent.What.CLOSED, actor, at=poll.closed_at,
        ballots=len(poll.record), record_digest=poll.record_digest, phones=phones,
    )  # fmt: skip
    _touch_live(poll.workshop_id)
    return poll


@transaction.atomic
def poll_reveal(*, poll: Poll | int, actor: str = "system") -> Poll:
    """Show the results to the room (closed or decided votes). Refuses an open vote."""
    poll = _lock(poll)
    if poll.state in (Poll.State.DRAFT, Poll.State.OPEN):
        raise ValidationError("Close the vote before revealing the results.")
    if poll.revealed_at:
        raise ValidationError("The results are already on show.")
    poll.revealed_at = timezone.now()
    poll.save(update_fields=["revealed_at"])
    _event(poll, PollEvent.What.REVEALED, actor, at=poll.revealed_at)
    _touch_live(poll.workshop_id)
    return poll


@transaction.atomic
def poll_show_bars(*, poll: Poll | int, show: bool, actor: str = "system") -> Poll:
    """Show or hide the live bars on the projector while the vote is open."""
    poll = _lock(poll)
    if poll.state != Poll.State.OPEN:
        raise ValidationError("Live bars only apply while the vote is open.")
    poll.show_bars = show
    poll.save(update_fields=["show_bars"])
    _event(poll, PollEvent.What.BARS_SHOWN if show else PollEvent.What.BARS_HIDDEN, actor)
    _touch_live(poll.workshop_id)
    return poll


def _set_decided(poll: Poll, *, theme_id: int, by: str, actor: str) -> None:
    poll.state = Poll.State.DECIDED
    poll.decided_theme_id = theme_id
    poll.decided_by = by
    poll.decided_at = timezone.now()
    poll.revealed_at = poll.revealed_at or poll.decided_at
    poll.save(update_fields=["state", "decided_theme", "decided_by", "decided_at", "revealed_at"])
    theme = Theme.objects.filter(pk=theme_id).values_list("title", flat=True).first()
    _event(poll, PollEvent.What.DECIDED, actor, at=poll.decided_at, theme=theme, decided_by=by)


@transaction.atomic
def poll_decide(*, poll: Poll | int, theme_id: int | None = None, actor: str = "system") -> Poll:
    """closed → decided.

    With no ballots at all, nothing is tied: theme_id must name one of the vote's themes,
    the facilitator's choice, whatever the tie rule. With a single leader, that theme wins
    by majority (a theme_id, if given, must be it). With a tie under the casting rule,
    theme_id must name one of the tied themes. With a tie under the run-off rule, refuses:
    start the run-off instead. Deciding a run-off also decides the vote it settles.
    """
    poll = _lock(poll)
    if poll.state != Poll.State.CLOSED:
        raise ValidationError(
            "The vote has already been decided."
            if poll.state == Poll.State.DECIDED
            else "Close the vote before deciding."
        )
    tally = poll_tally(poll_id=poll.pk)
    leaders = tally.leaders
    if tally.total == 0:
        if theme_id is None:
            raise ValidationError("Nobody voted: choose the theme.")
        if theme_id not in leaders:  # with no ballots, every option
            raise ValidationError("Choose one of the vote's themes.")
        _set_decided(poll, theme_id=theme_id, by=Poll.DecidedBy.CASTING, actor=actor)
    elif len(leaders) == 1:
        if theme_id is not None and theme_id != leaders[0]:
            raise ValidationError("Another theme has the most votes; it wins outright.")
        _set_decided(poll, theme_id=leaders[0], by=Poll.DecidedBy.MAJORITY, actor=actor)
    elif poll.tie_rule == Poll.TieRule.RUNOFF and poll.runoff_of_id is None:
        raise ValidationError("The vote is tied: start the run-off between the tied themes.")
    else:
        # Casting rule, or a run-off that tied again: the facilitator chooses.
        if theme_id is None:
            raise ValidationError("The vote is tied: choose one of the tied themes.")
        if theme_id not in leaders:
            raise ValidationError("Choose one of the tied themes.")
        _set_decided(poll, theme_id=theme_id, by=Poll.DecidedBy.CASTING, actor=actor)
    if poll.runoff_of_id:
        parent = _lock(poll.runoff_of_id)
        _set_decided(parent, theme_id=poll.decided_theme_id, by=Poll.DecidedBy.RUNOFF, actor=actor)
    _touch_live(poll.workshop_id)
    return poll


@transaction.atomic
def poll_runoff_start(*, poll: Poll | int, actor: str = "system") -> Poll:
    """For a closed, tied vote under the run-off rule: open a new vote between the tied
    themes. A tie in the run-off is settled by the facilitator's casting choice."""
    poll = _lock(poll)
    if poll.state != Poll.State.CLOSED:
        raise ValidationError("Only a closed vote can go to a run-off.")
    if poll.tie_rule != Poll.TieRule.RUNOFF or poll.runoff_of_id:
        raise ValidationError("This vote settles a tie by the facilitator's choice, not a run-off.")
    if Poll.objects.filter(runoff_of=poll).exists():
        raise ValidationError("The run-off has already started.")
    tally = poll_tally(poll_id=poll.pk)
    if tally.total == 0:
        raise ValidationError("Nobody voted, so nothing is tied: choose the theme directly.")
    leaders = tally.leaders
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
        # The run-off admits the same phones as the vote it settles.
        voters_joined_before=poll.voters_joined_before,
    )
    runoff.options.set(leaders)
    _event(
        poll, PollEvent.What.RUNOFF_STARTED, actor, at=runoff.opened_at, runoff_poll=runoff.pk,
        themes=list(Theme.objects.filter(pk__in=leaders).values_list("title", flat=True)),
    )  # fmt: skip
    _event(
        runoff, PollEvent.What.OPENED, actor, at=runoff.opened_at, runoff_of=poll.pk,
        tie_rule=runoff.tie_rule, show_bars=runoff.show_bars,
    )  # fmt: skip
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
    the attendee one of its workshop's, and joined before the vote opened when the vote asks
    for that); refused ones get a message and change nothing. A
    repeat from the same attendee replaces their choice (one ballot each, enforced by the
    database). A request whose key matches the one already stored for that attendee is a
    resend (a phone that lost the acknowledgement): it is acknowledged and changes nothing.
    Returns one result per request, in order; a result with no error is committed when this
    function returns.
    """
    if not requests:
        return []
    passes = len({r.poll_id for r in requests}) + 1
    for _ in range(passes):
        try:
            return _ballots_cast_once(requests)
        except _PollClosed:
            # A vote closed between the batch's reads and its write, and the write was
            # rolled back. Once closed a vote stays closed, so the next pass refuses its
            # ballots without writing: one more pass per poll in the batch at most.
            continue
    raise RuntimeError(f"ballots_cast: the polls kept changing over {passes} passes")


class _PollClosed(Exception):
    pass


def _ballots_cast_once(requests: list[BallotRequest]) -> list[BallotResult]:
    poll_ids = {r.poll_id for r in requests}
    with transaction.atomic():
        sql = _BallotSQL(connection)
        open_polls, cutoffs = {}, set()
        for poll_id, workshop_id, only_early in sql.open_polls(poll_ids):
            open_polls[poll_id] = workshop_id
            if only_early:
                cutoffs.add(poll_id)
        options = set(sql.options(open_polls)) if open_polls else set()
        attendees = dict(sql.attendee_workshops({r.attendee_id for r in requests}))
        # Polls open only to phones that joined before them: which requests' attendees did.
        early = {
            (poll_id, attendee_id)
            for poll_id in cutoffs
            for attendee_id in sql.joined_before(
                {r.attendee_id for r in requests if r.poll_id == poll_id}, poll_id
            )
        }
        known_polls = poll_ids if len(open_polls) == len(poll_ids) else set(sql.polls(poll_ids))
        results, accepted = [], {}
        for r in requests:
            if r.poll_id not in open_polls:
                error = (
                    "Voting has closed, so your vote was not counted."
                    if r.poll_id in known_polls
                    else "That vote does not exist."
                )
            elif attendees.get(r.attendee_id) != open_polls[r.poll_id]:
                error = "Join this workshop (scan the QR code or enter the code) to vote."
            elif r.poll_id in cutoffs and (r.poll_id, r.attendee_id) not in early:
                error = (
                    "This vote is for phones that joined before it opened, "
                    "so your vote was not counted."
                )
            elif (r.poll_id, r.theme_id) not in options:
                error = "That theme is not on this ballot."
            else:
                error = None
                accepted[(r.poll_id, r.attendee_id)] = r  # the last choice in a batch wins
            results.append(BallotResult(request=r, error=error))
        if not accepted:
            return results
        # The upsert skips a row whose stored key is the request's (a resend), and says which
        # rows it wrote: the unique index finds each row, however large the poll.
        now = timezone.now()
        # The choices these requests replace, for the audit trail (BallotChange).
        before = {(p, a): t for p, a, t in sql.current_themes(accepted)}
        rows = sql.upsert(list(accepted.values()), now=now)
        written = {(p, a) for p, a, _, _ in rows}
        changes = [
            (p, alias, before.get((p, a)), t)
            for p, a, alias, t in rows
            if before.get((p, a)) != t  # a new key for the same choice is not a change
        ]
        if changes:
            sql.insert_changes(changes, now=now)
        resends = {pair for pair in accepted if pair not in written}
        if resends:
            results = [
                BallotResult(request=res.request, duplicate=True)
                if (pair := (res.request.poll_id, res.request.attendee_id)) in resends
                and accepted[pair] is res.request
                else res
                for res in results
            ]
        if written:
            changed = {poll_id: open_polls[poll_id] for poll_id, _ in written}
            # The poll rows are locked only here, for the last statement before the commit,
            # so batches from several workers queue for a moment, not for a whole batch. The
            # same statement checks the polls are still open: a close that came in between
            # (it waits for batches already writing, and they for it) leaves a row unchanged.
            if sql.bump_open_versions(changed) != len(changed):
                raise _PollClosed
            emit_on_commit(TallyChanged(polls=changed))
    return results


class _BallotSQL:
    """The statements of ballots_cast, written as SQL for SQLite and PostgreSQL.

    This is the hottest path in the app: through the ORM these statements cost about 2.9 ms
    for one ballot against 0.35 ms as plain SQL (measured with make bench's profiling), which
    kept a steady 500 ballots a second from being acknowledged within 25 ms. On PostgreSQL a
    batch's ids, and its rows, travel as arrays (`= ANY(%s)`, `unnest`): psycopg parses a
    statement with more than 50 parameters anew each time, in Python, and for a batch of 250
    ballots that cost more than the database's own work. SQLite gets one parameter per value.
    Table and column names come from the models; the tests run these on both databases.
    """

    def __init__(self, conn):
        self.conn = conn
        self.arrays = conn.vendor == "postgresql"
        self.poll = Poll._meta.db_table
        self.options_table = Poll.options.through._meta.db_table
        self.attendee = Attendee._meta.db_table
        self.ballot = Ballot._meta.db_table
        self.change = BallotChange._meta.db_table

    def _rows(self, query: str, params) -> list[tuple]:
        with self.conn.cursor() as cursor:
            cursor.execute(query, list(params))
            return cursor.fetchall()

    def _in(self, column: str, values) -> tuple[str, list]:
        """`column IN (…)` for a set of ids, and its parameters."""
        values = list(values)
        if self.arrays:
            return f"{column} = ANY(%s)", [values]
        return f"{column} IN ({', '.join(['%s'] * len(values))})", values

    def open_polls(self, ids):
        where, params = self._in("id", ids)
        return self._rows(
            f"SELECT id, workshop_id, voters_joined_before IS NOT NULL FROM {self.poll} "
            f"WHERE {where} AND state = %s",
            [*params, Poll.State.OPEN],
        )

    def polls(self, ids):
        where, params = self._in("id", ids)
        return [row[0] for row in self._rows(f"SELECT id FROM {self.poll} WHERE {where}", params)]

    def options(self, poll_ids):
        where, params = self._in("poll_id", poll_ids)
        query = f"SELECT poll_id, theme_id FROM {self.options_table} WHERE {where}"
        return self._rows(query, params)

    def attendee_workshops(self, ids):
        where, params = self._in("id", ids)
        return self._rows(f"SELECT id, workshop_id FROM {self.attendee} WHERE {where}", params)

    def joined_before(self, ids, poll_id: int) -> list[int]:
        """Of these attendees, those who joined before the poll's voters_joined_before."""
        where, params = self._in("id", ids)
        query = (
            f"SELECT id FROM {self.attendee} WHERE {where} AND joined_at < "
            f"(SELECT voters_joined_before FROM {self.poll} WHERE id = %s)"
        )
        return [row[0] for row in self._rows(query, [*params, poll_id])]

    def current_themes(self, pairs) -> list[tuple[int, int, int]]:
        """(poll_id, attendee_id, theme_id) of the ballots already stored for these
        (poll_id, attendee_id) pairs."""
        pairs = set(pairs)
        polls, polls_params = self._in("poll_id", {p for p, _ in pairs})
        people, people_params = self._in("attendee_id", {a for _, a in pairs})
        rows = self._rows(
            f"SELECT poll_id, attendee_id, theme_id FROM {self.ballot} WHERE {polls} AND {people}",
            [*polls_params, *people_params],
        )
        return [row for row in rows if (row[0], row[1]) in pairs]

    def upsert(self, requests: list[BallotRequest], *, now) -> list[tuple[int, int, str, int]]:
        """Inserts or changes each request's ballot, except where the stored key is the
        request's own (a resend: nothing to change). A new ballot gets a random alias; a
        changed one keeps its own. Returns (poll_id, attendee_id, alias, theme_id) of the rows
        written."""
        stamp = self.conn.ops.adapt_datetimefield_value(now)
        aliases = [secrets.token_hex(8) for _ in requests]
        if self.arrays:
            rows = (
                "SELECT p, a, t, %s, %s, k, n FROM unnest(%s::bigint[], %s::bigint[], "
                "%s::bigint[], %s::text[], %s::text[]) AS r (p, a, t, k, n)"
            )
            params = [
                stamp,
                stamp,
                [r.poll_id for r in requests],
                [r.attendee_id for r in requests],
                [r.theme_id for r in requests],
                [r.key for r in requests],
                aliases,
            ]
        else:
            rows = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(requests))
            params = []
            for r, alias in zip(requests, aliases, strict=True):
                params += [r.poll_id, r.attendee_id, r.theme_id, stamp, stamp, r.key, alias]
        return self._rows(
            f"INSERT INTO {self.ballot} "
            f"(poll_id, attendee_id, theme_id, cast_at, changed_at, key, alias) {rows} "
            "ON CONFLICT (poll_id, attendee_id) DO UPDATE SET "
            # changed_at is the time of the choice: a new key for the same theme keeps it, so
            # the vote record's times and the audit trail (no change row) agree.
            "theme_id = excluded.theme_id, "
            f"changed_at = CASE WHEN {self.ballot}.theme_id = excluded.theme_id "
            f"THEN {self.ballot}.changed_at ELSE excluded.changed_at END, "
            "key = excluded.key "
            f"WHERE excluded.key = '' OR {self.ballot}.key <> excluded.key "
            "RETURNING poll_id, attendee_id, alias, theme_id",
            params,
        )

    def insert_changes(self, changes: list[tuple], *, now) -> None:
        """Appends the audit trail's rows: (poll_id, alias, from_theme_id, to_theme_id)."""
        stamp = self.conn.ops.adapt_datetimefield_value(now)
        if self.arrays:
            rows = (
                "SELECT p, n, f, t, %s FROM unnest(%s::bigint[], %s::text[], %s::bigint[], "
                "%s::bigint[]) AS r (p, n, f, t)"
            )
            params = [stamp, *([c[i] for c in changes] for i in range(4))]
        else:
            rows = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s)"] * len(changes))
            params = [v for c in changes for v in (*c[:4], stamp)]
        with self.conn.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.change} (poll_id, alias, from_theme_id, to_theme_id, at) "
                f"{rows}",
                params,
            )

    def bump_open_versions(self, poll_ids) -> int:
        """Adds one to the version of each poll that is still open; returns how many."""
        where, params = self._in("id", poll_ids)
        with self.conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.poll} SET version = version + 1 WHERE {where} AND state = %s",
                [*params, Poll.State.OPEN],
            )
            return cursor.rowcount


def ballot_cast(*, poll_id: int, attendee_id: int, theme_id: int, key: str = "") -> BallotResult:
    """One ballot (the HTTP form's path). Raises ValidationError when refused."""
    request = BallotRequest(poll_id=poll_id, attendee_id=attendee_id, theme_id=theme_id, key=key)
    (result,) = ballots_cast(requests=[request])
    if result.error:
        raise ValidationError(result.error)
    return result

"""What a phone's socket is sent when it connects or reconnects, read in one or two statements.

A whole room connects at once when a session starts, and comes back at once after a worker
or Redis restart, so this read runs thousands of times in a few seconds. Through the ORM it
took seven queries (the live version, the current vote, the attendee's ballot, the panel
version, the attendee's questions and upvotes) and about 2.3 ms of Python per phone, most of
it compiling SQL; here the live state is one statement and the attendee's marks another
(only once questions exist). The rendered card and panel come from the caches by version
(workshop.render), as before. Table and column names come from the models; the tests
compare the answers with the ORM selectors' on SQLite and PostgreSQL.
"""

from dataclasses import dataclass

from django.db import connection

from panel.models import Question, Upvote
from voting.models import Ballot, Poll
from voting.selectors import ballot_choice, poll_current
from workshop.models import LiveState
from workshop.render import phone_panel_at, phone_variants_at


@dataclass
class PhoneState:
    version: int
    variants: dict[str, str]  # the card per choice ("" for none)
    poll_id: int | None  # the current vote
    choice: int | None  # the attendee's theme in it
    panel: dict | None  # the questions and board payload; None before any exist
    mine: set[int]  # questions this attendee asked
    upvoted: set[int]  # questions this attendee upvoted


def _state_sql() -> str:
    poll, ballot, live = Poll._meta.db_table, Ballot._meta.db_table, LiveState._meta.db_table
    # The current vote as voting.selectors.poll_current chooses it: the first undecided one
    # in the model's order (newest first), else the first decided one.
    return (
        f"SELECT s.version, s.panel_version, p.id, b.theme_id FROM {live} s "
        f"LEFT JOIN {poll} p ON p.id = (SELECT q.id FROM {poll} q "
        f"WHERE q.workshop_id = s.workshop_id "
        f"ORDER BY q.state = %s, q.created_at DESC, q.id DESC LIMIT 1) "
        f"LEFT JOIN {ballot} b ON b.poll_id = p.id AND b.attendee_id = %s "
        f"WHERE s.workshop_id = %s"
    )


def _marks_sql() -> str:
    return (
        f"SELECT 0, id FROM {Question._meta.db_table} WHERE attendee_id = %s "
        f"UNION ALL SELECT 1, question_id FROM {Upvote._meta.db_table} WHERE attendee_id = %s"
    )


STATE_SQL, MARKS_SQL = _state_sql(), _marks_sql()


def phone_state(*, workshop_id: int, attendee_id: int | None) -> PhoneState:
    with connection.cursor() as cursor:
        cursor.execute(STATE_SQL, [Poll.State.DECIDED, attendee_id, workshop_id])
        row = cursor.fetchone()
    if row is None:  # no live state row yet: the services create it on the first change
        poll = poll_current(workshop_id=workshop_id)
        choice = None
        if poll and attendee_id:
            choice = ballot_choice(poll_id=poll.pk, attendee_id=attendee_id)
        row = (0, 0, poll.pk if poll else None, choice)
    version, panel_version, poll_id, choice = row
    version, variants = phone_variants_at(workshop_id=workshop_id, version=version)
    panel = phone_panel_at(workshop_id=workshop_id, version=panel_version)
    mine, upvoted = set(), set()
    if panel is not None and attendee_id:
        with connection.cursor() as cursor:
            cursor.execute(MARKS_SQL, [attendee_id, attendee_id])
            for kind, question_id in cursor.fetchall():
                (upvoted if kind else mine).add(question_id)
    return PhoneState(version, variants, poll_id, choice, panel, mine, upvoted)

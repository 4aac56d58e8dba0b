"""phone_state: what a connecting phone is sent, read in one or two SQL statements, must say
what the ORM selectors say, through a session's life, on SQLite and on PostgreSQL."""

import pytest

from panel.selectors import attendee_marks
from panel.services import question_submit, question_upvote
from tests.factories import make_attendee, make_voting_workshop
from voting.models import Poll
from voting.selectors import ballot_choice, poll_current
from voting.services import ballot_cast, poll_close, poll_decide, poll_open, poll_runoff_start
from workshop.live.phone_state import phone_state
from workshop.models import LiveState

pytestmark = pytest.mark.django_db


def _by_the_orm(workshop, attendee_id):
    live = LiveState.objects.filter(workshop=workshop).first()
    poll = poll_current(workshop_id=workshop.pk)
    choice = None
    if poll and attendee_id:
        choice = ballot_choice(poll_id=poll.pk, attendee_id=attendee_id)
    marks = attendee_marks(attendee_id=attendee_id) if live and live.panel_version else (set(),) * 2
    return {
        "version": live.version if live else 0,
        "panel": bool(live and live.panel_version),
        "poll_id": poll.pk if poll else None,
        "choice": choice,
        "mine": marks[0],
        "upvoted": marks[1],
    }


def _read(workshop, attendee_id):
    state = phone_state(workshop_id=workshop.pk, attendee_id=attendee_id)
    return {
        "version": state.version,
        "panel": state.panel is not None,
        "poll_id": state.poll_id,
        "choice": state.choice,
        "mine": state.mine,
        "upvoted": state.upvoted,
    }


def test_phone_state_says_what_the_orm_says_through_a_session():
    workshop = make_voting_workshop(moderate_questions=False)
    one, two = make_attendee(workshop=workshop), make_attendee(workshop=workshop)
    ids = (one.pk, two.pk, None)
    seen = []

    def check(step):
        for attendee_id in ids:
            assert _read(workshop, attendee_id) == _by_the_orm(workshop, attendee_id), step
        seen.append(_read(workshop, one.pk))

    check("nothing has happened: no live state row")
    poll = poll_open(workshop=workshop, tie_rule=Poll.TieRule.RUNOFF)
    check("a vote is open, nobody has voted")
    a, b, _ = poll.options.order_by("position")
    ballot_cast(poll_id=poll.pk, attendee_id=one.pk, theme_id=a.pk)
    ballot_cast(poll_id=poll.pk, attendee_id=two.pk, theme_id=b.pk)
    check("both voted, for different themes")
    poll_close(poll=poll)
    check("closed and tied")
    runoff = poll_runoff_start(poll=poll)
    check("the run-off is open (it comes before its closed parent)")
    ballot_cast(poll_id=runoff.pk, attendee_id=two.pk, theme_id=a.pk)
    poll_close(poll=runoff)
    poll_decide(poll=runoff)
    check("the run-off is decided")
    question = question_submit(workshop=workshop, attendee_id=one.pk, text="Who pays?")
    question_upvote(workshop=workshop, question_id=question.pk, attendee_id=two.pk)
    check("one asked, the other upvoted")

    assert seen[2]["choice"] == a.pk and seen[4]["poll_id"] == runoff.pk
    assert seen[4]["choice"] is None  # one has not voted in the run-off
    assert seen[-1]["mine"] == {question.pk} and seen[-1]["panel"]
    assert _read(workshop, two.pk)["upvoted"] == {question.pk}


def test_a_phone_connecting_reads_two_statements(django_assert_num_queries):
    workshop = make_voting_workshop(moderate_questions=False)
    attendee = make_attendee(workshop=workshop)
    poll = poll_open(workshop=workshop)
    ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=poll.options.first().pk)
    question_submit(workshop=workshop, attendee_id=attendee.pk, text="Who pays?")
    phone_state(workshop_id=workshop.pk, attendee_id=attendee.pk)  # renders, fills the caches

    with django_assert_num_queries(2):  # the live state; the attendee's questions and upvotes
        state = phone_state(workshop_id=workshop.pk, attendee_id=attendee.pk)
    assert state.choice == poll.options.first().pk and state.panel is not None
    with django_assert_num_queries(1):  # a phone without an attendee cookie: no marks
        phone_state(workshop_id=workshop.pk, attendee_id=None)

"""Purging attendees: the rows that tie contributions to a phone go; the results stay."""

import datetime
import io
import subprocess
import sys

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import RestrictedError
from django.test import Client
from django.utils import timezone

from evidence.models import Finding, Report, Theme
from panel.models import BoardPost, Question, Upvote
from panel.selectors import board_posts, questions_pending_of, questions_visible
from panel.services import board_post_submit, question_submit, question_upvote
from tests.factories import log_in, make_attendee, make_voting_workshop
from tests.postgres import while_uncommitted
from tests.processes import ROOT, app_env
from voting.models import Ballot, Poll
from voting.selectors import ballot_choice, poll_tally
from voting.services import ballot_cast, poll_close, poll_decide, poll_open
from workshop.attendees import attendee_cookie_value, cookie_name
from workshop.models import Attendee, Workshop
from workshop.services import attendees_purge, facilitator_ensure

pytestmark = pytest.mark.security

DAYS_AGO_40 = datetime.timedelta(days=40)


def _age(*attendees, by=DAYS_AGO_40):
    Attendee.objects.filter(pk__in=[a.pk for a in attendees]).update(joined_at=timezone.now() - by)


def _cutoff():
    return timezone.now() - datetime.timedelta(days=30)


def _room(workshop, n=4):
    """n attendees who voted (and the vote closed), asked, upvoted and posted."""
    attendees = [make_attendee(workshop=workshop) for _ in range(n)]
    themes = list(workshop.themes.all())
    poll = poll_open(workshop=workshop)
    for i, attendee in enumerate(attendees):
        ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=themes[i % 2].pk)
    poll_close(poll=poll)
    question = question_submit(workshop=workshop, attendee_id=attendees[0].pk, text="Who pays?")
    for attendee in attendees if question.status == Question.Status.LIVE else []:
        question_upvote(workshop=workshop, question_id=question.pk, attendee_id=attendee.pk)
    board_post_submit(
        workshop=workshop, attendee_id=attendees[1].pk, kind="challenge", text="Time", theme_id=None
    )
    return attendees, poll, question


@pytest.fixture
def workshop(db):
    return make_voting_workshop(moderate_questions=False)


def test_purge_keeps_tallies_upvotes_and_board_posts_and_removes_attendees(workshop):
    attendees, poll, _ = _room(workshop)
    _age(*attendees)
    tally, visible, board = (
        poll_tally(poll_id=poll.pk),
        [(q.pk, q.votes) for q in questions_visible(workshop_id=workshop.pk)],
        board_posts(workshop_id=workshop.pk),
    )

    result = attendees_purge(joined_before=_cutoff())

    assert (result.removed, result.kept_for_open_vote, Attendee.objects.count()) == (4, 0, 0)
    assert poll_tally(poll_id=poll.pk) == tally
    assert [(q.pk, q.votes) for q in questions_visible(workshop_id=workshop.pk)] == visible
    assert board_posts(workshop_id=workshop.pk) == board
    linked = [
        m.objects.filter(attendee__isnull=False).count()
        for m in (Ballot, Question, Upvote, BoardPost)
    ]
    assert ([m.objects.count() for m in (Ballot, Question, Upvote, BoardPost)], linked) == (
        [4, 1, 4, 1],
        [0, 0, 0, 0],
    )


def test_purge_respects_the_cut_off(workshop):
    old, recent = make_attendee(workshop=workshop), make_attendee(workshop=workshop)
    _age(old)
    _age(recent, by=datetime.timedelta(days=29))

    result = attendees_purge(joined_before=_cutoff())

    assert (result.removed, list(Attendee.objects.values_list("pk", flat=True))) == (
        1,
        [recent.pk],
    )


def test_purge_skips_attendees_of_a_workshop_whose_vote_is_open(workshop):
    voting_now = make_attendee(workshop=workshop)
    poll = poll_open(workshop=workshop)
    ballot_cast(poll_id=poll.pk, attendee_id=voting_now.pk, theme_id=poll.options.first().pk)
    elsewhere = make_voting_workshop()
    done = make_attendee(workshop=elsewhere)
    _age(voting_now, done)

    first = attendees_purge(joined_before=_cutoff())
    poll_close(poll=poll)
    second = attendees_purge(joined_before=_cutoff())

    assert (
        (first.removed, first.kept_for_open_vote),
        (second.removed, second.kept_for_open_vote),
    ) == (
        (1, 1),
        (1, 0),
    )
    assert (Attendee.objects.count(), Ballot.objects.get().attendee_id) == (0, None)


def test_purged_attendees_cookie_no_longer_votes_or_asks(workshop):
    phone = Client()
    phone.post(f"/j/{workshop.join_code}/join/")  # joins: the attendee cookie
    attendee = Attendee.objects.get()
    _age(attendee)
    attendees_purge(joined_before=_cutoff())
    poll = poll_open(workshop=workshop)

    phone.post(
        f"/j/{workshop.join_code}/vote/", {"poll": poll.pk, "theme": poll.options.first().pk}
    )
    phone.post(f"/j/{workshop.join_code}/questions/ask/", {"text": "Am I still here?"})

    assert (Ballot.objects.count(), Question.objects.count()) == (0, 0)
    with pytest.raises(ValidationError):
        question_submit(workshop=workshop, attendee_id=attendee.pk, text="Am I still here?")


def test_purged_attendee_id_is_not_given_to_the_next_attendee(workshop):
    last = make_attendee(workshop=workshop)  # the highest id so far
    _age(last)
    attendees_purge(joined_before=_cutoff())

    newcomer = make_attendee(workshop=workshop)

    assert newcomer.pk > last.pk
    cookie = attendee_cookie_value(workshop_id=workshop.pk, attendee_id=last.pk)
    client = Client()
    client.cookies[cookie_name(workshop.pk)] = cookie
    poll = poll_open(workshop=workshop)
    client.post(
        f"/j/{workshop.join_code}/vote/", {"poll": poll.pk, "theme": poll.options.first().pk}
    )
    assert Ballot.objects.count() == 0


def test_purged_contributions_belong_to_no_phone_without_an_attendee(db):
    workshop = make_voting_workshop(moderate_questions=True)
    attendees, poll, _ = _room(workshop, n=2)
    _age(*attendees)
    attendees_purge(joined_before=_cutoff())

    assert (
        ballot_choice(poll_id=poll.pk, attendee_id=None),
        questions_pending_of(attendee_id=None),
    ) == (
        None,
        [],
    )


def test_live_attendees_still_get_one_ballot_and_one_upvote_each_after_a_purge(workshop):
    attendees, earlier, question = _room(workshop, n=2)
    poll_decide(poll=earlier, theme_id=poll_tally(poll_id=earlier.pk).leaders[0])
    _age(*attendees)
    attendees_purge(joined_before=_cutoff())
    newcomer = make_attendee(workshop=workshop)
    poll = poll_open(workshop=workshop)
    themes = list(poll.options.all())

    ballot_cast(poll_id=poll.pk, attendee_id=newcomer.pk, theme_id=themes[0].pk)
    ballot_cast(poll_id=poll.pk, attendee_id=newcomer.pk, theme_id=themes[1].pk)
    question_upvote(workshop=workshop, question_id=question.pk, attendee_id=newcomer.pk)
    upvotes = question_upvote(workshop=workshop, question_id=question.pk, attendee_id=newcomer.pk)

    assert (Ballot.objects.filter(poll=poll).count(), upvotes) == (1, 3)
    assert ballot_choice(poll_id=poll.pk, attendee_id=newcomer.pk) == themes[1].pk


# --- The command ------------------------------------------------------------------------------


def test_purge_command_says_how_many_it_removed(workshop):
    old = [make_attendee(workshop=workshop) for _ in range(3)]
    make_attendee(workshop=workshop)
    _age(*old)
    out = io.StringIO()

    call_command("purge_attendees", "--older-than", "30", stdout=out)

    assert (out.getvalue(), Attendee.objects.count()) == (
        "Removed 3 attendees who joined more than 30 days ago.\n",
        1,
    )


def test_purge_command_says_how_many_it_kept_for_an_open_vote(workshop):
    attendee = make_attendee(workshop=workshop)
    poll_open(workshop=workshop)
    _age(attendee)
    out = io.StringIO()

    call_command("purge_attendees", "--older-than", "30", stdout=out)

    assert out.getvalue() == (
        "Removed 0 attendees who joined more than 30 days ago. "
        "Kept 1 until their workshop's open vote closes.\n"
    )


def test_purge_command_uses_the_setting_and_zero_turns_it_off(workshop, settings):
    attendee = make_attendee(workshop=workshop)
    _age(attendee, by=datetime.timedelta(days=10))
    off, on = io.StringIO(), io.StringIO()

    settings.WORKSHOP_PURGE_ATTENDEES_DAYS = 0
    call_command("purge_attendees", stdout=off)
    kept = Attendee.objects.count()
    settings.WORKSHOP_PURGE_ATTENDEES_DAYS = 7
    call_command("purge_attendees", stdout=on)

    assert (off.getvalue(), kept, on.getvalue(), Attendee.objects.count()) == (
        "Attendee purge is off (WORKSHOP_PURGE_ATTENDEES_DAYS=0).\n",
        1,
        "Removed 1 attendees who joined more than 7 days ago.\n",
        0,
    )


@pytest.mark.parametrize("days", ["0", "-3", "soon"])
def test_purge_command_refuses_a_day_count_that_is_not_positive(workshop, days):
    attendee = make_attendee(workshop=workshop)
    _age(attendee)

    with pytest.raises(CommandError) as refused:
        call_command("purge_attendees", "--older-than", days)

    assert ("1 or more" in str(refused.value), Attendee.objects.count()) == (True, 1)


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite takes its write lock at BEGIN, so a purge and a "
                    "vote opening cannot overlap there")  # fmt: skip


def test_vote_opening_during_a_purge_waits_for_it(transactional_db):
    _postgres_only()
    workshop = make_voting_workshop()
    attendee = make_attendee(workshop=workshop)
    _age(attendee)

    def purge():
        return attendees_purge(joined_before=_cutoff())

    def vote():
        return poll_open(workshop=workshop)

    result, poll, waiting = while_uncommitted(purge, vote)

    assert waiting is not None and '"workshop_livestate"' in waiting  # its lock
    assert (result.removed, poll.state, Attendee.objects.count()) == (1, "open", 0)


def test_purge_during_a_vote_opening_waits_and_keeps_the_voters(transactional_db):
    _postgres_only()
    workshop = make_voting_workshop()
    attendee = make_attendee(workshop=workshop)
    _age(attendee)

    def vote():
        return poll_open(workshop=workshop)

    def purge():
        return attendees_purge(joined_before=_cutoff())

    _, result, waiting = while_uncommitted(vote, purge)

    assert waiting is not None and '"workshop_livestate"' in waiting  # its lock
    assert (result.removed, result.kept_for_open_vote, Attendee.objects.count()) == (0, 1, 1)


def _purge_days_setting(value: str | None, tmp_path) -> subprocess.CompletedProcess:
    env = {"WORKSHOP_VAR_DIR": str(tmp_path)}
    if value is not None:
        env["WORKSHOP_PURGE_ATTENDEES_DAYS"] = value
    show = "from django.conf import settings; print(settings.WORKSHOP_PURGE_ATTENDEES_DAYS)"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + show],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=app_env(**env),
    )  # fmt: skip


@pytest.mark.parametrize(("value", "days"), [(None, "30"), ("7", "7"), ("0", "0")])
def test_purge_days_setting_follows_the_environment(value, days, tmp_path):
    result = _purge_days_setting(value, tmp_path)
    assert (result.returncode, result.stdout.strip().splitlines()[-1]) == (0, days)


@pytest.mark.parametrize("value", ["-1", "a week"])
def test_purge_days_setting_refuses_a_value_that_is_not_a_day_count(value, tmp_path):
    result = _purge_days_setting(value, tmp_path)
    assert (result.returncode != 0, "WORKSHOP_PURGE_ATTENDEES_DAYS must be" in result.stderr) == (
        True,
        True,
    )


# --- Deleting a workshop ----------------------------------------------------------------------


def test_deleting_a_workshop_after_its_vote_deletes_everything_attendees_sent(demo_workshop):
    attendees, poll, _ = _room(demo_workshop)
    poll_decide(poll=poll, theme_id=poll_tally(poll_id=poll.pk).leaders[0])
    _age(attendees[0])
    attendees_purge(joined_before=_cutoff())  # some contributions unlinked, the rest linked
    other = make_voting_workshop()
    make_attendee(workshop=other)

    demo_workshop.delete()

    counts = [m.objects.count() for m in (Attendee, Ballot, Poll, Question, Upvote, BoardPost)]
    assert (counts, Theme.objects.filter(workshop=other).count()) == ([1, 0, 0, 0, 0, 0], 3)


def test_a_theme_with_ballots_or_a_cited_report_still_cannot_be_deleted_alone(demo_workshop):
    _, poll, _ = _room(demo_workshop)
    theme = Ballot.objects.filter(poll=poll).first().theme
    report = Finding.objects.filter(theme__workshop=demo_workshop).first().report

    with pytest.raises(RestrictedError):
        theme.delete()
    with pytest.raises(RestrictedError):
        report.delete()

    assert (
        Theme.objects.filter(pk=theme.pk).exists(),
        Report.objects.filter(pk=report.pk).exists(),
    ) == (
        True,
        True,
    )


def test_organiser_deletes_a_workshop_after_its_vote_in_admin(demo_workshop, client):
    facilitator_ensure(username="organiser", password="a long organiser pass")
    log_in(client, "organiser", "a long organiser pass")
    _room(demo_workshop)

    response = client.post(f"/admin/workshop/workshop/{demo_workshop.pk}/delete/", {"post": "yes"})

    assert (response.status_code, Workshop.objects.count(), Ballot.objects.count()) == (302, 0, 0)

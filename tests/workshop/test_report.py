import datetime
import sys

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from panel.models import BoardPost, Question
from panel.services import (
    board_post_hide,
    board_post_submit,
    question_approve,
    question_hide,
    question_mark_answered,
    question_put_on_screen,
    question_submit,
    question_upvote,
)
from tests.factories import log_in, make_attendee, make_person, make_voting_workshop
from tests.processes import ROOT
from voting.models import Ballot, Poll
from voting.services import ballot_cast, poll_close, poll_decide, poll_open
from workshop.models import StageEvent
from workshop.report import report_context
from workshop.selectors import agenda_timeline
from workshop.services import facilitator_ensure, stage_goto, stage_next, stage_previous

pytestmark = pytest.mark.django_db


def _session(workshop, *, voters: int = 6, questions: int = 3, views: int = 3):
    """A short session driven through the services: the agenda, one vote with a changed
    ballot, questions in each state and views shown, held and hidden."""
    stage_next(workshop=workshop, actor="fac")
    stage_next(workshop=workshop, actor="fac")
    themes = list(workshop.themes.order_by("position"))
    attendees = [make_attendee(workshop=workshop) for _ in range(voters + 2)]
    poll = poll_open(workshop=workshop)
    for i, attendee in enumerate(attendees[:voters]):
        ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=themes[i % 2].pk)
    ballot_cast(poll_id=poll.pk, attendee_id=attendees[1].pk, theme_id=themes[0].pk)
    poll_close(poll=poll)
    poll_decide(poll=poll)
    stage_next(workshop=workshop, actor="fac")
    panellist = make_person(workshop=workshop)
    asked = [
        question_submit(
            workshop=workshop,
            attendee_id=attendees[i % len(attendees)].pk,
            text=f"Question {i}?",
            theme_id=themes[i % len(themes)].pk if i % 2 else None,
            panellist_id=panellist.pk if i % 3 == 0 else None,
            author_name="Sam" if i == 0 else "",
        )
        for i in range(questions)
    ]
    for q in asked[:-1]:
        question_approve(question=q)
    question_upvote(workshop=workshop, question_id=asked[0].pk, attendee_id=attendees[2].pk)
    question_upvote(workshop=workshop, question_id=asked[0].pk, attendee_id=attendees[3].pk)
    question_mark_answered(question=asked[0])
    if questions > 2:
        question_hide(question=asked[1])
    if questions > 3:
        question_put_on_screen(question=asked[2])
    for i in range(views):
        post = board_post_submit(
            workshop=workshop,
            attendee_id=attendees[i % len(attendees)].pk,
            kind=BoardPost.Kind.OPPORTUNITY if i % 2 else BoardPost.Kind.CHALLENGE,
            text=f"View {i}",
            theme_id=themes[i % len(themes)].pk if i % 3 else None,
        )
        if i == 0 and views > 2:
            board_post_hide(post=post)
    return poll


def test_report_vote_figures_equal_the_database():
    workshop = make_voting_workshop()
    poll = _session(workshop)
    [report] = report_context(workshop=workshop)["polls"]
    counts = {r.title: r.count for r in report.rows}
    for theme in workshop.themes.all():
        assert counts[theme.title] == Ballot.objects.filter(poll=poll, theme=theme).count()
    assert report.total == Ballot.objects.filter(poll=poll).count() == 6
    assert [r.percent for r in report.rows] == [
        round(100 * r.count / report.total, 1) for r in report.rows
    ]
    assert report.changed == 1
    poll.refresh_from_db()
    assert report.poll.decided_theme_id == poll.decided_theme_id
    assert [r.decided for r in report.rows] == [
        r.theme_id == poll.decided_theme_id for r in report.rows
    ]
    assert (
        report.joined_before_close
        == workshop.attendees.filter(joined_at__lte=poll.closed_at).count()
    )
    assert report.turnout_percent == round(100 * 6 / report.joined_before_close, 1)
    assert report.minutes[-1][1] == 6


def test_report_turnout_counts_the_phones_connected_when_the_console_closed_the_vote(client):
    workshop = make_voting_workshop()
    poll = poll_open(workshop=workshop)
    themes = list(workshop.themes.order_by("position"))
    for _ in range(3):
        voter = make_attendee(workshop=workshop)
        ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=themes[0].pk)
    make_attendee(workshop=workshop)  # joined, but not connected when the vote closed
    poll_close(poll=poll, phones=4)
    assert Poll.objects.get(pk=poll.pk).phones_at_close == 4

    [report] = report_context(workshop=workshop)["polls"]
    assert report.turnout_percent == 75.0
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    page = client.get(f"/s/{workshop.join_code}/report/").content.decode()
    assert "75.0% of the 4 phones connected when the vote closed" in page


def test_report_questions_and_views_equal_the_database():
    workshop = make_voting_workshop()
    _session(workshop, questions=5, views=6)
    context = report_context(workshop=workshop)
    questions = context["questions"]
    qs = Question.objects.filter(workshop=workshop)
    assert questions["total"] == qs.count() == 5
    assert questions["answered"] == qs.filter(status="answered").count() == 1
    assert questions["hidden"] == qs.filter(status="hidden").count() == 1
    assert questions["waiting"] == qs.filter(status="pending").count() == 1
    assert questions["approved"] == qs.filter(status__in=["live", "answered"]).count()
    assert questions["upvotes"] == 2
    states = {r["question"].text: r["state"] for r in questions["rows"]}
    assert states == {
        "Question 0?": "Answered",
        "Question 1?": "Hidden",
        "Question 2?": "On screen",
        "Question 3?": "Live",
        "Question 4?": "Waiting",
    }
    views = context["views"]
    shown = BoardPost.objects.filter(workshop=workshop, hidden=False, held=False)
    assert views["shown"] == shown.count() == 5
    assert views["hidden"] == 1
    by_kind = {g["kind"]: g["count"] for g in views["groups"]}
    assert by_kind == {
        "opportunity": shown.filter(kind="opportunity").count(),
        "challenge": shown.filter(kind="challenge").count(),
    }


def test_report_page_shows_the_figures_without_attendee_ids(client):
    workshop = make_voting_workshop()
    _session(workshop, questions=4)
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    response = client.get(f"/s/{workshop.join_code}/report/")
    body = response.content.decode()
    assert response.status_code == 200
    assert workshop.title in body and "Planned min" in body
    assert "Most votes" in body and "Question 0?" in body and "Sam" in body
    assert body.count("<svg") == 2
    assert "attendee_id" not in body
    assert not any(str(a) in body for a in workshop.attendees.all())  # "Attendee <pk>"


def test_report_refuses_anonymous_visitors_and_phones(client):
    workshop = make_voting_workshop()
    url = f"/s/{workshop.join_code}/report/"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    client.post(f"/j/{workshop.join_code}/join/")  # a phone: the attendee cookie only
    assert client.get(url).status_code == 302


def test_report_refuses_staff_without_permissions(client):
    workshop = make_voting_workshop()
    get_user_model().objects.create_user("staff", password="long-enough-pass-1", is_staff=True)
    log_in(client, "staff", "long-enough-pass-1")
    assert client.get(f"/s/{workshop.join_code}/report/").status_code == 403


def test_report_admits_the_facilitator_and_a_superuser(client):
    workshop = make_voting_workshop()
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    assert client.get(f"/s/{workshop.join_code}/report/").status_code == 200
    client.logout()
    get_user_model().objects.create_superuser("boss", password="long-enough-pass-1")
    log_in(client, "boss", "long-enough-pass-1")
    assert client.get(f"/s/{workshop.join_code.lower()}/report/").status_code == 302
    assert client.get(f"/s/{workshop.join_code}/report/").status_code == 200


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_report_query_count_does_not_grow_with_the_session(client):
    small, large = make_voting_workshop(), make_voting_workshop()
    _session(small, voters=2, questions=3, views=3)
    _session(large, voters=20, questions=12, views=15)
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    assert _queries(client, f"/s/{small.join_code}/report/") == _queries(
        client, f"/s/{large.join_code}/report/"
    )


def test_stage_changes_are_recorded_with_their_actor():
    workshop = make_voting_workshop()
    first, second, _ = workshop.agenda_items.all()
    stage_next(workshop=workshop, actor="fac")
    stage_next(workshop=workshop, actor="fac")
    stage_previous(workshop=workshop, actor="fac")
    stage_goto(workshop=workshop, item_id=None)
    events = list(StageEvent.objects.filter(workshop=workshop).values_list("item_id", "actor"))
    assert events == [(first.pk, "fac"), (second.pk, "fac"), (first.pk, "fac"), (None, "")]


def test_console_form_records_the_facilitator_as_actor(client):
    workshop = make_voting_workshop()
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    client.post(f"/s/{workshop.join_code}/console/action/", {"action": "stage_next"})
    assert list(StageEvent.objects.values_list("actor", flat=True)) == ["fac"]


def _at(workshop, minutes: float) -> datetime.datetime:
    return timezone.make_aware(workshop.starts_at) + datetime.timedelta(minutes=minutes)


def test_timeline_plans_from_the_start_time_and_measures_overruns():
    workshop = make_voting_workshop()  # three items of 10 minutes, from 14:00
    first, second, third = workshop.agenda_items.all()
    for item, minute in [(first, 1), (second, 16), (third, 24)]:
        StageEvent.objects.create(workshop=workshop, item=item, started_at=_at(workshop, minute))
    timeline = agenda_timeline(workshop=workshop)
    assert [row["planned_start"] for row in timeline] == [
        _at(workshop, 0),
        _at(workshop, 10),
        _at(workshop, 20),
    ]
    assert [row["actual_minutes"] for row in timeline] == [15.0, 8.0, None]
    assert [row["overrun_minutes"] for row in timeline] == [5.0, 0.0, None]
    assert timeline[0]["actual_start"] == _at(workshop, 1)
    assert timeline[0]["actual_end"] == _at(workshop, 16)
    assert timeline[2]["actual_end"] is None


def test_timeline_sums_the_time_on_an_item_visited_twice():
    workshop = make_voting_workshop()
    first, second, third = workshop.agenda_items.all()
    spells = [(first, 0), (second, 4), (first, 7), (second, 10), (third, 19), (None, 25)]
    for item, minute in spells:
        StageEvent.objects.create(workshop=workshop, item=item, started_at=_at(workshop, minute))
    timeline = agenda_timeline(workshop=workshop)
    assert [row["visits"] for row in timeline] == [2, 2, 1]
    assert [row["actual_minutes"] for row in timeline] == [7.0, 12.0, 6.0]
    assert [row["overrun_minutes"] for row in timeline] == [0.0, 2.0, 0.0]
    assert timeline[0]["actual_start"] == _at(workshop, 0)
    assert timeline[0]["actual_end"] == _at(workshop, 10)


def test_report_shows_a_runoff_with_its_parent():
    workshop = make_voting_workshop(themes=2)
    themes = list(workshop.themes.order_by("position"))
    poll = poll_open(workshop=workshop, tie_rule=Poll.TieRule.RUNOFF)
    a, b = make_attendee(workshop=workshop), make_attendee(workshop=workshop)
    ballot_cast(poll_id=poll.pk, attendee_id=a.pk, theme_id=themes[0].pk)
    ballot_cast(poll_id=poll.pk, attendee_id=b.pk, theme_id=themes[1].pk)
    poll_close(poll=poll)
    from voting.services import poll_runoff_start

    runoff = poll_runoff_start(poll=poll)
    reports = report_context(workshop=workshop)["polls"]
    assert [r.poll.pk for r in reports] == [poll.pk, runoff.pk]
    assert reports[0].has_runoff and reports[1].poll.runoff_of_id == poll.pk


def test_report_renders_a_large_session_with_its_figures(client):
    """The benchmark's data (5,000 ballots, 300 questions, 300 views): every figure the page
    shows equals the database's. Its timing is the benchmark's (make bench), not a test's."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench.report_render import report_data_build

    workshop = make_voting_workshop()
    report_data_build(workshop=workshop, ballots=5000, questions=300, views=300)
    context = report_context(workshop=workshop)
    [report] = context["polls"]
    assert report.total == Ballot.objects.filter(poll=report.poll).count() == 5000
    assert sum(r.count for r in report.rows) == 5000
    assert report.changed == 500
    assert report.minutes[-1][1] == 5000
    assert context["questions"]["total"] == 300
    assert context["questions"]["upvotes"] == sum(i % 5 for i in range(300))
    views = context["views"]
    assert views["shown"] + views["held"] + views["hidden"] == 300
    assert (
        views["shown"]
        == BoardPost.objects.filter(workshop=workshop, held=False, hidden=False).count()
    )
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    body = client.get(f"/s/{workshop.join_code}/report/").content.decode()
    for row in report.rows:
        assert f'<td class="num">{row.count}</td><td class="num">{row.percent}%</td>' in body
    assert body.count("<li>View ") == views["shown"]


def test_report_admits_an_organiser_who_may_view_workshops(client):
    from django.contrib.auth.models import Permission

    workshop = make_voting_workshop()
    organiser = get_user_model().objects.create_user(
        "org", password="long-enough-pass-1", is_staff=True
    )
    organiser.user_permissions.add(Permission.objects.get(codename="view_workshop"))
    log_in(client, "org", "long-enough-pass-1")
    body = client.get(f"/s/{workshop.join_code}/report/").content.decode()
    assert workshop.title in body
    assert "Back to the console" not in body  # the console would refuse them

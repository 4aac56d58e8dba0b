"""The projector in the room: what "Follow the session" shows after a decision, the countdown
switch, the leading theme at reveal, and the warning for a join address phones cannot reach."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_attendee, make_voting_workshop
from voting.selectors import poll_tally
from voting.services import ballot_cast, poll_close, poll_decide, poll_open, poll_reveal
from workshop.actions.console import console_action
from workshop.models import LiveState
from workshop.render import screen_main_html, screen_mode, screen_tally_html
from workshop.services import live_state_ensure, screen_countdown_show, stage_goto, stage_next
from workshop.snapshot import live_snapshot

pytestmark = pytest.mark.django_db


def _vote(workshop, counts: list[int]):
    """Open a vote on the workshop's themes, cast `counts` ballots for each, close, reveal."""
    poll = poll_open(workshop=workshop)
    themes = list(poll.options.order_by("position"))
    n = 0
    for theme, count in zip(themes, counts, strict=False):
        for _ in range(count):
            attendee = make_attendee(workshop=workshop)
            ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=theme.pk, key=f"k{n}")
            n += 1
    poll_close(poll=poll)
    poll_reveal(poll=poll)
    poll.refresh_from_db()
    return poll, themes


def test_follow_shows_the_decided_theme_until_the_agenda_moves_on():
    workshop = make_voting_workshop(themes=3)
    stage_next(workshop=workshop)
    poll, _ = _vote(workshop, [2, 1, 0])
    poll_decide(poll=poll)
    assert screen_mode(live_snapshot(workshop=workshop)) == "theme"

    stage_next(workshop=workshop)
    snap = live_snapshot(workshop=workshop)
    assert screen_mode(snap) == "stage"
    html = screen_main_html(snap)
    assert "The panel will discuss" not in html
    assert f"<h1>{snap.current.title}</h1>" in html

    # Going back on the agenda is a move too: the projector follows it.
    stage_goto(workshop=workshop, item_id=snap.agenda[0].pk)
    assert screen_mode(live_snapshot(workshop=workshop)) == "stage"


def test_the_screen_stays_on_the_facilitators_pick_whatever_the_agenda():
    workshop = make_voting_workshop(themes=3)
    poll, _ = _vote(workshop, [1, 0, 0])
    poll_decide(poll=poll)
    console_action(workshop=workshop, data={"action": "screen_show", "screen": "join"})
    stage_next(workshop=workshop)
    assert screen_mode(live_snapshot(workshop=workshop)) == "join"


def test_the_countdown_switch_is_state_and_bumps_the_version():
    workshop = make_voting_workshop()
    state = live_state_ensure(workshop=workshop)
    assert state.screen_countdown is False
    stage_next(workshop=workshop)
    before = LiveState.objects.get(workshop=workshop).version

    message = console_action(workshop=workshop, data={"action": "screen_countdown_on"})
    assert message == "The countdown is on the projector."
    state = LiveState.objects.get(workshop=workshop)
    assert (state.screen_countdown, state.version) == (True, before + 1)
    html = screen_main_html(live_snapshot(workshop=workshop))
    assert 'id="screen-countdown"' in html and 'role="timer"' in html

    console_action(workshop=workshop, data={"action": "screen_countdown_off"})
    assert LiveState.objects.get(workshop=workshop).screen_countdown is False
    assert 'id="screen-countdown"' not in screen_main_html(live_snapshot(workshop=workshop))


def test_switching_the_countdown_to_what_it_is_changes_nothing():
    workshop = make_voting_workshop()
    state = screen_countdown_show(workshop=workshop, show=False)
    assert LiveState.objects.get(workshop=workshop).version == state.version == 0


def test_no_countdown_on_the_projector_before_the_agenda_starts():
    workshop = make_voting_workshop()
    screen_countdown_show(workshop=workshop, show=True)
    assert 'id="screen-countdown"' not in screen_main_html(live_snapshot(workshop=workshop))


def test_revealed_results_name_the_leading_theme():
    workshop = make_voting_workshop(themes=3)
    poll, themes = _vote(workshop, [1, 3, 0])
    html = screen_tally_html(tally=poll_tally(poll_id=poll.pk), poll=poll)
    assert html.count("bar--lead") == 1
    assert f"Most votes: <strong>{themes[1].title}</strong>" in html
    assert "tally--tie" not in html


def test_revealed_results_show_a_tie_as_a_tie():
    workshop = make_voting_workshop(themes=3)
    poll, themes = _vote(workshop, [2, 2, 1])
    html = screen_tally_html(tally=poll_tally(poll_id=poll.pk), poll=poll)
    assert "tally--tie" in html and html.count("bar--lead") == 2
    assert (
        f"Tied: <strong>{themes[0].title}</strong> and <strong>{themes[1].title}</strong>" in html
    )


def test_no_leader_before_the_reveal_nor_without_ballots():
    workshop = make_voting_workshop(themes=3)
    poll = poll_open(workshop=workshop, show_bars=True)
    theme = poll.options.order_by("position").first()
    ballot_cast(
        poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=theme.pk, key="k"
    )
    assert "bar--lead" not in screen_tally_html(tally=poll_tally(poll_id=poll.pk), poll=poll)

    empty = make_voting_workshop(themes=3)
    poll, _ = _vote(empty, [0, 0, 0])
    html = screen_tally_html(tally=poll_tally(poll_id=poll.pk), poll=poll)
    assert "bar--lead" not in html and "Tied" not in html


def test_a_decided_vote_marks_the_winner_not_a_leader():
    workshop = make_voting_workshop(themes=3)
    poll, _ = _vote(workshop, [1, 3, 0])
    poll = poll_decide(poll=poll)
    html = screen_tally_html(tally=poll_tally(poll_id=poll.pk), poll=poll)
    assert "bar--won" in html and "bar--lead" not in html and "Most votes" not in html


def test_a_countdown_action_not_on_the_list_is_refused():
    workshop = make_voting_workshop()
    with pytest.raises(ValidationError, match=r"Unknown console action\."):
        console_action(workshop=workshop, data={"action": "screen_countdown"})


def _projector(client, workshop) -> str:
    secret = live_state_ensure(workshop=workshop).screen_secret
    return client.get(f"/s/{workshop.join_code}/screen/{secret}/").content.decode()


def test_the_projector_warns_when_its_join_address_is_loopback(client, settings):
    workshop = make_voting_workshop()
    settings.WORKSHOP_PUBLIC_URL = "http://127.0.0.1:8000"
    html = _projector(client, workshop)
    assert 'id="screen-loopback" role="alert"' in html
    assert "<strong>Phones cannot join.</strong>" in html


def test_the_projector_has_no_warning_when_phones_can_reach_its_join_address(client, settings):
    workshop = make_voting_workshop()
    settings.WORKSHOP_PUBLIC_URL = "http://192.168.1.20:8000"
    html = _projector(client, workshop)
    assert "screen-loopback" not in html
    assert f"192.168.1.20:8000/j/{workshop.join_code}" in html

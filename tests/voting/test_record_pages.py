"""The vote record's digest where the room and the facilitator see it."""

from tests.factories import log_in, make_attendee
from voting.models import Poll, PollEvent
from voting.services import ballot_cast, poll_close, poll_decide, poll_open, poll_reveal
from workshop.services import facilitator_ensure, live_state_ensure


def _closed_vote(workshop):
    poll = poll_open(workshop=workshop)
    for theme in poll.options.order_by("position")[:2]:
        ballot_cast(
            poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=theme.pk
        )
    ballot_cast(
        poll_id=poll.pk,
        attendee_id=make_attendee(workshop=workshop).pk,
        theme_id=poll.options.order_by("position")[0].pk,
    )
    return Poll.objects.get(pk=poll_close(poll=poll).pk)


def test_the_projector_shows_the_digest_once_the_results_are_revealed(client, demo_workshop):
    secret = live_state_ensure(workshop=demo_workshop).screen_secret
    poll = _closed_vote(demo_workshop)
    screen = f"/s/{demo_workshop.join_code}/screen/{secret}/"

    closed = client.get(screen).content.decode()
    poll_reveal(poll=poll)
    revealed = client.get(screen).content.decode()
    poll_decide(poll=poll)
    decided = client.get(screen).content.decode()

    assert 'data-mode="vote"' in closed and poll.record_digest not in closed
    assert f"Vote record SHA-256: <code>{poll.record_digest}</code>" in revealed
    # Once decided the projector moves on to the chosen theme; the digest stays in the
    # report and the export.
    assert 'data-mode="theme"' in decided


def test_the_console_shows_the_digest_once_the_vote_has_closed(client, demo_workshop):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    live_state_ensure(workshop=demo_workshop)
    console = f"/s/{demo_workshop.join_code}/console/"
    poll = poll_open(workshop=demo_workshop)

    open_page = client.get(console).content.decode()
    poll_close(poll=poll)
    poll = Poll.objects.get(pk=poll.pk)
    closed_page = client.get(console).content.decode()

    assert "Vote record SHA-256" not in open_page
    assert f"Vote record SHA-256: <code>{poll.record_digest}</code>" in closed_page


def test_the_audit_trail_names_the_facilitator_who_acted_from_the_console(client, demo_workshop):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    action = f"/s/{demo_workshop.join_code}/console/action/"

    client.post(action, {"action": "poll_open", "tie_rule": "casting"})
    client.post(action, {"action": "poll_close"})

    assert list(PollEvent.objects.values_list("what", "actor")) == [
        ("opened", "fac"),
        ("closed", "fac"),
    ]

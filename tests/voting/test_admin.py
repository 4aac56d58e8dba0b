from tests.factories import log_in, make_attendee
from voting.models import Ballot, BallotChange, Poll, PollEvent
from voting.services import ballot_cast, poll_close, poll_decide, poll_open
from workshop.services import facilitator_ensure


def test_admin_close_action_goes_through_the_service(client, demo_workshop):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    open_poll = poll_open(workshop=demo_workshop)

    response = client.post(
        "/admin/voting/poll/",
        {"action": "close_votes", "_selected_action": [open_poll.pk]},
        follow=True,
    )

    assert Poll.objects.get().state == "closed"
    assert "closed." in response.content.decode()


def test_admin_reveal_action_refuses_an_open_vote_with_the_services_message(client, demo_workshop):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    open_poll = poll_open(workshop=demo_workshop)

    response = client.post(
        "/admin/voting/poll/",
        {"action": "reveal_results", "_selected_action": [open_poll.pk]},
        follow=True,
    )

    assert "Close the vote before revealing the results." in response.content.decode()
    assert Poll.objects.get().revealed_at is None


def _voted(workshop):
    poll = poll_open(workshop=workshop)
    theme = poll.options.first()
    ballot_cast(poll_id=poll.pk, attendee_id=make_attendee(workshop=workshop).pk, theme_id=theme.pk)
    return poll_close(poll=poll)


def test_admin_refuses_to_delete_a_vote_with_ballots(admin_client, demo_workshop):
    poll = _voted(demo_workshop)

    page = admin_client.get(f"/admin/voting/poll/{poll.pk}/delete/").content.decode()
    response = admin_client.post(f"/admin/voting/poll/{poll.pk}/delete/", {"post": "yes"})

    assert "1 ballots, part of the vote record; a vote with ballots is kept" in page
    assert "Cannot delete" in response.content.decode()  # the page again, nothing deleted
    assert Poll.objects.filter(pk=poll.pk).exists()
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_admin_delete_selected_refuses_votes_with_ballots(admin_client, demo_workshop):
    poll = _voted(demo_workshop)
    poll_decide(poll=poll)
    empty = poll_open(workshop=demo_workshop)
    poll_close(poll=empty)

    response = admin_client.post(
        "/admin/voting/poll/",
        {"action": "delete_selected", "_selected_action": [poll.pk, empty.pk], "post": "yes"},
        follow=True,
    )

    assert "part of the vote record" in response.content.decode()
    assert set(Poll.objects.values_list("pk", flat=True)) == {poll.pk, empty.pk}
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_admin_deletes_a_vote_nobody_voted_in(admin_client, demo_workshop):
    empty = poll_open(workshop=demo_workshop)
    poll_close(poll=empty)

    admin_client.post(f"/admin/voting/poll/{empty.pk}/delete/", {"post": "yes"})

    assert not Poll.objects.filter(pk=empty.pk).exists()


def test_admin_shows_the_audit_trail_read_only(admin_client, demo_workshop):
    poll = _voted(demo_workshop)
    event = PollEvent.objects.filter(poll=poll).first()
    change = BallotChange.objects.get(poll=poll)

    events = admin_client.get("/admin/voting/pollevent/").content.decode()
    changes = admin_client.get("/admin/voting/ballotchange/").content.decode()

    assert "Opened" in events and "Closed" in events
    assert change.alias in changes
    assert 'value="delete_selected"' not in events + changes
    assert admin_client.get(f"/admin/voting/pollevent/{event.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/voting/ballotchange/{change.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/voting/pollevent/add/").status_code == 403
    assert PollEvent.objects.filter(poll=poll).count() == 2

from tests.factories import log_in
from voting.models import Poll
from voting.services import poll_open
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

"""The HTTP fallback: a phone without JavaScript (or with its socket down) posts a form."""

import pytest
from django.test import Client

from voting.models import Ballot
from voting.services import poll_close, poll_open


@pytest.fixture
def phone(demo_workshop):
    client = Client(enforce_csrf_checks=True)
    client.get("/j/PCN25/")  # the CSRF cookie
    # joins as live.js does: the attendee cookie
    client.post("/j/PCN25/join/", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


def _post_vote(client, poll, theme_id, **extra):
    data = {
        "poll": poll.pk,
        "theme": theme_id,
        "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
    }
    data.update(extra)
    return client.post("/j/PCN25/vote/", data)


def test_vote_by_form_records_the_ballot_and_says_so(phone, demo_workshop):
    poll = poll_open(workshop=demo_workshop)
    theme = poll.options.first()

    response = _post_vote(phone, poll, theme.pk)

    assert (response.status_code, response["Location"]) == (302, "/j/PCN25/#phone-live")
    assert Ballot.objects.get().theme == theme
    page = phone.get("/j/PCN25/").content.decode()
    assert "Your vote is in." in page
    assert f"✓ Your vote: <strong>{theme.title}</strong>" in page


def test_home_page_without_javascript_shows_the_ballot_as_forms(phone, demo_workshop):
    poll = poll_open(workshop=demo_workshop)
    page = phone.get("/j/PCN25/").content.decode()
    assert page.count('action="/j/PCN25/vote/"') == poll.options.count()
    assert 'name="csrfmiddlewaretoken" value=""' not in page


def test_vote_by_form_on_a_closed_vote_is_refused_with_a_message(phone, demo_workshop):
    poll = poll_open(workshop=demo_workshop)
    poll_close(poll=poll)

    _post_vote(phone, poll, poll.options.first().pk)

    assert Ballot.objects.count() == 0
    assert (
        "Voting has closed, so your vote was not counted."
        in phone.get("/j/PCN25/").content.decode()
    )


def test_vote_by_form_with_a_tampered_theme_is_refused(phone, demo_workshop):
    poll = poll_open(workshop=demo_workshop)

    _post_vote(phone, poll, "not-a-number")
    _post_vote(phone, poll, 987654)

    assert Ballot.objects.count() == 0
    page = phone.get("/j/PCN25/").content.decode()
    assert "That theme is not on this ballot." in page


def test_forged_form_without_csrf_token_is_refused_and_changes_nothing(phone, demo_workshop):
    poll = poll_open(workshop=demo_workshop)

    response = phone.post("/j/PCN25/vote/", {"poll": poll.pk, "theme": poll.options.first().pk})

    assert response.status_code == 403
    assert "That form could not be accepted" in response.content.decode()
    assert Ballot.objects.count() == 0


def test_vote_by_form_from_a_phone_not_yet_joined_joins_it_and_counts_once(demo_workshop):
    poll = poll_open(workshop=demo_workshop)
    client = Client()
    theme = poll.options.first()
    for _ in range(2):
        response = client.post("/j/PCN25/vote/", {"poll": poll.pk, "theme": theme.pk})
        assert response.status_code == 302
    assert demo_workshop.attendees.count() == 1
    assert list(Ballot.objects.values_list("attendee_id", "theme_id")) == [
        (demo_workshop.attendees.get().pk, theme.pk)
    ]


def test_vote_page_refuses_get(phone):
    assert phone.get("/j/PCN25/vote/").status_code == 405

"""The phone's home page kept by live version (workshop/pages.py): cheap for a hall arriving at
once, and never older than the database."""

import re

from django.test import Client

from voting.services import ballot_cast, poll_open
from workshop.models import Attendee
from workshop.pages import CSRF_SLOT
from workshop.services import content_save, stage_next

META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
FORM_TOKENS = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


def joined_phone() -> Client:
    phone = Client(enforce_csrf_checks=True)
    phone.get("/j/PCN25/")
    phone.post("/j/PCN25/join/", HTTP_X_CSRFTOKEN=phone.cookies["csrftoken"].value)
    return phone


def test_a_kept_home_page_costs_the_workshop_and_version_reads_alone(
    client, demo_workshop, django_assert_num_queries
):
    first = client.get("/j/PCN25/").content.decode()
    with django_assert_num_queries(2):  # the workshop by its code, the live version
        again = client.get("/j/PCN25/").content.decode()
    assert META_TOKEN.sub("", again) == META_TOKEN.sub("", first)
    assert demo_workshop.title in again


def test_a_joined_phone_in_an_open_vote_also_reads_its_own_ballot(
    demo_workshop, django_assert_num_queries
):
    poll = poll_open(workshop=demo_workshop)
    theme = poll.options.order_by("pk").last()
    phone, other = joined_phone(), joined_phone()
    voter = Attendee.objects.order_by("pk").first()
    ballot_cast(poll_id=poll.pk, attendee_id=voter.pk, theme_id=theme.pk)
    phone.get("/j/PCN25/")
    with django_assert_num_queries(3):  # the workshop, the live version, this phone's ballot
        mine = phone.get("/j/PCN25/").content.decode()
    theirs = other.get("/j/PCN25/").content.decode()
    assert f"✓ Your vote: <strong>{theme.title}</strong>" in mine
    assert "✓ Your vote" not in theirs


def test_every_response_carries_its_own_working_csrf_token_and_never_the_slot(demo_workshop):
    poll = poll_open(workshop=demo_workshop)
    theme = poll.options.first()
    phone = joined_phone()
    page = phone.get("/j/PCN25/").content.decode()
    again = phone.get("/j/PCN25/").content.decode()
    assert CSRF_SLOT not in page + again
    tokens = {META_TOKEN.search(page).group(1), *FORM_TOKENS.findall(page)}
    assert META_TOKEN.search(again).group(1) not in tokens  # masked afresh for each request
    form_token = FORM_TOKENS.findall(page)[0]
    response = phone.post(
        "/j/PCN25/vote/", {"poll": poll.pk, "theme": theme.pk, "csrfmiddlewaretoken": form_token}
    )
    assert response.status_code == 302  # the kept page's ballot form is accepted
    assert "Your vote is in." in phone.get("/j/PCN25/").content.decode()


def test_phones_arriving_together_each_join_with_the_token_of_their_own_page(demo_workshop):
    """Two phones with no cookie are served the same kept page: each gets a token that
    matches its own CSRF cookie, so each join is accepted (as live.js posts it)."""
    for _ in range(3):
        phone = Client(enforce_csrf_checks=True)
        page = phone.get("/j/PCN25/").content.decode()
        assert CSRF_SLOT not in page
        response = phone.post("/j/PCN25/join/", HTTP_X_CSRFTOKEN=META_TOKEN.search(page).group(1))
        assert response.status_code == 204
    assert Attendee.objects.count() == 3


def test_a_change_of_stage_or_content_shows_on_the_next_load(client, demo_workshop):
    assert "Renamed for the test" not in client.get("/j/PCN25/").content.decode()
    first_item = demo_workshop.agenda_items.order_by("position").first()
    stage_next(workshop=demo_workshop)
    assert first_item.title in client.get("/j/PCN25/").content.decode()
    demo_workshop.title = "Renamed for the test"
    content_save(saved=[demo_workshop])  # what an organiser's save in admin does
    assert "Renamed for the test" in client.get("/j/PCN25/").content.decode()


def test_flash_messages_are_shown_once_on_a_kept_page(demo_workshop):
    poll = poll_open(workshop=demo_workshop)
    theme = poll.options.first()
    phone = joined_phone()
    phone.get("/j/PCN25/")  # kept for this version
    token = phone.cookies["csrftoken"].value
    phone.post("/j/PCN25/vote/", {"poll": poll.pk, "theme": theme.pk, "csrfmiddlewaretoken": token})
    assert "Your vote is in." in phone.get("/j/PCN25/").content.decode()
    assert "Your vote is in." not in phone.get("/j/PCN25/").content.decode()

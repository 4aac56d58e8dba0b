"""Staff logins are throttled per username and client address (django-axes, settings AXES_*):
a password guesser gets AXES_FAILURE_LIMIT tries, then nothing for the cool-off."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

from workshop.services import facilitator_ensure

pytestmark = pytest.mark.security

PASSWORD = "long-enough-pass-1"


@pytest.fixture
def facilitator(db):
    facilitator_ensure(username="fac", password=PASSWORD)


def attempt(client: Client, password: str, *, username: str = "fac", **headers):
    return client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/"},
        **headers,
    )


def logged_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(facilitator):
    client = Client()
    answers = [attempt(client, f"guess-{i}").status_code for i in range(50)]
    right = attempt(client, PASSWORD)

    # The form again ("Please enter the correct username..."), then the fifth failure locks.
    assert answers[:4] == [200] * 4
    assert set(answers[4:]) == {429}
    assert right.status_code == 429
    assert "Too many failed logins" in right.content.decode()
    assert right["Retry-After"] == str(15 * 60)
    assert not logged_in(client)


def test_a_lockout_keeps_other_accounts_and_other_addresses_able_to_log_in(facilitator):
    get_user_model().objects.create_user("org", password=PASSWORD, is_staff=True)
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(5):
        attempt(guesser, f"guess-{i}")
    assert attempt(guesser, PASSWORD).status_code == 429

    same_network = Client(REMOTE_ADDR="203.0.113.9")
    assert attempt(same_network, PASSWORD, username="org").status_code == 302
    facilitator_elsewhere = Client(REMOTE_ADDR="198.51.100.4")
    assert attempt(facilitator_elsewhere, PASSWORD).status_code == 302
    assert logged_in(facilitator_elsewhere)


def test_a_client_cannot_pick_its_own_address_with_x_forwarded_for(facilitator):
    client = Client()
    for i in range(5):
        attempt(client, f"guess-{i}", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    refused = attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert refused.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_a_successful_login_starts_the_count_again(facilitator):
    client = Client()
    for i in range(4):
        attempt(client, f"guess-{i}")
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    for i in range(4):
        attempt(client, f"again-{i}")
    assert attempt(client, PASSWORD).status_code == 302


def test_the_lockout_lifts_after_the_cool_off(facilitator):
    client = Client()
    for i in range(5):
        attempt(client, f"guess-{i}")
    assert attempt(client, PASSWORD).status_code == 429

    # The cool-off is counted from the last failure: move it back past 15 minutes.
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    assert attempt(client, PASSWORD).status_code == 302
    assert logged_in(client)

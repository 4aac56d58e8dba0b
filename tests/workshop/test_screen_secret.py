"""A new projector link (workshop.services.screen_secret_renew and the console's action)."""

import pytest

from tests.factories import log_in
from workshop.models import LiveState
from workshop.services import facilitator_ensure, live_state_ensure, screen_secret_renew

pytestmark = pytest.mark.security


@pytest.fixture
def facilitator(client, demo_workshop):
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    log_in(client, "fac", "long-enough-pass-1")
    return client


def test_renewing_gives_a_new_secret_and_a_new_version(demo_workshop):
    before = live_state_ensure(workshop=demo_workshop)

    screen_secret_renew(workshop=demo_workshop)

    after = LiveState.objects.get(workshop=demo_workshop)
    assert after.screen_secret != before.screen_secret
    assert len(after.screen_secret) == len(before.screen_secret)
    assert after.version == before.version + 1


def test_the_old_projector_link_is_not_found_and_the_new_one_opens(client, demo_workshop):
    old = live_state_ensure(workshop=demo_workshop).screen_secret

    new = screen_secret_renew(workshop=demo_workshop).screen_secret

    assert client.get(f"/s/PCN25/screen/{old}/").status_code == 404
    assert client.get(f"/s/PCN25/screen/{new}/").status_code == 200


def test_the_console_form_makes_a_new_link_and_the_page_shows_it(facilitator, demo_workshop):
    old = live_state_ensure(workshop=demo_workshop).screen_secret

    response = facilitator.post(
        "/s/PCN25/console/action/", {"action": "screen_secret_renew", "confirm": "on"}
    )

    assert response.status_code == 302
    new = LiveState.objects.get(workshop=demo_workshop).screen_secret
    assert new != old
    body = facilitator.get("/s/PCN25/console/").content.decode()
    assert f'href="/s/PCN25/screen/{new}/"' in body and old not in body
    assert "The projector has a new link" in body


def test_a_new_link_needs_the_box_ticked(facilitator, demo_workshop):
    old = live_state_ensure(workshop=demo_workshop).screen_secret

    facilitator.post("/s/PCN25/console/action/", {"action": "screen_secret_renew"})

    assert LiveState.objects.get(workshop=demo_workshop).screen_secret == old
    body = facilitator.get("/s/PCN25/console/").content.decode()
    assert "Tick the box to confirm: the current projector link stops working." in body


def test_the_console_shows_the_new_link_form_without_inline_script(facilitator, demo_workshop):
    body = facilitator.get("/s/PCN25/console/").content.decode()

    assert 'name="action" value="screen_secret_renew"' in body
    assert '<input type="checkbox" name="confirm" value="on" required>' in body
    assert "<script>" not in body and " onclick=" not in body and " onsubmit=" not in body

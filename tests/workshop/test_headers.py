"""Security headers on every response."""

import re

import pytest
from django.http import HttpResponse

from tests.factories import log_in
from voting.services import ballot_cast, poll_close, poll_open, poll_reveal
from workshop.attendees import attendee_cookie_value, cookie_name
from workshop.headers import ContentSecurityPolicyMiddleware
from workshop.services import attendee_join, facilitator_ensure, live_state_ensure

pytestmark = [pytest.mark.security, pytest.mark.django_db]


def test_pages_forbid_camera_microphone_and_location(client):
    response = client.get("/admin/login/")
    policy = response.headers["Permissions-Policy"]
    assert [
        p for p in policy.split(", ") if p in ("camera=()", "microphone=()", "geolocation=()")
    ] == [
        "camera=()",
        "microphone=()",
        "geolocation=()",
    ]


def _csp(response) -> dict[str, str]:
    return dict(
        d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";")
    )


STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


@pytest.mark.parametrize("path", ["/", "/j/PCN25/", "/admin/login/", "/no-such-page/"])
def test_pages_carry_a_strict_content_security_policy(client, demo_workshop, path):
    policy = _csp(client.get(path))
    assert policy == {**STRICT, "connect-src": "'self' ws://testserver"}


def test_a_page_over_https_may_open_its_socket_over_wss_only(client, demo_workshop):
    assert _csp(client.get("/j/PCN25/", secure=True))["connect-src"] == "'self' wss://testserver"


def test_scripts_stylesheets_and_redirects_carry_no_policy(rf):
    """A policy where nothing is rendered as a page does nothing; it would only cost the
    phones bytes."""
    middleware = ContentSecurityPolicyMiddleware(lambda request: None)
    request = rf.get("/static/js/live.js")
    for status, content_type, has_policy in (
        (200, "text/javascript", False),
        (200, "text/css", False),
        (200, "image/svg+xml", False),
        (302, "text/html; charset=utf-8", False),
        (200, "text/html; charset=utf-8", True),
        (404, "text/html; charset=utf-8", True),
    ):
        response = HttpResponse(status=status, content_type=content_type)
        response = middleware.process_response(request, response)
        assert ("Content-Security-Policy" in response.headers) is has_policy, (status, content_type)


INLINE = re.compile(r"""\sstyle=|<style|\son[a-z]+=|<script(?![^>]*\ssrc=)|javascript:""", re.I)


def test_pages_have_no_inline_script_style_or_handler(client, demo_workshop):
    """What the CSP refuses is not in any page, the vote's bars included: the projector and
    console with live bars, a phone that voted, after the reveal."""
    facilitator_ensure(username="fac", password="long-enough-pass-1")
    poll = poll_open(workshop=demo_workshop, show_bars=True)
    theme = poll.options.first()
    attendee = attendee_join(workshop=demo_workshop, address="192.0.2.1")
    ballot_cast(poll_id=poll.pk, attendee_id=attendee.pk, theme_id=theme.pk)
    secret = live_state_ensure(workshop=demo_workshop).screen_secret
    projector = client.get(f"/s/PCN25/screen/{secret}/").content.decode()
    assert 'class="bar__fill" width="100%"' in projector
    log_in(client, "fac", "long-enough-pass-1")
    console = client.get("/s/PCN25/console/").content.decode()
    assert 'class="bar__fill" width="100%"' in console
    client.logout()
    poll_close(poll=poll)
    poll_reveal(poll=poll)
    client.cookies[cookie_name(demo_workshop.pk)] = attendee_cookie_value(
        workshop_id=demo_workshop.pk, attendee_id=attendee.pk
    )
    phone = client.get("/j/PCN25/").content.decode()
    assert 'class="bar__fill" width="100%"' in phone
    for page in (projector, console, phone, client.get("/").content.decode()):
        assert INLINE.findall(page) == []

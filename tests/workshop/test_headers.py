"""Security headers on every response."""

import pytest

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

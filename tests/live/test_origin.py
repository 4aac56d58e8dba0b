"""The Origin check on WebSocket handshakes (workshop/live/origin.py): scheme, host and port."""

import pytest
from channels.db import database_sync_to_async

from tests.live.conftest import Socket
from workshop.live.origin import origin_allowed, origin_parse

pytestmark = [pytest.mark.security, pytest.mark.django_db(transaction=True)]


async def _projector(workshop, *headers: tuple[str, str]) -> Socket:
    secret = await database_sync_to_async(lambda: workshop.live.screen_secret)()
    encoded = [(name.lower().encode(), value.encode()) for name, value in headers]
    return Socket(f"/ws/s/{workshop.join_code}/screen/{secret}/", headers=encoded)


def _scope(*headers: tuple[str, str], scheme: str | None = None) -> dict:
    scope = {"type": "websocket", "headers": [(n.lower().encode(), v.encode()) for n, v in headers]}
    if scheme:
        scope["scheme"] = scheme
    return scope


# --- through the real ASGI application --------------------------------------------------------


async def test_a_socket_from_its_own_origin_is_accepted(live_workshop):
    sock = await _projector(live_workshop, ("Origin", "http://localhost"), ("Host", "localhost"))

    assert await sock.connect() is True
    await sock.close()


async def test_a_socket_from_another_port_of_the_same_host_is_refused(live_workshop):
    sock = await _projector(
        live_workshop, ("Origin", "http://localhost:1234"), ("Host", "localhost:8000")
    )

    assert await sock.connect() is False


async def test_a_socket_from_another_scheme_of_the_same_host_is_refused(live_workshop):
    sock = await _projector(live_workshop, ("Origin", "https://localhost"), ("Host", "localhost"))

    assert await sock.connect() is False


async def test_a_socket_from_another_host_is_refused(live_workshop):
    sock = await _projector(live_workshop, ("Origin", "http://evil.example"), ("Host", "localhost"))

    assert await sock.connect() is False


async def test_a_socket_without_an_origin_is_refused(live_workshop):
    sock = await _projector(live_workshop, ("Host", "localhost"))

    assert await sock.connect() is False


async def test_a_socket_from_a_trusted_origin_is_accepted(live_workshop, settings):
    settings.ALLOWED_HOSTS = ["localhost", "live.example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://live.example.org"]
    sock = await _projector(
        live_workshop, ("Origin", "https://live.example.org"), ("Host", "localhost:8000")
    )

    assert await sock.connect() is True
    await sock.close()


async def test_the_console_from_another_port_is_refused_before_it_is_accepted(live_workshop):
    from tests.live.conftest import console

    sock = await console(live_workshop)
    sock.comm.scope["headers"] = [
        (b"origin", b"http://localhost:1234") if name == b"origin" else (name, value)
        for name, value in sock.comm.scope["headers"]
    ]

    connected, code = await sock.comm.connect(timeout=5)

    assert (connected, code) == (False, 1000)  # closed before accept: daphne answers 403


# --- the rule, case by case -------------------------------------------------------------------


def test_the_socket_origin_follows_the_scheme_the_client_used():
    assert origin_allowed(
        _scope(("Origin", "https://localhost"), ("Host", "localhost"), scheme="wss")
    )
    assert not origin_allowed(
        _scope(("Origin", "http://localhost"), ("Host", "localhost"), scheme="wss")
    )


def test_behind_a_proxy_the_forwarded_scheme_is_the_socket_scheme():
    forwarded = ("X-Forwarded-Proto", "https")

    assert origin_allowed(_scope(("Origin", "https://localhost"), ("Host", "localhost"), forwarded))
    assert not origin_allowed(
        _scope(("Origin", "http://localhost"), ("Host", "localhost"), forwarded)
    )
    assert not origin_allowed(
        _scope(
            ("Origin", "https://localhost"), ("Host", "localhost"), ("X-Forwarded-Proto", "http")
        )
    )


def test_the_forwarded_scheme_counts_only_with_secure_proxy_ssl_header(settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    forwarded = ("X-Forwarded-Proto", "https")

    assert not origin_allowed(
        _scope(("Origin", "https://localhost"), ("Host", "localhost"), forwarded)
    )


def test_default_ports_match_whether_written_or_not():
    assert origin_allowed(_scope(("Origin", "http://localhost:80"), ("Host", "localhost")))
    assert origin_allowed(_scope(("Origin", "http://127.0.0.1:8000"), ("Host", "127.0.0.1:8000")))
    assert origin_allowed(_scope(("Origin", "http://[::1]:8000"), ("Host", "[::1]:8000")))
    assert not origin_allowed(
        _scope(("Origin", "http://127.0.0.1:8001"), ("Host", "127.0.0.1:8000"))
    )


def test_an_origin_outside_allowed_hosts_is_refused_even_when_it_matches_the_host():
    assert not origin_allowed(_scope(("Origin", "http://evil.example"), ("Host", "evil.example")))


def test_a_trusted_origin_still_needs_an_allowed_host_header(settings):
    settings.ALLOWED_HOSTS = ["live.example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://live.example.org"]

    assert not origin_allowed(_scope(("Origin", "https://live.example.org"), ("Host", "evil.test")))


def test_trusted_origins_match_on_scheme_and_port(settings):
    settings.ALLOWED_HOSTS = [".example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://live.example.org", "https://*.rooms.example.org"]
    host = ("Host", "localhost.example.org")

    assert origin_allowed(_scope(("Origin", "https://live.example.org:443"), host))
    assert origin_allowed(_scope(("Origin", "https://a.rooms.example.org"), host))
    assert not origin_allowed(_scope(("Origin", "http://live.example.org"), host))
    assert not origin_allowed(_scope(("Origin", "https://live.example.org:8443"), host))
    assert not origin_allowed(_scope(("Origin", "http://a.rooms.example.org"), host))


def test_the_public_url_origin_is_trusted(settings):
    settings.ALLOWED_HOSTS = ["localhost", "live.example.org"]
    settings.WORKSHOP_PUBLIC_URL = "https://live.example.org"

    assert origin_allowed(_scope(("Origin", "https://live.example.org"), ("Host", "localhost")))
    assert not origin_allowed(_scope(("Origin", "http://live.example.org"), ("Host", "localhost")))


def test_malformed_origins_are_refused():
    for value in ("null", "", "localhost", "ftp://localhost", "http://", "http://localhost/x",
                  "http://user@localhost", "http://localhost:99999", "http://localhost:x"):  # fmt: skip
        assert not origin_allowed(_scope(("Origin", value), ("Host", "localhost"))), value
    assert origin_parse("HTTP://LocalHost:8000") == ("http", "localhost", 8000)

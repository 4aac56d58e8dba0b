"""Which pages may open a WebSocket here: the Origin check on every handshake.

Browsers let any page open a WebSocket to any address, sending the user's cookies with it,
and say which page asked in the Origin header. So a socket is accepted only when its Origin
is one of this site's own, matched on scheme, host and port (channels' host-only check let a
page on another port or scheme of an allowed host in):

- the socket's own origin: the Host header it was sent to, with the scheme the client used
  (ws -> http, wss -> https; behind a proxy, the header named by SECURE_PROXY_SSL_HEADER,
  trusted exactly as Django trusts it for HTTP requests);
- an origin listed in CSRF_TRUSTED_ORIGINS (`https://*.example.com` for subdomains, as
  for Django's CSRF check);
- the origin of WORKSHOP_PUBLIC_URL.

The Origin's host must also be in ALLOWED_HOSTS, and so must the Host header's.

A handshake with no Origin is refused. Every browser sends one on a WebSocket handshake, so
only other programs omit it; they can send the header like any other (the load scripts do),
and a browser or embedded view that dropped it would otherwise bypass the check.
Refused handshakes are closed before they are accepted (daphne answers 403).
"""

import logging
from typing import NamedTuple
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    scheme: str
    host: str  # lower case, as ALLOWED_HOSTS entries are matched: "[::1]" keeps its brackets
    port: int


def origin_parse(value: str) -> Origin | None:
    """`scheme://host[:port]` with the default port filled in; None if it is not one."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or parts.path not in ("", "/") or parts.query:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    host, port = split_domain_port(parts.netloc)
    if not host:
        return None
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            return None
        return Origin(scheme, host, int(port))
    return Origin(scheme, host, DEFAULT_PORTS[scheme])


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


def socket_scheme(scope) -> str:
    """The scheme of the page that would share the socket's origin: "http" or "https".

    Like Django's `request.is_secure()`: the SECURE_PROXY_SSL_HEADER wins when the request
    has it, else the server's own word. daphne puts no "scheme" in a WebSocket scope (even
    with --proxy-headers, which it applies to HTTP only), so "ws" is the default, as ASGI
    says.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        value = _header(scope, name)
        if value is not None:
            return "https" if value.split(",", 1)[0].strip() == secure_value else "http"
    return "https" if scope.get("scheme", "ws") in ("wss", "https") else "http"


def _allowed_hosts() -> list[str]:
    # As django.http.HttpRequest.get_host: with DEBUG and no ALLOWED_HOSTS, local names.
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        return [".localhost", "127.0.0.1", "[::1]"]
    return settings.ALLOWED_HOSTS


def _trusted(origin: Origin) -> bool:
    listed = list(settings.CSRF_TRUSTED_ORIGINS)
    if settings.WORKSHOP_PUBLIC_URL:
        listed.append(settings.WORKSHOP_PUBLIC_URL)
    for entry in listed:
        if "*" in entry:
            # "https://*.example.com[:port]": the domain and its subdomains, as Django's CSRF
            # check reads it.
            parts = urlsplit(entry)
            pattern = parts.netloc.lstrip("*")
            netloc = origin.host
            if origin.port != DEFAULT_PORTS[origin.scheme] or ":" in pattern:
                netloc = f"{origin.host}:{origin.port}"
            if parts.scheme == origin.scheme and is_same_domain(netloc, pattern):
                return True
        elif origin_parse(entry) == origin:
            return True
    return False


def origin_allowed(scope) -> bool:
    """Whether this WebSocket handshake comes from one of the site's own pages."""
    value = _header(scope, b"origin")
    origin = origin_parse(value) if value is not None else None
    if origin is None:
        return False
    hosts = _allowed_hosts()
    if not validate_host(origin.host, hosts):
        return False
    host = _header(scope, b"host")
    own = origin_parse(f"{socket_scheme(scope)}://{host}") if host is not None else None
    if own is not None and not validate_host(own.host, hosts):
        return False
    return origin == own or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware for the websocket protocol: refuses a handshake from another origin."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SameOriginValidator is for WebSocket connections only.")
        if origin_allowed(scope):
            return await self.application(scope, receive, send)
        # The origins (never the path: a projector's address holds its secret) help to set
        # up a proxy: one that does not pass X-Forwarded-Proto makes https pages look foreign.
        log.warning(
            "WebSocket refused: Origin %r is not this site's (Host %r, scheme %s)",
            _header(scope, b"origin"),
            _header(scope, b"host"),
            socket_scheme(scope),
        )
        return await WebsocketDenier()(scope, receive, send)

"""The projector's secret kept out of the logs.

The projector is admitted by the secret in its address (/s/<CODE>/screen/<secret>/ and
/ws/s/<CODE>/screen/<secret>/), so a log line with that address lets whoever reads the logs
open the projector, and a wrong guess that is one character off tells nearly as much.
Every line that names such an address shows "<secret>" in its place instead:

- daphne's access log (one line per HTTP request and per WebSocket connecting, connected,
  rejected or disconnected): `install()` makes daphne's command line build its access log
  from RedactingAccessLog. It must run while the application loads (workshop/asgi.py calls
  it), which is before daphne creates the access log;
- Django's own lines (django.request's "Not Found: <path>", and the development server's
  request lines): the ScreenSecretFilter in settings.LOGGING.

A path is matched both as written and percent-decoded, since Django routes the decoded
form (/s/CODE/scr%65en/<secret>/ opens the projector too).
"""

import logging
import re
import sys
from urllib.parse import quote, unquote

from daphne.access import AccessLogGenerator

SECRET = "<secret>"
_SCREEN = re.compile(r"(/s/[^/]+/screen/)[^/]+")
# Kept as they are when a decoded path is written back; anything else (spaces, control
# characters such as a decoded %0A, which could forge a log line) is percent-encoded.
_SAFE = "/:@!$&'()*+,;=~<>%[]\""
_PATHLIKE = re.compile(r"\S+")


def redact_path(path: str) -> str:
    """A request path, with or without its query string, with any projector secret replaced."""
    head, sep, query = path.partition("?")
    decoded = unquote(head)
    if _SCREEN.search(decoded):
        return quote(_SCREEN.sub(rf"\1{SECRET}", decoded), safe=_SAFE) + sep + query
    if _SCREEN.search(head):
        return _SCREEN.sub(rf"\1{SECRET}", head) + sep + query
    return path


def redact(text: str) -> str:
    """Free text (a log message) with the secret of every projector address in it replaced."""
    if "/s/" not in text and "%" not in text:
        return text
    return _PATHLIKE.sub(lambda m: redact_path(m.group()), text)


class ScreenSecretFilter(logging.Filter):
    """Replaces projector secrets in a record's message and arguments; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redact_arg(v) for k, v in record.args.items()}
        return True


def _redact_arg(value):
    return redact(value) if isinstance(value, str) else value


class RedactingAccessLog(AccessLogGenerator):
    """daphne's access log, with projector secrets replaced in each line's request."""

    def write_entry(self, host, date, request, status=None, length=None, ident=None, user=None):
        super().write_entry(host, date, redact(request), status, length, ident, user)


def install() -> None:
    """Make daphne's command line (when it is the one loading the app) log through
    RedactingAccessLog. daphne.cli is not imported here: importing it installs Twisted's
    reactor, which only daphne itself should do."""
    if (cli := sys.modules.get("daphne.cli")) is not None:
        cli.AccessLogGenerator = RedactingAccessLog


def installed() -> bool:
    cli = sys.modules.get("daphne.cli")
    return cli is not None and cli.AccessLogGenerator is RedactingAccessLog

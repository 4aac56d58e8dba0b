"""Projector secrets kept out of daphne's access log and Django's log lines (workshop/redact.py)."""

import datetime
import io
import logging
import subprocess
import sys

import pytest
from django.test import Client

from tests.processes import ROOT, app_env
from workshop.redact import RedactingAccessLog, redact, redact_path
from workshop.services import live_state_ensure

pytestmark = pytest.mark.security

WRONG = "wrong-guess-Zq81"


@pytest.fixture
def secret(demo_workshop) -> str:
    return live_state_ensure(workshop=demo_workshop).screen_secret


def _access_log(*calls) -> str:
    stream = io.StringIO()
    log = RedactingAccessLog(stream)
    for protocol, action, details in calls:
        log(protocol, action, {"client": "127.0.0.1:50000", **details})
    return stream.getvalue()


def test_the_access_log_names_no_projector_secret_right_or_wrong():
    secret = "Xk3_real-secret-9Qa"
    http = {"method": "GET", "status": 200, "size": 512, "time_taken": 0.01}
    lines = _access_log(
        ("http", "complete", {**http, "path": f"/s/PCN25/screen/{secret}/"}),
        ("http", "complete", {**http, "path": f"/s/PCN25/screen/{WRONG}/?x=1", "status": 404}),
        ("http", "complete", {**http, "path": f"/s/PCN25/scr%65en/{secret}/"}),
        *(
            ("websocket", action, {"path": f"/ws/s/PCN25/screen/{secret}/"})
            for action in ("connecting", "connected", "disconnected")
        ),
        ("websocket", "rejected", {"path": f"/ws/s/PCN25/screen/{WRONG}/"}),
    )

    assert secret not in lines and WRONG not in lines and "Xk3" not in lines
    assert lines.count("screen/<secret>/") == 7
    assert '"GET /s/PCN25/screen/<secret>/?x=1" 404 512' in lines
    assert '"WSCONNECTING /ws/s/PCN25/screen/<secret>/" - -' in lines


def test_the_access_log_leaves_other_paths_as_they_are():
    http = {"method": "GET", "status": 200, "size": 10, "time_taken": 0.01}
    lines = _access_log(
        ("http", "complete", {**http, "path": "/j/PCN25/?a=%20b"}),
        ("websocket", "connecting", {"path": "/ws/s/PCN25/console/"}),
    )

    assert '"GET /j/PCN25/?a=%20b" 200 10' in lines
    assert '"WSCONNECTING /ws/s/PCN25/console/" - -' in lines


def test_a_decoded_path_cannot_break_the_log_line():
    redacted = redact_path("/s/PCN25/screen/abc%0A127.0.0.1%20-%20-%20forged/")

    assert redacted == "/s/PCN25/screen/<secret>/"
    assert redact("GET /s/P/screen/a%20b/c%0Ad") == "GET /s/P/screen/<secret>/c%0Ad"


def test_django_not_found_lines_name_no_projector_secret(client, secret, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")

    assert client.get(f"/s/PCN25/screen/{WRONG}/").status_code == 404
    assert client.get(f"/s/pcn25/screen/{secret}x/").status_code == 404
    assert client.post(f"/s/PCN25/screen/{secret}/").status_code == 405

    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "Not Found: /s/PCN25/screen/<secret>/",
        "Not Found: /s/pcn25/screen/<secret>/",
        "Method Not Allowed (POST): /s/PCN25/screen/<secret>/",
    ]


def test_csrf_refusals_name_no_projector_secret(secret, demo_workshop, caplog):
    caplog.set_level(logging.WARNING, logger="django.security.csrf")

    Client(enforce_csrf_checks=True).post(f"/s/PCN25/screen/{secret}/")

    assert [r.getMessage() for r in caplog.records] == [
        "Forbidden (CSRF cookie not set.): /s/PCN25/screen/<secret>/"
    ]


def test_daphne_started_from_its_command_line_logs_through_the_redacting_access_log():
    """daphne's command line creates its access log after loading the app: the app swaps
    the class in first (workshop/asgi.py). Run in a process of its own, as daphne would:
    importing daphne.cli installs Twisted's reactor."""
    code = (
        "import daphne.cli, django; django.setup(); import workshop.asgi; "
        "from workshop.redact import RedactingAccessLog; "
        "print(daphne.cli.AccessLogGenerator is RedactingAccessLog)"
    )
    env = app_env(WORKSHOP_SQLITE_PATH=":memory:")

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip

    assert (result.returncode, result.stdout.strip()) == (0, "True"), result.stderr


def test_the_access_log_line_keeps_daphnes_format():
    stream = io.StringIO()
    RedactingAccessLog(stream).write_entry(
        host="10.0.0.1:1", date=datetime.datetime(2026, 1, 2, 3, 4, 5), request="GET /", status=200
    )

    assert stream.getvalue() == '10.0.0.1:1 - - [02/Jan/2026:03:04:05] "GET /" 200 -\n'


def test_the_development_servers_request_lines_name_no_projector_secret(caplog):
    """daphne's runserver logs each request with a dict of details (django.channels.server)."""
    caplog.set_level(logging.INFO, logger="django.channels.server")
    details = {"method": "GET", "path": "/s/PCN25/screen/Xk3-secret/", "status": 200,
               "time_taken": 0.01, "client": "127.0.0.1:5"}  # fmt: skip

    logging.getLogger("django.channels.server").info(
        "HTTP %(method)s %(path)s %(status)s [%(time_taken).2f, %(client)s]", details
    )

    assert caplog.records[-1].getMessage() == (
        "HTTP GET /s/PCN25/screen/<secret>/ 200 [0.01, 127.0.0.1:5]"
    )

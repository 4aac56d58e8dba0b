"""Browser tests: Playwright drives Debian's Chromium against a real daphne process.

The server runs as users run it (`workshop.asgi` under daphne, collected static files served
by whitenoise) on its own SQLite file with the demo workshop loaded. These tests never touch
the ORM in-process: they check what a person sees, and read the database through
`manage.py` where they must.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.chromium import browser, new_laptop, new_phone, pw  # noqa: F401 (fixtures)
from tests.processes import ROOT, free_port, mark_directory

FACILITATOR = ("facilitator", "browser-test-pass-1")


def pytest_collection_modifyitems(config, items):
    mark_directory(items, Path(__file__).parent, pytest.mark.browser)


@dataclass
class LiveApp:
    url: str
    env: dict
    log: Path

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return result.stdout


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "workshop.settings",
        "WORKSHOP_VAR_DIR": str(var),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # daphne's access log as it happens, so that a test can read it (test_console_security).
        "PYTHONUNBUFFERED": "1",
    }
    app = LiveApp(url="", env=env, log=var / "daphne.log")
    app.manage("migrate", "--noinput", "-v0")
    app.manage("collectstatic", "--noinput", "-v0")
    app.manage("load_demo")
    app.manage("facilitator", "--username", FACILITATOR[0], "--password", FACILITATOR[1])

    port = free_port()
    app.url = f"http://127.0.0.1:{port}"
    with app.log.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "workshop.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(app.url + "/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start:\n" + app.log.read_text()) from None
                time.sleep(0.1)
        yield app
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    server_log = app.log.read_text()
    assert "Traceback" not in server_log, server_log
    # Every projector address the tests opened is in the access log without its secret.
    assert re.findall(r"/screen/(?!<secret>/)[^/\s]+", server_log) == [], server_log

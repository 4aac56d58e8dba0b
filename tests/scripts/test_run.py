"""`make run` (scripts/run.sh) as a person starts it: the banner it prints, the address phones
are given, and the app behind that address."""

import http.cookiejar
import os
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from tests.processes import ROOT, app_env, free_port
from workshop.lan import lan_address

# run.sh is the embedded default whatever the outer run's database: it runs once, in make
# test's SQLite stage, not again in the PostgreSQL + Redis stages.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="make run's embedded default: the SQLite stage"
)

TITLE = (
    "Policy into practice: exploring the implementation and potential of Primary Care "
    "Networks in the NHS in England"
)


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    # One var/ for both runs: the second finds the database, the static files and the demo.
    return tmp_path_factory.mktemp("run") / "var"


def _run(var_dir, **env) -> tuple[subprocess.Popen, str]:
    """Starts scripts/run.sh; returns it (by then daphne) and its banner, once the server
    answers."""
    port = str(free_port())
    proc = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT, env=app_env(WORKSHOP_VAR_DIR=str(var_dir), PORT=port, **env),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    banner, deadline = [], time.monotonic() + 180
    try:
        while not banner or "Stop with Ctrl-C." not in banner[-1]:
            try:
                banner.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError("no banner in time:\n" + "".join(banner)) from None
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "".join(banner)
                time.sleep(0.1)
    except BaseException:
        _stop(proc)
        raise
    return proc, "".join(banner)


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=20)


def _link(banner: str, name: str) -> str:
    return re.search(rf"^\s+{name}\s+(\S+)", banner, re.M).group(1)


def _get(url: str, opener=None) -> str:
    with (opener or urllib.request.build_opener()).open(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode()


def test_a_private_rehearsal_serves_loopback_and_the_projector_warns(var_dir):
    proc, banner = _run(var_dir, HOST="127.0.0.1")
    try:
        port = re.search(r"starting on http://127\.0\.0\.1:(\d+)", banner).group(1)
        # The whole title in the box, wrapped at word boundaries, never cut.
        box = banner[banner.index("=" * 80) :]
        assert " ".join(box.split()).count(TITLE) == 1, box
        assert "Private rehearsal: served on 127.0.0.1 only, phones cannot reach it." in " ".join(
            banner.split()
        )
        assert _link(banner, "Phone page") == f"http://127.0.0.1:{port}/j/PCN25/"
        assert re.search(r"Facilitator login\s+facilitator / \S+", banner)
        assert "Policy into practice" in _get(_link(banner, "Phone page"))
        assert "Phones cannot join" in _get(_link(banner, "Projector"))
    finally:
        _stop(proc)
    # What var/ holds is the owner's alone.
    assert (var_dir / "db.sqlite3").stat().st_mode & 0o077 == 0
    assert (var_dir / "facilitator-password").stat().st_mode & 0o077 == 0


def test_the_default_run_gives_phones_the_laptops_network_address(var_dir):
    lan = lan_address()
    proc, banner = _run(var_dir)  # HOST unset: every interface
    try:
        if lan is None:  # a machine with no network: run.sh says so and falls back
            assert " !! " in banner and "127.0.0.1" in _link(banner, "Phone page"), banner
            return
        port = re.search(rf"starting on http://{re.escape(lan)}:(\d+)", banner).group(1)
        base = f"http://{lan}:{port}"
        assert f"Phones on the same network as this laptop join at {base}" in banner
        assert _link(banner, "Attendees join at") == base + "/"
        assert _link(banner, "Phone page") == base + "/j/PCN25/"
        # The address is served and allowed: a phone reaches it, joins with a POST whose
        # Origin is that address, and the projector shows no loopback warning.
        cookies = http.cookiejar.CookieJar()
        phone = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
        assert "Policy into practice" in _get(base + "/j/PCN25/", phone)
        token = next(c.value for c in cookies if c.name == "csrftoken")
        join = urllib.request.Request(
            base + "/j/PCN25/join/",
            method="POST",
            headers={"X-CSRFToken": token, "Origin": base, "Referer": base + "/j/PCN25/"},
        )
        with phone.open(join, timeout=10) as response:
            assert response.status == 204
        assert any(c.name.startswith("wl_attendee_") for c in cookies), list(cookies)
        projector = _get(_link(banner, "Projector"))
        assert "Phones cannot join" not in projector
        assert f"{lan}:{port}" in projector
    finally:
        _stop(proc)

"""A worker dies while a phone's vote waits in it, in real Chromium behind serve.py's nginx.

The vote is sent into a worker frozen with SIGSTOP, so it is certain to be unanswered; the
worker is then killed. Everything else is real: nginx sends the phone's reconnect to the
other worker, and live.js sends the unanswered vote again with its key.
"""

import os
import signal

from playwright.sync_api import expect

from tests.chromium import browser_fixtures, screenshot
from tests.scaleout.conftest import sockets_on, worker_pid
from tests.scaleout.test_workers import OPEN_VOTE

# Playwright's sync API runs its own event loop: a module of its own, as in
# test_browser_reconnect.py.
pw, browser = browser_fixtures("module")

BALLOTS = (
    "import json; from voting.models import Ballot; "
    "print(json.dumps(list(Ballot.objects.values_list('theme__title', 'key'))))"
)


def test_a_vote_waiting_in_a_worker_that_dies_is_counted_once_through_nginx(
    cluster, serve, new_phone
):
    port, (a, b), _, _ = serve
    cluster.query(OPEN_VOTE)
    phone = new_phone()
    phone.goto(f"http://127.0.0.1:{port}/j/PCN25/")
    expect(phone.locator("#phone-live .option")).to_have_count(3)
    expect(phone.locator("html")).to_have_attribute("data-live", "on")
    assert sockets_on(a) + sockets_on(b) == 1  # the phone's one socket, on one worker
    pid = worker_pid(a if sockets_on(a) else b)

    os.kill(pid, signal.SIGSTOP)  # frozen: it reads nothing and answers nothing
    try:
        phone.get_by_role("button", name="System engagement").tap()
        phone.wait_for_timeout(500)
        expect(phone.locator("#phone-live .notice")).to_have_count(0)  # no answer yet
    finally:
        os.kill(pid, signal.SIGKILL)

    expect(phone.locator("#phone-live .notice")).to_contain_text(
        "Your vote: System engagement", timeout=20_000
    )
    ballots = cluster.query(BALLOTS)
    assert [title for title, _ in ballots] == ["System engagement"]
    assert ballots[0][1]  # stored with the tap's key
    screenshot(phone, "scaleout-03-phone-vote-counted-after-its-worker-died")

"""A worker dies while a phone's vote or question waits in it, in real Chromium behind
serve.py's nginx.

The vote or question is sent into a worker frozen with SIGSTOP, so it is certain to be
unanswered; the worker is then killed. Everything else is real: nginx sends the phone's
reconnect to the other worker, and live.js sends what had no answer again with its key.
"""

import contextlib
import os
import signal

from playwright.sync_api import expect

from tests.chromium import browser_fixtures, screenshot
from tests.scaleout.conftest import sockets_on, wait_for, worker_pid
from tests.scaleout.test_workers import OPEN_VOTE

# Playwright's sync API runs its own event loop: a module of its own, as in
# test_browser_reconnect.py.
pw, browser = browser_fixtures("module")

QUESTIONS = (
    "import json; from panel.models import Question; "
    "print(json.dumps(list(Question.objects.values_list('text', 'key'))))"
)
BALLOTS = (
    "import json; from voting.models import Ballot; "
    "print(json.dumps(list(Ballot.objects.values_list('theme__title', 'key'))))"
)


def _the_phones_worker(a: int, b: int) -> int:
    """The pid of the worker holding the phone's one socket. The page's own HTTP request may
    have gone to the other worker (least_conn), and its connection can still be established
    for a moment after the page loaded: wait until the socket is the only connection left."""
    wait_for(lambda: sockets_on(a) + sockets_on(b) == 1, "one connection: the phone's socket", 10)
    return worker_pid(a if sockets_on(a) else b)


@contextlib.contextmanager
def _frozen_then_killed(pid: int):
    """The worker is frozen with SIGSTOP (it reads nothing and answers nothing) for the
    block, then killed with SIGKILL, whatever the block did."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGKILL)


def test_a_vote_waiting_in_a_worker_that_dies_is_counted_once_through_nginx(
    cluster, serve, new_phone
):
    port, (a, b), _, _ = serve
    cluster.query(OPEN_VOTE)
    phone = new_phone()
    phone.goto(f"http://127.0.0.1:{port}/j/PCN25/")
    expect(phone.locator("#phone-live .option")).to_have_count(3)
    expect(phone.locator("html")).to_have_attribute("data-live", "on")
    pid = _the_phones_worker(a, b)

    with _frozen_then_killed(pid):
        phone.get_by_role("button", name="System engagement").tap()
        phone.wait_for_timeout(500)
        expect(phone.locator("#phone-live .notice")).to_have_count(0)  # no answer yet

    expect(phone.locator("#phone-live .notice")).to_contain_text(
        "Your vote: System engagement", timeout=20_000
    )
    ballots = cluster.query(BALLOTS)
    assert [title for title, _ in ballots] == ["System engagement"]
    assert ballots[0][1]  # stored with the tap's key
    screenshot(phone, "scaleout-03-phone-vote-counted-after-its-worker-died")


def test_a_question_waiting_in_a_worker_that_dies_is_stored_once_through_nginx(
    cluster, serve, new_phone
):
    port, (a, b), _, _ = serve
    phone = new_phone()
    phone.goto(f"http://127.0.0.1:{port}/j/PCN25/questions/")
    expect(phone.locator("html")).to_have_attribute("data-live", "on")
    pid = _the_phones_worker(a, b)
    box = phone.get_by_label("Your question")
    box.fill("Who keeps the shared estates in repair?")

    with _frozen_then_killed(pid):
        phone.get_by_role("button", name="Send question").tap()
        phone.wait_for_timeout(500)
        expect(box).to_have_value("Who keeps the shared estates in repair?")  # no answer yet

    expect(phone.locator("#phone-flash")).to_contain_text("Question sent", timeout=20_000)
    expect(box).to_have_value("")
    questions = cluster.query(QUESTIONS)
    assert [text for text, _ in questions] == ["Who keeps the shared estates in repair?"]
    assert questions[0][1]  # stored with the key live.js gave the text

"""A vote sent on a socket that dies before its answer: the phone sends it again.

The network is what fails here, not our code: Playwright stands between the page and the
server (route_web_socket), drops the vote on its way and closes the page's socket with 1012
(a server restarting), as a worker killed mid-burst or a phone leaving the Wi-Fi would leave
it. Everything after that is the real live.js, htmx and server.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.chromium import screenshot

SHELL = (
    "import json; from workshop.models import Workshop; from voting.models import Ballot, Poll; "
    "from voting.selectors import poll_tally; "
    "from voting.services import poll_close, poll_decide, poll_open; w = Workshop.objects.get(); "
)


def _shell(live_app, code: str):
    return json.loads(
        live_app.manage("shell", "--no-imports", "-c", SHELL + code).strip().splitlines()[-1]
    )


@pytest.fixture
def vote(live_app):
    """A vote of its own, opened before the phone loads the page; settled afterwards so that
    later tests can open theirs (the services refuse a new vote while one is undecided)."""
    poll = _shell(live_app, "print(json.dumps(poll_open(workshop=w).pk))")
    yield poll
    _shell(
        live_app,
        f"p = Poll.objects.get(pk={poll}); p.state == 'open' and poll_close(poll=p); "
        f"poll_decide(poll=p, theme_id=poll_tally(poll_id=p.pk).leaders[0]); print(1)",
    )


def _ballots(live_app, poll: int) -> list[list[str]]:
    return _shell(
        live_app,
        f"print(json.dumps(list(Ballot.objects.filter(poll_id={poll})"
        ".values_list('theme__title', 'key'))))",
    )


def _route_dropping_the_first_vote(phone):
    """Every phone socket goes through Playwright; the first vote is lost with its socket."""
    seen = {"sockets": 0, "dropped": []}

    def route(ws):
        server = ws.connect_to_server()
        seen["sockets"] += 1

        def from_page(message):
            if not seen["dropped"] and '"vote"' in message:
                seen["dropped"].append(json.loads(message))
                ws.close(code=1012, reason="the worker went away")
                server.close()
                return
            server.send(message)

        ws.on_message(from_page)

    phone.route_web_socket(re.compile(r"/ws/j/PCN25/"), route)
    return seen


def test_a_vote_lost_with_its_socket_is_sent_again_after_the_reconnect(live_app, new_phone, vote):
    phone = new_phone()
    seen = _route_dropping_the_first_vote(phone)
    phone.goto(live_app.url + "/j/PCN25/")
    expect(phone.locator("#phone-live .option")).to_have_count(3)
    expect(phone.locator("html")).to_have_attribute("data-live", "on")

    phone.get_by_role("button", name="System engagement").tap()

    # htmx reconnects by itself after 1012; live.js sends the unanswered vote again.
    expect(phone.locator("#phone-live .notice")).to_contain_text(
        "Your vote: System engagement", timeout=15_000
    )
    assert seen["sockets"] == 2 and len(seen["dropped"]) == 1
    # Stored once, under the tap's own key: the resend is the same ballot, not a new one.
    assert _ballots(live_app, vote) == [["System engagement", seen["dropped"][0]["key"]]]
    screenshot(phone, "resend-01-phone-vote-counted-after-reconnect")

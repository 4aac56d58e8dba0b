"""A vote, a question or an upvote sent on a socket that dies before its answer: the phone
sends it again, and the server stores it once.

The network is what fails here, not the app's code: Playwright stands between the page and the
server (route_web_socket), drops the vote on its way and closes the page's socket with 1012
(a server restarting), as a worker killed mid-burst or a phone leaving the Wi-Fi would leave
it. Everything after that is the real live.js, htmx and server.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.chromium import axe_violations, screenshot

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


def _route_dropping_the_first_vote(phone, on_drop=lambda: None, marker='"vote"'):
    """Every phone socket goes through Playwright; the first vote (the first message with
    `marker`) is lost with its socket. What the page sends after that is in seen["after"]."""
    seen = {"sockets": 0, "dropped": [], "after": []}

    def route(ws):
        server = ws.connect_to_server()
        seen["sockets"] += 1

        def from_page(message):
            if seen["dropped"]:
                seen["after"].append(message)
            elif marker in message:
                seen["dropped"].append(json.loads(message))
                on_drop()
                ws.close(code=1012, reason="the worker went away")
                server.close()
                return
            server.send(message)

        ws.on_message(from_page)

    phone.route_web_socket(re.compile(r"/ws/j/PCN25/"), route)
    return seen


def _route_losing_the_answer(phone, sent_marker: str, last_frame_marker: str):
    """Every phone socket goes through Playwright. The first socket delivers the first
    message with `sent_marker` to the server, which stores it, but the server's answer is
    lost: the socket closes with 1012 at the answer's frame with `last_frame_marker`. What
    the page sends with `sent_marker` is in seen["sent"], the lost frames in seen["lost"]."""
    seen = {"sockets": 0, "sent": [], "lost": []}

    def route(ws):
        server = ws.connect_to_server()
        seen["sockets"] += 1
        first = seen["sockets"] == 1

        def from_server(message):
            if first and seen["sent"]:  # the answer: lost with the socket
                seen["lost"].append(message)
                if last_frame_marker in message:
                    ws.close(code=1012, reason="the worker went away")
                    server.close()
                return
            ws.send(message)

        def from_page(message):
            if sent_marker in message:
                seen["sent"].append(json.loads(message))
            server.send(message)

        server.on_message(from_server)
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
    assert axe_violations(phone) == []
    screenshot(phone, "resend-01-phone-vote-counted-after-reconnect")


def test_a_vote_that_closed_while_the_socket_was_down_is_not_sent_again(live_app, new_phone, vote):
    phone = new_phone()
    # The vote closes while this phone's socket is down: no push reaches it.
    seen = _route_dropping_the_first_vote(
        phone, lambda: _shell(live_app, f"poll_close(poll={vote}); print(1)")
    )
    phone.goto(live_app.url + "/j/PCN25/")
    expect(phone.locator("html")).to_have_attribute("data-live", "on")

    phone.get_by_role("button", name="Policy and history").tap()

    # The reconnected card says the vote has closed, and what counted: nothing.
    expect(phone.locator("#phone-live h2")).to_have_text("Voting has closed", timeout=15_000)
    phone.wait_for_timeout(1000)  # a resend would have gone out with that first card
    assert seen["sockets"] == 2 and len(seen["dropped"]) == 1
    assert not [m for m in seen["after"] if '"vote"' in m]
    assert _ballots(live_app, vote) == []


def test_a_vote_tapped_before_the_sockets_first_card_is_sent_once(live_app, new_phone, vote):
    """The socket is open (the page shows Live) but its first card, which shows no vote yet,
    arrives only after the tap: that card must not make live.js send the vote again, on the
    socket that already carries it. (It did, until live.js remembered which socket a vote
    went out on; the same race made the test above fail one run in six.)"""
    phone = new_phone()
    seen = {"held": [], "votes": []}

    def route(ws):
        server = ws.connect_to_server()

        def from_server(message):
            if not seen["votes"]:  # hold every card until the vote has gone out
                seen["held"].append(message)
            else:
                ws.send(message)

        def from_page(message):
            server.send(message)
            if '"vote"' in message:
                seen["votes"].append(json.loads(message))
                while seen["held"]:
                    ws.send(seen["held"].pop(0))

        server.on_message(from_server)
        ws.on_message(from_page)

    phone.route_web_socket(re.compile(r"/ws/j/PCN25/"), route)
    phone.goto(live_app.url + "/j/PCN25/")
    expect(phone.locator("html")).to_have_attribute("data-live", "on")

    phone.get_by_role("button", name="Policy and history").tap()

    expect(phone.locator("#phone-live .notice")).to_contain_text("Your vote: Policy and history")
    phone.wait_for_timeout(1000)  # a second send would follow the held card at once
    assert len(seen["votes"]) == 1
    assert _ballots(live_app, vote) == [["Policy and history", seen["votes"][0]["key"]]]


def test_a_question_whose_answer_is_lost_is_sent_again_and_stored_once(live_app, new_phone):
    """The server stores the question, and its answer is lost with the socket: the phone
    still shows the text, unanswered. After the reconnect live.js sends it again under the
    same key, and the server answers it without storing it twice."""
    phone = new_phone()
    # Its last frame is the emptied box and key.
    seen = _route_losing_the_answer(phone, '"question_ask"', 'id="q-key"')
    phone.goto(live_app.url + "/j/PCN25/questions/")
    expect(phone.locator("html")).to_have_attribute("data-live", "on")

    phone.get_by_label("Your question").fill("Who maintains the shared estates?")
    phone.get_by_role("button", name="Send question").tap()

    expect(phone.locator("#phone-flash")).to_contain_text("Question sent", timeout=15_000)
    expect(phone.get_by_label("Your question")).to_have_value("")
    expect(phone.locator("#q-count")).to_have_text("Up to 280 characters.")
    assert seen["sockets"] == 2 and seen["lost"]
    assert [a["key"] for a in seen["sent"]] == [seen["sent"][0]["key"]] * 2  # sent again
    stored = _shell(
        live_app,
        "from panel.models import Question; print(json.dumps(list(Question.objects.filter("
        "text='Who maintains the shared estates?').values_list('key', flat=True))))",
    )
    assert stored == [seen["sent"][0]["key"]]
    assert axe_violations(phone) == []
    screenshot(phone, "resend-02-phone-question-sent-after-reconnect")


@pytest.fixture
def question(live_app):
    """An approved question from another attendee, open for upvotes; hidden afterwards."""
    text = "Which budgets follow the patient?"
    pk = _shell(
        live_app,
        "from workshop.models import Attendee; "
        "from panel.services import question_approve, question_submit; "
        "a = Attendee.objects.create(workshop=w); "
        f"q = question_submit(workshop=w, attendee_id=a.pk, text={text!r}); "
        "print(json.dumps(question_approve(question=q).pk))",
    )
    yield pk
    _shell(
        live_app,
        "from panel.models import Question; from panel.services import question_hide; "
        f"question_hide(question=Question.objects.get(pk={pk})); print(1)",
    )


def _upvotes(live_app, question: int) -> int:
    return _shell(
        live_app,
        f"from panel.models import Upvote; print(Upvote.objects.filter(question_id={question})"
        ".count())",
    )


def test_an_upvote_lost_with_its_socket_is_sent_again_after_the_reconnect(
    live_app, new_phone, question
):
    phone = new_phone()
    seen = _route_dropping_the_first_vote(phone, marker='"question_upvote"')
    phone.goto(live_app.url + "/j/PCN25/questions/")
    expect(phone.locator("html")).to_have_attribute("data-live", "on")
    button = phone.locator(f"#q-{question}-vote button")

    button.tap()

    # The reconnected socket's question list shows the button not pressed: live.js sends
    # the upvote again, and the server's answer presses it.
    expect(button).to_have_attribute("aria-pressed", "true", timeout=15_000)
    expect(button).to_have_text("▲ 1")
    assert seen["sockets"] == 2 and len(seen["dropped"]) == 1
    assert [json.loads(m)["action"] for m in seen["after"]] == ["question_upvote"]
    assert _upvotes(live_app, question) == 1
    assert axe_violations(phone) == []
    screenshot(phone, "resend-03-phone-upvote-counted-after-reconnect")


def test_an_upvote_whose_answer_is_lost_is_not_sent_again(live_app, new_phone, question):
    """The server stores the upvote and its answer is lost with the socket. The reconnected
    socket's question list shows the button pressed, so live.js sends nothing more."""
    phone = new_phone()
    seen = _route_losing_the_answer(phone, "upvote", f'id="q-{question}-vote"')
    phone.goto(live_app.url + "/j/PCN25/questions/")
    expect(phone.locator("html")).to_have_attribute("data-live", "on")
    button = phone.locator(f"#q-{question}-vote button")

    button.tap()

    expect(button).to_have_attribute("aria-pressed", "true", timeout=15_000)
    phone.wait_for_timeout(1000)  # a resend would follow the reconnected question list
    assert seen["sockets"] == 2 and seen["lost"]
    assert [u["action"] for u in seen["sent"]] == ["question_upvote"]
    assert _upvotes(live_app, question) == 1

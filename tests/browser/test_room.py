"""The room: the projector follows the agenda after the decision, shows the countdown (the
console's switch), the phones joined, the leading or tied themes at reveal, a full-screen QR
code, and a warning when its join address is one no phone can reach."""

import re
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_vote import _log_in
from tests.chromium import FITS, axe_violations, projector_overflow, screenshot
from tests.processes import ROOT, free_port

CONSOLE = "/s/PCN25/console/"
VOTE_ITEM = "Audience vote: choose the panel's theme"


def _join_box_fits(projector) -> bool:
    """The join panel's QR code, warning and words stay inside its box."""
    return projector.evaluate(
        "() => { const a = document.querySelector('.join');"
        " return a.scrollHeight <= a.clientHeight && a.scrollWidth <= a.clientWidth; }"
    )


def _open(live_app, new_laptop, new_phone, phones: int = 0):
    console = new_laptop(1366, 768)
    _log_in(console, live_app, CONSOLE)
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    projector = new_laptop(1920, 1080)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()
    pages = []
    for _ in range(phones):
        page = new_phone()
        page.goto(live_app.url + "/j/PCN25/")
        expect(page.locator("[data-live-status]")).to_be_hidden()
        pages.append(page)
    return console, projector, pages


def _agenda_go(console, title):
    item = console.locator(".agenda li", has_text=title)
    if item.get_by_role("button", name="Go").count():
        item.get_by_role("button", name="Go").click()
    expect(console.locator(".now__title")).to_have_text(title)


def _screen_follows(console):
    console.get_by_role("button", name="Follow the session").click()
    expect(console.get_by_role("button", name="Follow the session")).to_have_attribute(
        "aria-pressed", "true"
    )


def _open_vote(console):
    vote = console.locator("#console-vote")
    vote.get_by_label("The facilitator chooses among the tied themes").check()
    vote.get_by_role("button", name=re.compile(r"^Open (a new|the) vote")).click()
    expect(vote.locator(".state")).to_contain_text("Open")


def test_the_projector_marks_a_tie_then_the_leader_and_follows_the_agenda_after_the_decision(
    live_app, new_laptop, new_phone
):
    console, projector, (one, two) = _open(live_app, new_laptop, new_phone, phones=2)
    _screen_follows(console)
    _agenda_go(console, VOTE_ITEM)
    hint = console.locator("#screen-follow-hint")
    expect(hint).to_contain_text("until you move the agenda on")

    # A tie, revealed: both tied themes are marked and named as tied.
    _open_vote(console)
    one.get_by_role("button", name="Policy and history").tap()
    two.get_by_role("button", name="System engagement").tap()
    expect(console.locator("#turnout")).to_contain_text("2 ballots")
    console.keyboard.press("c")
    expect(console.locator("#console-vote .state")).to_contain_text("Closed")
    console.keyboard.press("r")
    tally = projector.locator(".tally")
    expect(tally).to_have_class(re.compile(r"\btally--tie\b"))
    expect(projector.locator(".bar--lead")).to_have_count(2)
    expect(projector.locator("#screen-lead")).to_have_text(
        "Tied: Policy and history and System engagement"
    )
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    screenshot(projector, "room-01-projector-tie-revealed")
    console.get_by_role("button", name="Choose “System engagement”").click()
    expect(projector.locator("#screen-chosen")).to_have_text("System engagement")

    # A new vote with a clear leader: marked, and named, at the reveal.
    _open_vote(console)
    one.get_by_role("button", name="Policy and history").tap()
    two.get_by_role("button", name="Policy and history").tap()
    expect(console.locator("#turnout")).to_contain_text("2 ballots")
    console.keyboard.press("c")
    expect(console.locator("#console-vote .state")).to_contain_text("Closed")
    console.keyboard.press("r")
    expect(projector.locator(".bar--lead")).to_have_count(1)
    expect(projector.locator(".bar--lead .bar__label")).to_have_text("Policy and history")
    expect(projector.locator("#screen-lead")).to_have_text("Most votes: Policy and history")
    expect(tally).not_to_have_class(re.compile(r"\btally--tie\b"))
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    screenshot(projector, "room-02-projector-leader-revealed")

    # Decided: "The panel will discuss", while the agenda stays on the vote.
    console.keyboard.press("d")
    expect(projector.locator("#screen-chosen")).to_have_text("Policy and history")
    expect(projector.locator("#screen-main .eyebrow")).to_have_text("The panel will discuss")
    assert axe_violations(console) == []
    screenshot(console, "room-03-console-follow-hint")

    # The facilitator moves on: the projector follows the agenda to the end.
    console.keyboard.press("n")
    expect(console.locator(".now__title")).to_have_text("Panel discussion of the chosen theme")
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "stage")
    expect(projector.locator("#screen-main h1")).to_have_text(
        "Panel discussion of the chosen theme"
    )
    expect(projector.locator("#screen-stage-theme")).to_have_text(
        "Theme chosen by the room: Policy and history"
    )
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    screenshot(projector, "room-04-projector-follows-panel-item")
    console.keyboard.press("n")
    expect(projector.locator("#screen-main h1")).to_have_text("Audience questions and views")
    _agenda_go(console, "Close")
    expect(projector.locator("#screen-main h1")).to_have_text("Close")
    expect(projector.locator("#screen-main")).not_to_contain_text("The panel will discuss")
    screenshot(projector, "room-05-projector-follows-close")


def test_the_countdown_switch_puts_the_items_countdown_on_the_projector(
    live_app, new_laptop, new_phone
):
    console, projector, _ = _open(live_app, new_laptop, new_phone)
    _screen_follows(console)
    _agenda_go(console, "Findings: policy and history")
    clock = projector.locator("#screen-countdown")
    expect(clock).to_have_count(0)
    switch = console.get_by_role("button", name="Countdown on the projector")
    expect(switch).to_have_attribute("aria-pressed", "false")

    switch.click()
    expect(console.get_by_role("button", name="Countdown on the projector")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(clock).to_have_text(re.compile(r"^\d+:\d\d left$"))
    expect(clock).to_have_attribute("role", "timer")
    assert float(clock.evaluate("el => parseFloat(getComputedStyle(el).fontSize)")) >= 48
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    assert _join_box_fits(projector)
    screenshot(projector, "room-06-projector-countdown")
    assert axe_violations(console) == []
    screenshot(console, "room-07-console-countdown-on")

    # It is state: a projector opened afresh (or reconnecting) shows it straight away, in
    # every mode, and it ticks.
    again = new_laptop(1920, 1080)
    again.goto(projector.url)
    first = again.locator("#screen-countdown").text_content()
    expect(again.locator("#screen-countdown")).not_to_have_text(first, timeout=3000)
    console.get_by_role("button", name="Join code and QR, full screen").click()
    expect(again.locator("#screen-main")).to_have_attribute("data-mode", "join")
    expect(again.locator("#screen-countdown")).to_be_visible()
    assert projector_overflow(again) == FITS
    assert _join_box_fits(again)
    screenshot(again, "room-08-projector-join-with-countdown")

    console.get_by_role("button", name="Countdown on the projector").click()
    expect(clock).to_have_count(0)
    expect(again.locator("#screen-countdown")).to_have_count(0)
    _screen_follows(console)


def _phones_joined(projector) -> int:
    text = projector.locator("#screen-phones").text_content()
    return int(re.fullmatch(r"(\d+) phones? joined", text).group(1))


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)])
def test_the_join_screen_fills_the_projector_with_the_qr_code(
    live_app, new_laptop, new_phone, size
):
    width, height = size
    console = new_laptop(1366, 768)
    _log_in(console, live_app, CONSOLE)
    projector = new_laptop(width, height)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()
    console.get_by_role("button", name="Join code and QR, full screen").click()
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "join")

    # The drawing itself (its dark modules), not only its box: as tall as the screen allows,
    # less the margins and the quiet zone round the code.
    qr = projector.locator(".join__qr svg path").first.bounding_box()
    assert qr["height"] >= 0.7 * height, qr
    assert qr["y"] >= 0 and qr["y"] + qr["height"] <= height
    expect(projector.locator(".join__qr svg")).to_be_in_viewport(ratio=1)
    for part in (".join__url", ".join__code strong"):
        expect(projector.locator(part)).to_be_in_viewport(ratio=1)
    code_px = projector.locator(".join__code strong").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    url_px = projector.locator(".join__url").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert code_px >= 0.05 * width and url_px >= 0.025 * width, (code_px, url_px)
    assert projector_overflow(projector) == FITS
    assert _join_box_fits(projector)

    # The phones joined, live.
    expect(projector.locator("#screen-phones")).to_have_text(re.compile(r"^\d+ phones? joined$"))
    before = _phones_joined(projector)
    phone = new_phone()
    phone.goto(live_app.url + "/j/PCN25/")
    expect(phone.locator("[data-live-status]")).to_be_hidden()
    expect(projector.locator("#screen-phones")).to_have_text(
        re.compile(rf"^{before + 1} phones? joined$")
    )
    assert axe_violations(projector) == []
    screenshot(projector, f"room-09-projector-join-{width}x{height}")
    phone.close()
    expect(projector.locator("#screen-phones")).to_have_text(
        re.compile(rf"^{before} phones? joined$"), timeout=10000
    )
    _screen_follows(console)


def test_the_projector_warns_in_large_type_that_a_loopback_join_address_reaches_no_phone(
    live_app, new_laptop
):
    console = new_laptop(1366, 768)
    _log_in(console, live_app, CONSOLE)
    projector = new_laptop(1920, 1080)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator(".join__url")).to_contain_text("127.0.0.1:")
    warning = projector.locator("#screen-loopback")
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("role", "alert")
    expect(warning).to_contain_text("Phones cannot join.")
    size = warning.locator("strong").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 32, size  # larger than the join address itself
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    assert _join_box_fits(projector)
    screenshot(projector, "room-10-projector-loopback-warning")

    console.get_by_role("button", name="Join code and QR, full screen").click()
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "join")
    expect(warning).to_be_in_viewport(ratio=1)
    assert projector_overflow(projector) == FITS
    assert axe_violations(projector) == []
    screenshot(projector, "room-11-projector-join-loopback-warning")
    _screen_follows(console)


@pytest.fixture
def room_app(live_app):
    """A second server on the same database, its join address the laptop's address on the
    room's network (WORKSHOP_PUBLIC_URL, as `make run` sets it)."""
    port = free_port()
    env = {**live_app.env, "WORKSHOP_PUBLIC_URL": "http://192.0.2.10:8000"}
    log = live_app.log.with_name("daphne-room.log")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "workshop.asgi:application"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start:\n" + log.read_text()) from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "Traceback" not in log.read_text()


def test_the_projector_has_no_warning_when_its_join_address_is_on_the_network(
    live_app, room_app, new_laptop
):
    console = new_laptop(1366, 768)
    _log_in(console, live_app, CONSOLE)
    path = console.locator("#open-screen").get_attribute("href")
    projector = new_laptop(1920, 1080)
    projector.goto(room_app + path)
    expect(projector.locator(".join__url")).to_have_text("192.0.2.10:8000/j/PCN25")
    expect(projector.locator("#screen-loopback")).to_have_count(0)
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    assert _join_box_fits(projector)
    screenshot(projector, "room-12-projector-lan-address")

"""The vote record in real Chromium: a vote run from the console, its digest on the projector
and the console, and the JSON export downloaded with the facilitator's login and checked as
docs/vote-record.md tells an outsider to."""

import json
import re
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.workshops import log_in, own_workshop_fixture  # noqa: F401 (fixture)
from tests.chromium import axe_violations, screenshot
from tests.voting.test_record import _run_the_docs_check


def test_a_closed_vote_publishes_a_digest_that_the_export_recomputes(
    live_app, own_workshop, new_laptop, new_phone
):
    code = own_workshop("VREC7")
    console = new_laptop(1280, 800)
    log_in(console, live_app, f"/s/{code}/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    projector = new_laptop(1280, 720)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()
    phones = []
    for _ in range(2):
        phone = new_phone()
        phone.goto(f"{live_app.url}/j/{code}/")
        expect(phone.locator("[data-live-status]")).to_be_hidden()
        phones.append(phone)

    console.keyboard.press("o")
    expect(console.locator("#console-flash")).to_have_text("The vote is open.")
    one, two = phones
    expect(one.locator("#phone-live .option")).to_have_count(3)
    one.get_by_role("button", name="Policy and history").tap()
    expect(projector.locator(".tally__count")).to_have_text("1 vote")
    two.get_by_role("button", name="System engagement").tap()
    expect(projector.locator(".tally__count")).to_have_text("2 votes")
    one.get_by_role("button", name="System engagement").tap()  # a change of mind
    expect(one.locator("#phone-live .notice")).to_contain_text("Your vote: System engagement")

    console.keyboard.press("c")
    expect(console.locator("#console-vote .state")).to_contain_text("Closed")
    digest_on_console = console.locator("#console-vote .record-digest code")
    expect(digest_on_console).to_have_text(re.compile(r"^[0-9a-f]{64}$"))
    expect(projector.locator(".record-digest")).to_have_count(0)  # not before the reveal
    console.keyboard.press("r")
    shown = projector.locator(".record-digest")
    expect(shown).to_contain_text("Vote record SHA-256:")
    digest = shown.locator("code").inner_text()
    assert digest == digest_on_console.inner_text()

    assert axe_violations(projector) == []
    screenshot(projector, "record-01-projector-revealed")
    assert axe_violations(console) == []
    screenshot(console, "record-02-console-closed")
    assert axe_violations(one) == []

    # The facilitator downloads the votes export from the console's Exports links.
    exports = console.get_by_role("navigation", name="Exports")
    with console.expect_download() as download:
        exports.get_by_role("link", name="votes (JSON)").click()
    export = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert download.value.suggested_filename == f"{code}-votes.json"

    printed = _run_the_docs_check(export)
    (vote,) = export["votes"]
    assert vote["record_digest"] == digest
    assert printed == f"{vote['id']} {{'System engagement': 2}} {digest}"
    assert sorted(entry["theme"] for entry in vote["ballots"]) == ["System engagement"] * 2

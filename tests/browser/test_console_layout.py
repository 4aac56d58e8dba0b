"""The console on a 1366x768 laptop: the agenda's current item, the vote and the question
queue on screen together, without scrolling; a vote nobody voted in is not a tie."""

from playwright.sync_api import expect

from tests.browser.workshops import log_in, own_workshop_fixture  # noqa: F401 (fixture)
from tests.chromium import axe_violations, screenshot

REGIONS = ("#console-now", "#console-vote", "#console-questions")


def _outside_viewport(page, selectors) -> dict[str, dict]:
    """The regions whose box is not wholly inside the viewport, with their boxes."""
    return page.evaluate(
        """(selectors) => {
          const out = {};
          for (const s of selectors) {
            const r = document.querySelector(s).getBoundingClientRect();
            if (r.width === 0 || r.height === 0 || r.top < 0 || r.left < 0
                || r.bottom > innerHeight || r.right > innerWidth)
              out[s] = {top: r.top, left: r.left, bottom: r.bottom, right: r.right};
          }
          return out;
        }""",
        list(selectors),
    )


def _page_scrolls(page) -> dict[str, int]:
    return page.evaluate(
        """() => ({x: document.documentElement.scrollWidth - innerWidth,
                   y: document.documentElement.scrollHeight - innerHeight})"""
    )


def test_console_shows_current_item_vote_and_question_queue_together_at_1366x768(
    live_app, own_workshop, new_laptop, new_phone
):
    code = own_workshop("PANE3")
    console = new_laptop(1366, 768)
    log_in(console, live_app, f"/s/{code}/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    # A session under way: a few items in, the vote open, questions waiting.
    for title in ("Welcome and introductions", "Findings: policy and history"):
        console.get_by_role("button", name="Next").click()
        expect(console.locator("#console-now .now__title")).to_have_text(title)
    console.get_by_role("button", name="Open the vote").click()
    expect(console.locator("#console-vote .state")).to_have_text("Open")
    phone = new_phone()
    phone.goto(f"{live_app.url}/j/{code}/questions/")
    expect(phone.locator("[data-live-status]")).to_be_hidden()
    for text in ("How were the practices chosen?", "What would help networks most now?"):
        phone.locator("#q-text").fill(text)
        phone.get_by_role("button", name="Send question").tap()
        expect(phone.locator("#my-pending")).to_contain_text(text)
    expect(console.locator("#queue-pending .count")).to_have_text("2")

    assert _outside_viewport(console, REGIONS) == {}
    assert _page_scrolls(console) == {"x": 0, "y": 0}
    # The queue scrolls inside its own pane when it is longer than the pane.
    overflow = console.locator("#console-questions").evaluate("e => getComputedStyle(e).overflowY")
    assert overflow == "auto"
    assert axe_violations(console) == []
    screenshot(console, "console-layout-1366x768")

    # Ballots coming in change the turnout but are not announced: only state changes are.
    announce = console.locator("#console-announce")
    expect(announce).to_contain_text("2 questions waiting for approval.")
    before = announce.text_content()
    phone.goto(f"{live_app.url}/j/{code}/")
    phone.get_by_role("button", name="System engagement").tap()
    expect(console.locator("#turnout")).to_contain_text("1 ballot")
    console.wait_for_timeout(600)  # longer than the announcement's gathering
    assert announce.text_content() == before


def test_a_closed_vote_without_ballots_offers_a_direct_choice_not_a_tie(
    live_app, own_workshop, new_laptop
):
    code = own_workshop("ZER22")
    console = new_laptop(1366, 768)
    log_in(console, live_app, f"/s/{code}/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    console.get_by_role("button", name="Open the vote").click()
    vote = console.locator("#console-vote")
    expect(vote.locator("#vote-note")).to_have_text(
        "No ballots yet. Keep the vote open until the phones have voted."
    )
    console.get_by_role("button", name="Close the vote").click()

    expect(vote.locator("#vote-note")).to_have_text(
        "No ballots were cast, so there is no result. Choose the theme directly:"
    )
    expect(vote).not_to_contain_text("Tied")
    expect(vote.get_by_role("button", name="Reveal the results")).to_have_count(0)
    expect(vote.get_by_role("button", name="Decide the theme")).to_have_count(0)
    expect(vote.get_by_role("button", name="Choose “System engagement”")).to_be_visible()
    assert axe_violations(console) == []
    screenshot(console, "console-vote-no-ballots")

    vote.get_by_role("button", name="Choose “System engagement”").click()
    expect(vote.locator(".state")).to_contain_text("Decided: System engagement")
    expect(console.locator("#console-flash")).to_have_text("The theme is decided.")


def test_console_at_200_percent_zoom_stacks_its_panes_without_sideways_scroll(
    live_app, own_workshop, new_laptop
):
    # 1366x768 at 200% zoom lays out as 683x384 CSS pixels.
    code = own_workshop("PANE3")
    console = new_laptop(683, 384)
    log_in(console, live_app, f"/s/{code}/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")

    assert _page_scrolls(console)["x"] == 0
    stage_bottom, vote_top = console.evaluate(
        """() => [document.getElementById("console-stage").getBoundingClientRect().bottom,
                  document.getElementById("console-vote").getBoundingClientRect().top]"""
    )
    assert vote_top >= stage_bottom  # one pane under the other
    assert axe_violations(console) == []
    screenshot(console, "console-layout-200-percent")

"""The console by keyboard alone: a skip link first, a visible focus ring, focus kept on the
control used (or moved to its successor) after every action, old messages cleared, and a
live region that says what each action did and what changed."""

from playwright.sync_api import expect

from tests.browser.workshops import log_in, own_workshop_fixture  # noqa: F401 (fixture)
from tests.chromium import axe_violations, screenshot

ACTIVE = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), id: e.id, focus: e.getAttribute("data-focus"),
          text: e.textContent.trim().replace(/\\s+/g, " ")};
}"""

# Every text #console-flash showed, in order, from the moment this is installed.
FLASH_LOG = """() => {
  window.flashLog = [];
  const note = () => {
    const flash = document.getElementById("console-flash");
    const text = flash ? flash.textContent.trim() : null;
    if (window.flashLog[window.flashLog.length - 1] !== text) window.flashLog.push(text);
  };
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def _active(page) -> dict:
    return page.evaluate(ACTIVE)


def _tab_to(page, focus: str, *, prefix: bool = False, limit: int = 80) -> dict:
    """Presses Tab until the focused control's data-focus is `focus` (or starts with it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = _active(page)
        name = active["focus"] or ""
        if name == focus or (prefix and name.startswith(focus)):
            return active
    raise AssertionError(f"Tab never reached {focus!r}; last: {active}")


def test_console_works_by_keyboard_with_focus_kept_and_changes_announced(
    live_app, own_workshop, new_laptop, new_phone
):
    code = own_workshop("KBRD2")
    console = new_laptop(1366, 768)
    log_in(console, live_app, f"/s/{code}/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    announce = console.locator("#console-announce")

    # The skip link is the first stop, visible when focused, and leads to the console.
    console.keyboard.press("Tab")
    assert _active(console) == {"tag": "a", "id": "", "focus": None, "text": "Skip to the console"}
    expect(console.locator(".skip")).to_be_in_viewport()
    assert axe_violations(console) == []
    screenshot(console, "console-keyboard-skip-link")
    console.keyboard.press("Enter")
    assert _active(console)["id"] == "main"

    # The focus ring: a thick yellow outline (with a dark ring inside), not the browser's.
    _tab_to(console, "stage_next")
    ring = console.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; }"""
    )
    assert ring == ["solid", "3px", "rgb(255, 221, 0)", "rgb(11, 12, 12) 0px 0px 0px 2px"]
    screenshot(console, "console-keyboard-focus-ring")

    # Next: the stage pane is replaced by the push; focus stays on Next.
    console.keyboard.press("Enter")
    expect(console.locator("#console-now .now__title")).to_have_text("Welcome and introductions")
    assert _active(console)["focus"] == "stage_next"
    expect(console.locator("#console-flash")).to_have_text("Moved to the next agenda item.")
    expect(announce).to_contain_text("Moved to the next agenda item.")
    expect(announce).to_contain_text("Now: Welcome and introductions.")

    # Open the vote with Space: "Open the vote" gives way to "Close the vote", which gets focus.
    _tab_to(console, "poll_open")
    console.evaluate(FLASH_LOG)
    console.keyboard.press(" ")
    expect(console.locator("#console-vote .state")).to_have_text("Open")
    expect(console.locator("#console-flash")).to_have_text("The vote is open.")
    expect(announce).to_contain_text("The vote is open. Vote: Open.")
    assert _active(console)["focus"] == "poll_close"
    # The previous answer was cleared as soon as the action was sent.
    assert console.evaluate("window.flashLog") == ["", "The vote is open."]

    # Close it: nobody voted, so focus goes to the first of the direct choices.
    console.evaluate(FLASH_LOG)
    console.keyboard.press("Enter")
    expect(console.locator("#console-vote .state")).to_have_text("Closed")
    expect(console.locator("#console-flash")).to_have_text("The vote is closed.")
    assert console.evaluate("window.flashLog") == ["", "The vote is closed."]
    expect(announce).to_contain_text("Vote: Closed.")
    active = _active(console)
    assert active["focus"].startswith("poll_decide:")
    assert active["text"] == "Choose “Policy and history”"

    # Choose it: the vote is decided and focus moves to the form to open a new vote.
    console.keyboard.press("Enter")
    expect(console.locator("#console-vote .state")).to_contain_text("Decided: Policy and history")
    expect(console.locator("#console-flash")).to_have_text("The theme is decided.")
    assert _active(console)["focus"] == "poll_open"
    assert axe_violations(console) == []

    # A question arrives: announced (a state change, not a spam of counts); approve it by
    # keyboard and focus follows the question to its new place in the Live column.
    phone = new_phone()
    phone.goto(f"{live_app.url}/j/{code}/questions/")
    expect(phone.locator("[data-live-status]")).to_be_hidden()
    phone.locator("#q-text").fill("Which practices gained most?")
    phone.get_by_role("button", name="Send question").tap()
    expect(console.locator("#queue-pending .count")).to_have_text("1")
    expect(announce).to_contain_text("1 question waiting for approval.")
    approve = _tab_to(console, "question_approve:", prefix=True)
    question_id = approve["focus"].split(":")[1]
    console.keyboard.press("Enter")
    expect(console.locator("#queue-live .count")).to_have_text("1")
    expect(console.locator("#console-flash")).to_have_text("The question is live.")
    assert _active(console)["focus"] == f"question_on_screen:{question_id}"
    assert axe_violations(console) == []
    screenshot(console, "console-keyboard-after-approve")

    # Nothing along the way left focus on <body>.
    assert _active(console)["tag"] != "body"

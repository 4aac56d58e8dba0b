"""An attendee's phone with JavaScript off: every form posts as an ordinary form and the
page that comes back says what happened. The facilitator's console (JavaScript on, on a
laptop) opens the vote and approves the question.

axe-core is evaluated through the DevTools protocol, which works with the page's own
scripts off: it checks the same server-rendered HTML the phone shows.
"""

import re

from playwright.sync_api import expect

from tests.browser.test_live_vote import _log_in
from tests.browser.test_phone_layout import _console_vote_open, _console_vote_settle
from tests.chromium import axe_violations, iphone, screenshot

QUESTION = "Without a script, can a phone still ask the panel this?"
VIEW = "Phones without scripts still take part."

# WCAG's contrast ratio of an element's text colour on its background (both opaque here),
# and of the element's opacity with its ancestors'.
CONTRAST = """el => {
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const s = getComputedStyle(el), a = lum(s.color), b = lum(s.backgroundColor);
  let opacity = 1;
  for (let e = el; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), opacity};
}"""


class Axe:
    """axe-core on what a page without JavaScript shows. With scripts off, Playwright cannot
    evaluate anything in the page, so its HTML is served again, to a second page whose own
    scripts are refused, and axe runs there through the DevTools protocol."""

    def __init__(self, browser, pw):
        self.context = browser.new_context(**iphone(pw))
        self.context.set_default_timeout(5000)
        self.html = ""
        self.context.route("**/*", self._serve)
        self.page = self.context.new_page()

    def _serve(self, route):
        kind = route.request.resource_type
        if kind == "document":
            route.fulfill(body=self.html, content_type="text/html; charset=utf-8")
        elif kind == "script":
            route.abort()
        else:
            route.continue_()

    def violations(self, page) -> list[str]:
        self.html = page.content()
        self.page.goto(page.url)
        return axe_violations(self.page)


def _checked(page, axe, name: str) -> None:
    assert axe.violations(page) == [], name
    screenshot(page, f"phone-nojs-{name}")


def _seen(page, name: str) -> None:
    assert axe_violations(page) == [], name
    screenshot(page, f"phone-nojs-{name}")


def test_a_phone_without_javascript_joins_reads_votes_asks_upvotes_and_posts(
    live_app, browser, pw, new_laptop
):
    console = new_laptop(1366, 768)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    context = browser.new_context(**iphone(pw), java_script_enabled=False)
    context.set_default_timeout(5000)
    axe = Axe(browser, pw)
    try:
        page = context.new_page()
        tabs = page.get_by_role("navigation", name="Workshop")

        # Join by code, and read.
        page.goto(live_app.url + "/")
        _checked(page, axe, "01-join")
        page.get_by_label("Join code").fill("pcn25")
        page.get_by_role("button", name="Join").click()
        expect(page).to_have_url(live_app.url + "/j/PCN25/")
        _checked(page, axe, "02-home")
        tabs.get_by_role("link", name="Agenda").click()
        expect(page.get_by_role("heading", name="Agenda", level=1)).to_be_visible()
        _checked(page, axe, "03-agenda")
        tabs.get_by_role("link", name="Themes").click()
        expect(page.locator(".theme-list > li")).to_have_count(3)
        _checked(page, axe, "04-themes")
        page.get_by_role("link", name="Policy and history").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Policy and history")
        _checked(page, axe, "05-theme")
        page.goto(live_app.url + "/j/PCN25/reports/")
        _checked(page, axe, "06-reports")
        page.locator(".report-list a").first.click()
        expect(page.get_by_role("link", name="Open the full report")).to_be_visible()
        _checked(page, axe, "07-report")
        page.goto(live_app.url + "/j/PCN25/people/")
        _checked(page, axe, "08-people")
        page.locator(".people a").first.click()
        expect(page).to_have_url(re.compile(r"/j/PCN25/people/\d+/$"))
        _checked(page, axe, "09-person")

        # Vote, then change the vote: each a form POST answered by the page.
        _console_vote_open(console)
        tabs.get_by_role("link", name="Home").click()
        page.get_by_role("button", name="Policy and history").click()
        expect(page).to_have_url(live_app.url + "/j/PCN25/#phone-live")
        expect(page.locator("#phone-flash")).to_have_text(
            "Your vote is in. You can change it until voting closes."
        )
        expect(page.locator("#phone-live .notice")).to_contain_text("Your vote: Policy and history")
        _checked(page, axe, "10-voted")
        page.get_by_role("button", name="System engagement").click()
        expect(page.locator("#phone-live .notice")).to_contain_text("Your vote: System engagement")
        expect(page.locator(".option--chosen")).to_have_count(1)
        expect(console.locator("#turnout")).to_contain_text("1 ballot")

        # Ask, for a panellist: the page that comes back has the form at its defaults, the
        # question waiting, and a list that does not invite a first question.
        tabs.get_by_role("link", name="Ask").click()
        page.get_by_label("Your question").fill(QUESTION)
        page.get_by_text("Add a theme, a panellist or your name").click()
        page.get_by_label("For a panellist (optional)").select_option(label="Dr Ben Milton")
        page.get_by_role("button", name="Send question").click()
        expect(page.locator("#phone-flash")).to_contain_text("once the facilitator approves it")
        expect(page.locator("#my-pending")).to_contain_text(QUESTION)
        expect(page.get_by_text("No questions yet. Ask the first one.")).to_have_count(0)
        expect(page.get_by_label("Your question")).to_have_value("")
        expect(page.get_by_label("For a panellist (optional)")).to_have_value("")
        _checked(page, axe, "11-asked")

        # The facilitator approves it; the phone upvotes it (the form carries its own token).
        pending = console.locator("#console-questions li", has_text=QUESTION)
        pending.get_by_role("button", name="Approve").click()
        expect(pending.get_by_role("button", name="Approve")).to_have_count(0)
        page.reload()
        mine = page.locator(".questions li", has_text=QUESTION).first
        expect(mine.locator(".chip--mine")).to_have_text("Your question")
        mine.get_by_role("button", name=re.compile("^Upvote")).click()
        expect(page.locator("#phone-flash")).to_have_text("Upvoted.")
        mine = page.locator(".questions li", has_text=QUESTION).first
        expect(mine.get_by_role("button")).to_have_attribute("aria-pressed", "true")
        _checked(page, axe, "12-upvoted")
        mine.get_by_role("button", name=re.compile("^Take back your upvote")).click()
        expect(page.locator("#phone-flash")).to_have_text("Upvote taken back.")

        # Answered: both chips keep AA contrast (4.5:1), on the page as axe sees it.
        console.locator("#console-questions li", has_text=QUESTION).get_by_role(
            "button", name="Mark answered"
        ).click()
        expect(
            console.locator("#console-questions li", has_text=QUESTION).get_by_role(
                "button", name="Mark answered"
            )
        ).to_have_count(0)
        page.reload()
        expect(page.locator(".questions li", has_text=QUESTION).first).to_contain_text("Answered")
        _checked(page, axe, "13-answered")
        mine = axe.page.locator(".questions li", has_text=QUESTION).first
        for chip in ("Answered", "Your question"):
            found = mine.locator(".chip", has_text=chip).evaluate(CONTRAST)
            assert found["opacity"] == 1 and found["ratio"] >= 4.5, (chip, found)

        # A challenge on the board: posted, and the form back at its defaults.
        tabs.get_by_role("link", name="Views").click()
        page.get_by_label("a challenge").check()
        page.get_by_label("Your view").fill(VIEW)
        page.get_by_label("Theme (optional)").select_option(label="Policy and history")
        page.get_by_role("button", name="Post").click()
        expect(page.locator("#phone-flash")).to_have_text("Thank you: your view is on the board.")
        expect(page.locator("#phone-board")).to_contain_text(VIEW)
        expect(page.get_by_label("a challenge")).not_to_be_checked()
        expect(page.get_by_label("an opportunity")).not_to_be_checked()
        expect(page.get_by_label("Theme (optional)")).to_have_value("")
        _checked(page, axe, "14-posted")

        # A message is for the page that answered the post: the next page has none.
        tabs.get_by_role("link", name="Home").click()
        expect(page.locator("#phone-flash")).to_be_empty()
    finally:
        context.close()
        axe.context.close()
    _console_vote_settle(console)


def test_error_pages_pass_axe(live_app, browser, pw):
    context = browser.new_context(**iphone(pw))
    context.set_default_timeout(5000)
    try:
        page = context.new_page()
        response = page.goto(live_app.url + "/j/PCN25/no-such-page/")
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _seen(page, "20-not-found")

        response = page.goto(live_app.url + "/?code=ZZZZ")
        assert response.status == 404
        expect(page.get_by_role("alert")).to_contain_text("No workshop has the code ZZZZ")
        _seen(page, "21-wrong-code")

        # A form posted with a forged token gets the app's own 403 page.
        page.goto(live_app.url + "/j/PCN25/board/")
        page.locator('#post-form input[name="csrfmiddlewaretoken"]').evaluate(
            "input => { input.value = 'forged'; input.form.removeAttribute('ws-send'); }"
        )
        page.get_by_label("an opportunity").check()
        page.get_by_label("Your view").fill("A forged token.")
        with page.expect_response(re.compile(r"/board/post/$")) as answer:
            page.locator("#post-form").evaluate("form => form.submit()")
        assert answer.value.status == 403
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _seen(page, "22-csrf-refused")
    finally:
        context.close()

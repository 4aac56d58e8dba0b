"""The attendee's phone laid out: the ballot on the first screen, every page reflowing on a
narrow or zoomed screen, and no motion for those who ask for less.

200% zoom is emulated as the CSS viewport it gives: the browser lays a page out in half the
screen's CSS pixels at twice the device pixels. A 390x844 phone zoomed to 200% is a 195x422
viewport at device scale 2 (the width WCAG's reflow criterion names is 320 CSS px, checked on
its own); a 1280x720 laptop at 200% is 640x360.
"""

import re

from playwright.sync_api import expect

from tests.browser.test_live_vote import _log_in
from tests.chromium import axe_violations, screenshot

CODE_URL = "/j/PCN25/"

SCREENS = {
    "320": {"viewport": {"width": 320, "height": 568}, "device_scale_factor": 2},
    "phone-zoom200": {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 2},
    "laptop-zoom200": {"viewport": {"width": 640, "height": 360}, "device_scale_factor": 2},
}

# What runs past its box or the screen: the page scrolling sideways, or an element whose
# content is wider than it (a clipped heading, an ellipsis, tab labels running together).
OVERFLOW = """() => {
  const out = [], d = document.documentElement;
  if (d.scrollWidth > innerWidth) out.push(`page: ${d.scrollWidth} > ${innerWidth}`);
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg, .skip, select") || el.matches("script, option")) continue;
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.classList.length ? "." + [...el.classList].join(".") : "");
    const text = el.textContent.trim().replace(/\\s+/g, " ").slice(0, 30);
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      out.push(`${name} (${text}): ${el.scrollWidth} > ${el.clientWidth}`);
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > innerWidth + 1 || box.left < -1))
      out.push(`${name} (${text}): ${Math.round(box.left)}..${Math.round(box.right)}`);
  }
  return out;
}"""


def _console_vote_open(console) -> None:
    """Drive the console's vote, from whatever state earlier tests left it in, to open."""
    vote = console.locator("#console-vote")
    for _ in range(6):
        if vote.locator('button[data-key="c"]').count():
            return
        for key in ("o", "d", "r", "u"):
            button = vote.locator(f'button[data-key="{key}"]')
            if button.count():
                button.click()
                break
        else:
            vote.get_by_role("button", name=re.compile("^Choose")).first.click()
        console.wait_for_timeout(300)
    expect(vote.locator('button[data-key="c"]')).to_have_count(1)


def _console_vote_settle(console) -> None:
    """Close, reveal and decide the open vote (a tie by the first casting choice)."""
    vote = console.locator("#console-vote")
    vote.locator('button[data-key="c"]').click()
    vote.locator('button[data-key="r"]').click()
    expect(vote.locator('button[data-key="r"]')).to_have_count(0)
    decide = vote.locator('button[data-key="d"]')
    if decide.count():
        decide.click()
    else:
        vote.get_by_role("button", name=re.compile("^Choose")).first.click()
    expect(vote.locator(".state")).to_contain_text("Decided")


def _phone_pages(page, base: str) -> dict[str, str]:
    """Every phone page by name, the detail pages found through their lists."""
    pages = {
        "join": base + "/",
        "join-wrong-code": base + "/?code=ZZZZ",
        "home": base + CODE_URL,
        "agenda": base + CODE_URL + "agenda/",
        "themes": base + CODE_URL + "themes/",
        "reports": base + CODE_URL + "reports/",
        "people": base + CODE_URL + "people/",
        "questions": base + CODE_URL + "questions/",
        "board": base + CODE_URL + "board/",
        "not-found": base + CODE_URL + "no-such-page/",
    }
    for name, listing, link in (
        ("theme", "themes", ".theme-list a"),
        ("report", "reports", ".report-list a"),
        ("person", "people", ".people a"),
    ):
        page.goto(pages[listing])
        pages[name] = base + page.locator(link).first.get_attribute("href")
    return pages


def _ballot_fits(page) -> None:
    """Every option of the open ballot is on the first screen, above the tab bar."""
    options = page.locator("#phone-live .option")
    expect(options.first).to_be_visible()
    bottom = page.evaluate("() => document.querySelector('.tabs').getBoundingClientRect().top")
    assert options.count() >= 2
    for i in range(options.count()):
        box = options.nth(i).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= bottom, (i, box, bottom)


def test_the_open_ballot_leads_the_home_page_and_fits_a_375x667_screen(
    live_app, new_laptop, browser
):
    console = new_laptop(1366, 768)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    try:
        phone = context.new_page()
        phone.goto(live_app.url + CODE_URL)
        expect(phone.locator("[data-live-status]")).to_be_hidden()
        _console_vote_open(console)

        # The card leads the page, above the workshop's title, and its ballot fits the screen.
        expect(phone.locator("#phone-live .option")).to_have_count(3)
        assert phone.evaluate("() => document.querySelector('#main > section').id") == "phone-live"
        _ballot_fits(phone)
        assert axe_violations(phone) == []
        screenshot(phone, "phone-ballot-375x667")

        # A reloaded page (the vote already open) leads with it too; a vote keeps it there.
        phone.reload()
        _ballot_fits(phone)
        phone.locator("#phone-live .option").first.tap()
        expect(phone.locator("#phone-live .notice")).to_contain_text("Your vote")
        _ballot_fits(phone)
        screenshot(phone, "phone-ballot-voted-375x667")

        # Revealed and decided, the results lead the page.
        _console_vote_settle(console)
        expect(phone.locator("#chosen-theme")).to_be_visible()
        phone.reload()
        assert phone.evaluate("() => document.querySelector('#main > section').id") == "phone-live"
        box = phone.locator("#chosen-theme").bounding_box()
        assert box["y"] + box["height"] <= 667 - 56
        assert axe_violations(phone) == []
        screenshot(phone, "phone-decided-375x667")
    finally:
        context.close()


def test_every_phone_page_reflows_at_320_px_and_at_200_percent_zoom(live_app, browser):
    problems = {}
    for screen, options in SCREENS.items():
        context = browser.new_context(**options, has_touch=True)
        try:
            page = context.new_page()
            for name, url in _phone_pages(page, live_app.url).items():
                page.goto(url)
                expect(page.locator("h1").first).to_be_visible()
                found = page.evaluate(OVERFLOW) + axe_violations(page)
                # The tab bar's labels each keep to their own tab, whole words on a line.
                tabs = page.locator(".tabs a")
                for i in range(tabs.count()):
                    if not tabs.nth(i).evaluate(
                        "a => a.scrollWidth <= a.clientWidth && a.getClientRects().length === 1"
                        " && a.innerText.split(/\\s+/).length === 1"
                    ):
                        found.append(f"tab {tabs.nth(i).inner_text()!r}")
                if found:
                    problems[(screen, name)] = found
                if name in ("home", "questions", "board", "theme", "people", "agenda"):
                    screenshot(page, f"phone-reflow-{screen}-{name}")
        finally:
            context.close()
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_phone_vote_states_reflow_at_200_percent_zoom(live_app, new_laptop, browser):
    console = new_laptop(1366, 768)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    context = browser.new_context(**SCREENS["phone-zoom200"], has_touch=True)
    try:
        page = context.new_page()
        page.goto(live_app.url + CODE_URL)
        expect(page.locator("[data-live-status]")).to_be_hidden()
        _console_vote_open(console)
        expect(page.locator("#phone-live .option").first).to_be_visible()
        assert page.evaluate(OVERFLOW) == []
        assert axe_violations(page) == []
        screenshot(page, "phone-reflow-phone-zoom200-vote-open")
        page.locator("#phone-live .option").last.tap()
        expect(page.locator("#phone-live .notice")).to_contain_text("Your vote")
        _console_vote_settle(console)
        expect(page.locator("#chosen-theme")).to_be_visible()
        assert page.evaluate(OVERFLOW) == []
        assert axe_violations(page) == []
        screenshot(page, "phone-reflow-phone-zoom200-decided")
    finally:
        context.close()


# The duration of the transition the stylesheet gives a tally bar's fill (the phone's one
# transition), read from a bar made for the purpose.
BAR_TRANSITION = """() => {
  const ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
  const fill = document.createElementNS(ns, "rect");
  fill.setAttribute("class", "bar__fill");
  svg.append(fill);
  document.body.append(svg);
  return getComputedStyle(fill).transitionDuration;
}"""
MOVING = """() => [...document.querySelectorAll("*")].filter(el => {
  const s = getComputedStyle(el), long = v => v.split(",").some(t => parseFloat(t) > 0);
  return long(s.transitionDuration) || (s.animationName !== "none" && long(s.animationDuration));
}).map(el => el.tagName.toLowerCase() + "." + [...el.classList].join("."))"""


def test_phone_pages_have_no_motion_when_reduced_motion_is_asked_for(live_app, browser):
    moving = browser.new_context(viewport={"width": 390, "height": 844})
    still = browser.new_context(viewport={"width": 390, "height": 844}, reduced_motion="reduce")
    try:
        page = moving.new_page()
        page.goto(live_app.url + CODE_URL)
        assert page.evaluate(BAR_TRANSITION) == "0.3s"
        page = still.new_page()
        for path in ("", "questions/", "board/", "themes/"):
            page.goto(live_app.url + CODE_URL + path)
            assert page.evaluate(MOVING) == [], path
        assert page.evaluate(BAR_TRANSITION) == "0s"
    finally:
        moving.close()
        still.close()

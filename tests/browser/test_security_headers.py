"""The Content-Security-Policy in real Chromium: phone, projector, console and admin pages load,
connect their sockets and swap live updates without one violation, and the vote's bars (SVG
rects sized by attribute, since the policy allows no inline style) still show each share.
(Named to run after the other browser tests: it opens and settles a vote of its own.)"""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_vote import _log_in
from tests.chromium import axe_violations, screenshot

pytestmark = pytest.mark.security

# Before any page script: every violation the page reports, and what the console says.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""

SHELL = (
    "import json; from workshop.models import Workshop; from voting.models import Poll; "
    "from panel.models import Person; from voting.services import ballot_cast, poll_close, "
    "poll_decide, poll_open, poll_reveal; from voting.selectors import poll_tally; "
    "from workshop.services import attendee_join, screen_show; w = Workshop.objects.get(); "
)


def _shell(live_app, code: str):
    out = live_app.manage("shell", "--no-imports", "-c", SHELL + code)
    return json.loads(out.strip().splitlines()[-1])


def _watched(page) -> list[str]:
    """The page's CSP violations, from its listener and from Chromium's console."""
    messages: list[str] = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and messages.append(m.text),
    )
    page.add_init_script(WATCH)
    return messages


def _violations(page, messages: list[str]) -> list[str]:
    return page.evaluate("window.__csp") + messages


def _bar_shares(page) -> dict[str, int]:
    """Each bar's fill as a percentage of its track, as drawn."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.bar')].map(bar => [
          bar.querySelector('.bar__label').textContent.trim(),
          Math.round(100 * bar.querySelector('.bar__fill').getBoundingClientRect().width
                     / bar.querySelector('.bar__track').getBoundingClientRect().width)]))"""
    )


@pytest.fixture
def vote(live_app):
    """A vote with live bars on a projector that follows the session (an earlier test may have
    put the board on it): three ballots for the first theme, one for the second. Settled
    afterwards so that a later vote can open."""
    poll, titles = _shell(
        live_app,
        "screen_show(workshop=w, screen='auto'); "
        "p = poll_open(workshop=w, show_bars=True); themes = list(p.options.order_by('pk')); "
        "[ballot_cast(poll_id=p.pk, attendee_id=attendee_join(workshop=w, address='192.0.2.9').pk,"
        " theme_id=t.pk) for t in (themes[0], themes[0], themes[0], themes[1])]; "
        "print(json.dumps([p.pk, [t.title for t in themes]]))",
    )
    yield titles
    _shell(
        live_app,
        f"p = Poll.objects.get(pk={poll}); p.state == 'open' and poll_close(poll=p); "
        f"p.refresh_from_db(); p.state == 'closed' and poll_decide(poll=p, "
        f"theme_id=poll_tally(poll_id=p.pk).leaders[0]); print(1)",
    )


def test_pages_run_under_the_csp_without_a_violation(live_app, new_laptop, new_phone, vote):
    titles = vote
    shares = {titles[0]: 75, titles[1]: 25, titles[2]: 0}

    console = new_laptop(1280, 800)
    console_csp = _watched(console)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")  # its socket is allowed
    policy = console.evaluate(
        "async () => (await fetch(location.href)).headers.get('content-security-policy')"
    )
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    expect(console.locator("#console-tally .bar")).to_have_count(3)
    assert _bar_shares(console) == shares

    projector = new_laptop(1280, 720)
    projector_csp = _watched(projector)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()  # live
    expect(projector.locator(".tally__count")).to_have_text("4 votes")
    assert _bar_shares(projector) == shares
    assert axe_violations(projector) == []
    screenshot(projector, "csp-01-projector-bars")

    phone = new_phone()
    phone_csp = _watched(phone)
    phone.goto(live_app.url + "/j/PCN25/")
    expect(phone.locator("#phone-live .option")).to_have_count(3)
    # A ballot over the socket; its push redraws the bars on the projector and console.
    phone.get_by_role("button", name=titles[1]).tap()
    expect(projector.locator(".tally__count")).to_have_text("5 votes")
    pushed = {titles[0]: 60, titles[1]: 40, titles[2]: 0}
    expect(console.locator("#turnout")).to_contain_text("5 ballots")
    assert _bar_shares(projector) == pushed
    assert _bar_shares(console) == pushed
    screenshot(projector, "csp-02-projector-bars-pushed")

    # Closed and revealed: the results reach the phone as a swapped card.
    console.keyboard.press("c")
    expect(console.locator("#console-vote .state")).to_contain_text("Closed")
    console.keyboard.press("r")
    expect(phone.locator("#phone-live .bars")).to_be_visible()
    assert _bar_shares(phone) == pushed
    assert axe_violations(phone) == []
    screenshot(phone, "csp-03-phone-results")
    for page in ("agenda", "questions", "board"):
        phone.goto(f"{live_app.url}/j/PCN25/{page}/")
        expect(phone.locator("[data-live-status]")).to_be_hidden()

    # Django admin: its own scripts (inlines, the photo upload, the related-object pop-ups).
    admin = console
    workshop, person = _shell(
        live_app, "print(json.dumps([w.pk, Person.objects.filter(workshop=w).first().pk]))"
    )
    for path, ready in (
        ("/admin/", "#content"),
        (f"/admin/workshop/workshop/{workshop}/change/", ".inline-group .add-row a"),
        (f"/admin/panel/person/{person}/change/", "input[type=file]"),
        ("/admin/panel/person/add/", "input[type=file]"),
        ("/admin/evidence/theme/add/", ".inline-group .add-row a"),
    ):
        admin.goto(live_app.url + path)
        expect(admin.locator(ready).first).to_be_attached()
    admin.goto(f"{live_app.url}/admin/workshop/workshop/{workshop}/change/")
    rows = admin.locator(".inline-group .dynamic-agenda_items, .inline-group tr.form-row").count()
    admin.locator(".inline-group .add-row a").first.click()  # admin's inlines.js at work
    expect(
        admin.locator(".inline-group .dynamic-agenda_items, .inline-group tr.form-row")
    ).to_have_count(rows + 1)
    assert axe_violations(admin) == []
    screenshot(admin, "csp-04-admin-workshop")

    assert _violations(console, console_csp) == []
    assert _violations(projector, projector_csp) == []
    assert _violations(phone, phone_csp) == []

"""The console's security controls in real Chromium: a new projector link, and logging out."""

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_live_vote import _log_in
from tests.chromium import axe_violations, screenshot

pytestmark = pytest.mark.security


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=5).status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_new_projector_link_ends_the_old_one_at_once(live_app, new_laptop):
    console = new_laptop(1280, 800)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    old = console.locator("#open-screen").get_attribute("href")
    projector = new_laptop(1280, 720)
    projector.goto(live_app.url + old)
    expect(projector.locator("[data-live-status]")).to_have_text("Live")

    console.get_by_text("New link…").click()
    make = console.get_by_role("button", name="Make a new link")
    expect(make).to_be_visible()
    assert axe_violations(console) == []
    screenshot(console, "security-01-console-new-projector-link")
    make.click()  # the box is not ticked: the browser asks for it, nothing is sent
    console.wait_for_timeout(500)
    assert console.locator("#open-screen").get_attribute("href") == old

    console.get_by_label("Stop the current projector link").check()
    make.click()

    expect(console.locator("#console-flash")).to_contain_text("The projector has a new link")
    expect(console.locator("#open-screen")).not_to_have_attribute("href", old)
    new = console.locator("#open-screen").get_attribute("href")
    assert re.fullmatch(r"/s/PCN25/screen/[\w-]{20,}/", new)
    expect(console.get_by_role("button", name="Make a new link")).to_be_hidden()  # closed again
    expect(projector.locator("#screen-main")).to_contain_text(
        "This projector link has been replaced."
    )
    expect(projector.locator("[data-live-status]")).to_have_text("This link was replaced")
    assert axe_violations(projector) == []
    screenshot(projector, "security-02-projector-link-replaced")
    projector.wait_for_timeout(1500)  # no reconnecting
    expect(projector.locator("[data-live-status]")).to_have_text("This link was replaced")

    assert _status(live_app.url + old) == 404
    assert _status(live_app.url + new) == 200
    console.reload()
    assert console.locator("#open-screen").get_attribute("href") == new
    log = live_app.log.read_text()
    secrets = [old.split("/")[-2], new.split("/")[-2]]
    assert [s for s in secrets if s in log] == []
    assert "/s/PCN25/screen/<secret>/" in log and "/ws/s/PCN25/screen/<secret>/" in log


def test_logging_out_ends_the_console_socket(live_app, new_laptop):
    console = new_laptop(1280, 800)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")

    admin = console.context.new_page()  # another tab, the same login
    admin.goto(live_app.url + "/admin/")
    admin.get_by_role("button", name="Log out").click()
    expect(admin.get_by_text("Logged out")).to_be_visible()

    expect(console.locator("#console-flash")).to_have_text("Your login has ended. Sign in again.")
    expect(console.locator("[data-live-status]")).to_have_text("Signed out: sign in again")
    assert axe_violations(console) == []
    screenshot(console, "security-03-console-signed-out")
    console.get_by_role("button", name="Next").click()  # posts the form: to the login page
    expect(console).to_have_url(re.compile(r"/admin/login/"))


def test_a_password_guesser_is_locked_out_with_a_page_that_says_so(live_app, new_laptop):
    # A login of its own: the facilitator's stays usable for the other tests.
    live_app.manage("facilitator", "--username", "guessed", "--password", "guessed-pass-123")
    page = new_laptop(1280, 800)
    page.goto(f"{live_app.url}/admin/login/?next=/s/PCN25/console/")
    for i in range(5):
        page.get_by_label("Username").fill("guessed")
        page.get_by_label("Password").fill(f"wrong-{i}")
        page.get_by_role("button", name="Log in").click()
        if i < 4:
            expect(page.locator(".errornote")).to_be_visible()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "security-04-login-locked-out")

    page.goto(f"{live_app.url}/admin/login/?next=/s/PCN25/console/")
    page.get_by_label("Username").fill("guessed")
    page.get_by_label("Password").fill("guessed-pass-123")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    assert page.url.startswith(f"{live_app.url}/admin/login/")
    live_app.manage("axes_reset")

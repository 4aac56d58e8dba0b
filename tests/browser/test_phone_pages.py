"""An attendee on a phone: join by code, read the agenda, a theme, a report."""

import re

from playwright.sync_api import expect

from tests.chromium import axe_violations, iphone, screenshot, write_figure

# A first visit (join page, then the workshop's home) must suit a crowded conference Wi-Fi.
FIRST_VISIT_BUDGET_BYTES = 40_000


def test_phone_joins_by_code_and_reads_agenda_theme_and_report(live_app, new_phone):
    page = new_phone()
    transferred = []
    page.on(
        "requestfinished",
        lambda request: transferred.append(
            (
                request.url,
                request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"],
            )
        ),
    )

    page.goto(live_app.url + "/")
    assert axe_violations(page) == []
    screenshot(page, "phone-01-join")
    page.get_by_label("Join code").fill("pcn25")
    page.get_by_role("button", name="Join").tap()

    expect(page).to_have_url(live_app.url + "/j/PCN25/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Primary Care Networks")
    # Counted once the scripts have run (the socket is live), so that every file is in.
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    first_visit = sum(size for _, size in transferred)
    write_figure("phone-first-visit-bytes", {"bytes": first_visit, "requests": transferred})
    assert any("/js/live." in url for url, _ in transferred), transferred
    assert first_visit < FIRST_VISIT_BUDGET_BYTES, transferred
    assert axe_violations(page) == []
    screenshot(page, "phone-02-home")

    page.get_by_role("navigation", name="Workshop").get_by_role("link", name="Agenda").tap()
    expect(page.get_by_role("heading", name="Agenda", level=1)).to_be_visible()
    expect(page.locator(".agenda__item").first).to_contain_text("14:00")
    expect(page.get_by_text("Audience vote: choose the panel's theme")).to_have_count(1)
    assert axe_violations(page) == []
    screenshot(page, "phone-03-agenda")

    page.get_by_role("navigation", name="Workshop").get_by_role("link", name="Themes").tap()
    page.get_by_role("link", name="Leadership, management and governance").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Leadership, management and governance"
    )
    expect(page.locator(".finding")).to_have_count(5)
    assert axe_violations(page) == []
    screenshot(page, "phone-04-theme")

    page.locator(".finding__source a", has_text="PRUComm interim report").first.tap()
    expect(page).to_have_url(re.compile(r"/j/PCN25/reports/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Primary Care Networks: exploring")
    expect(page.get_by_role("link", name="Open the full report")).to_have_attribute(
        "href", "https://prucomm.ac.uk/assets/uploads/PRU-PCN_interim_report_FINAL.pdf"
    )
    assert axe_violations(page) == []
    screenshot(page, "phone-05-report")

    page.get_by_role("navigation", name="Workshop").get_by_role("link", name="Home").tap()
    page.get_by_role("link", name="People Chair, presenters and panel").tap()
    expect(page.locator(".avatar--initials").first).to_have_text("KC")
    assert axe_violations(page) == []
    screenshot(page, "phone-06-people")


def test_phone_with_wrong_code_sees_the_form_again(live_app, new_phone):
    page = new_phone()
    page.goto(live_app.url + "/")
    page.get_by_label("Join code").fill("ZZZZ")
    page.get_by_role("button", name="Join").tap()

    expect(page.get_by_role("alert")).to_have_text(
        "No workshop has the code ZZZZ. Check the code on the screen and try again."
    )
    expect(page.get_by_label("Join code")).to_have_value("ZZZZ")
    assert axe_violations(page) == []
    screenshot(page, "phone-07-wrong-code")


def test_phone_pages_work_without_javascript(live_app, browser, pw):
    context = browser.new_context(**iphone(pw), java_script_enabled=False)
    page = context.new_page()
    page.goto(live_app.url + "/")
    page.get_by_label("Join code").fill("PCN25")
    page.get_by_role("button", name="Join").click()
    expect(page).to_have_url(live_app.url + "/j/PCN25/")
    page.get_by_role("navigation", name="Workshop").get_by_role("link", name="Themes").click()
    expect(page.locator(".theme-list > li")).to_have_count(3)
    context.close()


def test_pages_name_a_static_icon_so_browsers_do_not_ask_the_app(live_app, new_phone):
    # Without a named icon, Chromium asks the app for /favicon.ico on a first visit: a 404
    # page rendered by Django, and a "Not Found" line in the log, per phone.
    page = new_phone()
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    with page.expect_response(lambda response: "/static/favicon" in response.url) as icon:
        page.goto(live_app.url + "/j/PCN25/")
    assert icon.value.status == 200
    assert icon.value.headers["content-type"].startswith("image/svg+xml")
    assert not [url for url in asked if url.endswith("/favicon.ico")]

"""View moderation end to end: the facilitator turns it on in admin, a phone posts a view, it
waits in the console's queue (its poster sees it waiting; nobody else sees it), and once
approved it reaches the projector's board and every phone."""

from playwright.sync_api import expect

from tests.browser.workshops import log_in, own_workshop_fixture  # noqa: F401 (fixture)
from tests.chromium import axe_violations, screenshot

VIEW = "Shared back-office staff could free clinicians' time."


def test_a_moderated_view_waits_for_approval_then_reaches_projector_and_phones(
    live_app, own_workshop, new_laptop, new_phone
):
    code = own_workshop("MDRT4")
    facilitator = new_laptop(1366, 768)
    log_in(facilitator, live_app, "/admin/workshop/workshop/")

    # Admin: the workshop's page has both moderation switches; views are shown at once
    # unless turned on.
    facilitator.goto(f"{live_app.url}/admin/workshop/workshop/?q={code}")
    facilitator.locator("#result_list tbody th a").first.click()
    expect(facilitator.get_by_label("Moderate questions")).to_be_checked()
    moderate_views = facilitator.get_by_label("Moderate views")
    expect(moderate_views).not_to_be_checked()
    moderate_views.check()
    assert axe_violations(facilitator) == []  # the whole change page, agenda inline included
    screenshot(facilitator, "console-moderation-admin")
    facilitator.get_by_role("button", name="Save", exact=True).click()
    expect(facilitator.locator(".messagelist")).to_contain_text("was changed successfully")
    assert axe_violations(facilitator) == []

    # The console, and the projector showing the board.
    console = facilitator
    console.goto(f"{live_app.url}/s/{code}/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    expect(console.locator("#b-h")).to_contain_text("approval needed")
    projector = new_laptop(1920, 1080)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_have_text("Live")
    console.get_by_role("button", name="Show the board on the projector").click()
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "board")

    poster, other = new_phone(), new_phone()
    for phone in (poster, other):
        phone.goto(f"{live_app.url}/j/{code}/board/")
        expect(phone.locator("[data-live-status]")).to_be_hidden()

    poster.get_by_label("an opportunity").check()
    poster.get_by_label("Your view").fill(VIEW)
    poster.get_by_role("button", name="Post").tap()
    expect(poster.locator("#phone-flash")).to_have_text(
        "Thank you. Your view will appear on the board once the facilitator approves it."
    )
    expect(poster.locator("#my-held")).to_contain_text(VIEW)
    expect(poster.locator("#my-held")).to_contain_text("Waiting for approval")
    held = console.locator("#console-held")
    expect(held).to_contain_text(VIEW)
    expect(held.locator(".count")).to_have_text("1")
    # Nobody else sees it: not the other phone (even after a reload), not the projector.
    other.reload()
    expect(other.locator("[data-live-status]")).to_be_hidden()
    for page in (other, projector):
        expect(page.locator("body")).not_to_contain_text(VIEW)
    expect(poster.locator("#phone-board")).not_to_contain_text(VIEW)
    assert axe_violations(poster) == []
    screenshot(poster, "console-moderation-phone-waiting")
    assert axe_violations(console) == []
    screenshot(console, "console-moderation-queue")

    held.get_by_role("button", name="Approve").click()
    expect(console.locator("#console-flash")).to_have_text("The view is on the board.")
    expect(held.locator(".count")).to_have_text("0")
    expect(console.locator("#console-announce")).to_contain_text("The view is on the board.")
    expect(projector.locator(".board")).to_contain_text(VIEW)
    expect(other.locator("#phone-board")).to_contain_text(VIEW)
    expect(poster.locator("#phone-board")).to_contain_text(VIEW)
    expect(poster.locator("#my-held")).not_to_contain_text(VIEW)
    assert axe_violations(projector) == []
    screenshot(projector, "console-moderation-projector-board")
    assert axe_violations(other) == []
    screenshot(other, "console-moderation-phone-approved")

    # A second view, hidden from the queue by keyboard: focus moves on through the queue.
    for text in ("Too long a wait for estates money.", "Networks need their own managers."):
        poster.get_by_label("a challenge").check()
        poster.get_by_label("Your view").fill(text)
        poster.get_by_role("button", name="Post").tap()
        expect(held).to_contain_text(text)
    first_hide = held.locator("li").first.get_by_role("button", name="Hide")
    second_id = held.locator("li").nth(1).get_attribute("id").removeprefix("console-post-")
    first_hide.focus()
    console.keyboard.press("Enter")
    expect(console.locator("#console-flash")).to_have_text("The view is hidden.")
    expect(held.locator(".count")).to_have_text("1")
    focused = console.evaluate("document.activeElement.getAttribute('data-focus')")
    assert focused == f"board_approve:{second_id}"
    expect(projector.locator(".board")).not_to_contain_text("Too long a wait")

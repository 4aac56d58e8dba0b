"""Questions and the board in real Chromium: two phones, the console and the projector."""

from playwright.sync_api import expect

from tests.browser.test_live_vote import _log_in
from tests.chromium import FITS, axe_violations, projector_overflow, screenshot


def test_question_is_asked_upvoted_approved_and_shown_and_a_challenge_reaches_the_board(
    live_app, new_laptop, new_phone
):
    console = new_laptop(1280, 900)
    _log_in(console, live_app, "/s/PCN25/console/")
    projector = new_laptop(1280, 720)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()

    asker, voter = new_phone(), new_phone()
    for page in (asker, voter):
        page.goto(live_app.url + "/j/PCN25/questions/")
        expect(page.locator("[data-live-status]")).to_be_hidden()

    # Ask, tagged to a panellist. The demo workshop moderates questions.
    asker.get_by_label("Your question").fill("How will rural networks find managers?")
    expect(asker.locator("#q-count")).to_have_text("242 characters left")
    asker.get_by_text("Add a theme, a panellist or your name").tap()
    asker.get_by_label("For a panellist (optional)").select_option(label="Dr Ben Milton")
    asker.get_by_role("button", name="Send question").tap()
    expect(asker.locator("#phone-flash")).to_contain_text("once the facilitator approves it")
    expect(asker.locator("#my-pending")).to_contain_text("How will rural networks find managers?")
    expect(asker.get_by_label("Your question")).to_have_value("")
    expect(asker.locator("#q-count")).to_have_text("Up to 280 characters.")
    assert axe_violations(asker) == []
    screenshot(asker, "panel-01-phone-asked")

    # The facilitator approves: both phones see it without a reload.
    pending = console.locator("#console-questions li", has_text="How will rural networks")
    expect(pending).to_contain_text("for Dr Ben Milton")
    pending.get_by_role("button", name="Approve").click()
    expect(voter.locator("#questions-top")).to_contain_text(
        "How will rural networks find managers?"
    )
    expect(asker.locator(".chip--mine")).to_have_text("Your question")

    # Another phone upvotes it; the console's queue shows the vote.
    voter.locator("#questions-top li", has_text="rural networks").get_by_role(
        "button", name="Upvote: 0 votes"
    ).tap()
    expect(
        voter.locator("#questions-top li", has_text="rural networks").get_by_role("button")
    ).to_have_attribute("aria-pressed", "true")
    expect(console.locator("#console-questions li", has_text="rural networks")).to_contain_text(
        "▲ 1"
    )
    assert axe_violations(voter) == []
    screenshot(voter, "panel-02-phone-upvoted")

    # On the projector, in large type with the panellist.
    console.locator("#console-questions li", has_text="rural networks").get_by_role(
        "button", name="Put on screen"
    ).click()
    expect(projector.locator(".big-question")).to_have_text(
        "How will rural networks find managers?"
    )
    expect(projector.locator("#screen-main")).to_contain_text("for Dr Ben Milton")
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    screenshot(projector, "panel-03-projector-question")
    assert axe_violations(console) == []
    screenshot(console, "panel-04-console-queue")

    # A challenge goes on the board, and the board goes on the projector.
    voter.get_by_role("navigation", name="Workshop").get_by_role("link", name="Views").tap()
    voter.get_by_label("a challenge").check()
    voter.get_by_label("Your view").fill("Clinical directors have little protected time.")
    voter.get_by_role("button", name="Post").tap()
    expect(voter.locator("#phone-flash")).to_contain_text("your view is on the board")
    expect(voter.locator("#phone-board")).to_contain_text(
        "Clinical directors have little protected time."
    )
    console.get_by_role("button", name="Show the board on the projector").click()
    expect(projector.locator(".board")).to_contain_text(
        "Clinical directors have little protected time."
    )
    assert axe_violations(voter) == []
    screenshot(voter, "panel-05-phone-board")
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    screenshot(projector, "panel-06-projector-board")
    console.get_by_role("button", name="Stop showing the board").click()
    expect(projector.locator("#screen-main")).not_to_have_attribute("data-mode", "board")

    # The same by keyboard shortcut: q puts the top questions up, w the board.
    console.keyboard.press("q")
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "questions")
    expect(projector.locator("#screen-main")).to_contain_text(
        "How will rural networks find managers?"
    )
    console.keyboard.press("w")
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "board")
    console.get_by_role("button", name="Stop showing the board").click()
    expect(projector.locator("#screen-main")).not_to_have_attribute("data-mode", "board")


def test_phone_forms_go_back_to_their_defaults_and_old_messages_go_after_a_post(
    live_app, new_phone, new_laptop
):
    console = new_laptop(1366, 768)
    _log_in(console, live_app, "/s/PCN25/console/")
    phone = new_phone()
    phone.goto(live_app.url + "/j/PCN25/questions/")
    expect(phone.locator("[data-live-status]")).to_be_hidden()
    flash = phone.locator("#phone-flash")

    # A question for a panellist, sent on the socket: the form comes back at its defaults
    # (the name stays: it is the same person asking).
    question = "Who pays for the extra staff in each network?"
    phone.get_by_label("Your question").fill(question)
    phone.get_by_text("Add a theme, a panellist or your name").tap()
    phone.get_by_label("For a panellist (optional)").select_option(label="Dr Ben Milton")
    phone.get_by_label("Theme (optional)").select_option(label="Policy and history")
    phone.get_by_label("Your name (optional; anonymous if empty)").fill("Sam")
    phone.get_by_role("button", name="Send question").tap()
    expect(flash).to_contain_text("Question sent.")
    expect(phone.get_by_label("Your question")).to_have_value("")
    expect(phone.get_by_label("For a panellist (optional)")).to_have_value("")
    expect(phone.get_by_label("Theme (optional)")).to_have_value("")
    expect(phone.get_by_label("Your name (optional; anonymous if empty)")).to_have_value("Sam")
    expect(phone.locator("#my-pending")).to_contain_text(question)
    expect(phone.get_by_text("No questions yet. Ask the first one.")).to_have_count(0)
    assert axe_violations(phone) == []
    screenshot(phone, "panel-07-phone-asked-form-reset")

    # Approved, then upvoted: the upvote is the phone's next action, so the message about
    # the question goes as it is sent.
    console.locator("#console-questions li", has_text=question).get_by_role(
        "button", name="Approve"
    ).click()
    mine = phone.locator("#questions-top li", has_text=question)
    expect(mine.locator(".chip--mine")).to_have_text("Your question")
    expect(flash).to_contain_text("Question sent.")
    mine.get_by_role("button", name="Upvote: 0 votes").tap()
    expect(mine.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    expect(flash).to_be_empty()

    # A view: the kind goes back to none chosen after it is posted.
    phone.get_by_role("navigation", name="Workshop").get_by_role("link", name="Views").tap()
    phone.get_by_label("an opportunity").check()
    phone.get_by_label("Your view").fill("Shared staff across practices.")
    phone.get_by_role("button", name="Post").tap()
    expect(flash).to_have_text("Thank you: your view is on the board.")
    expect(phone.locator("#phone-board")).to_contain_text("Shared staff across practices.")
    expect(phone.get_by_label("an opportunity")).not_to_be_checked()
    expect(phone.get_by_label("a challenge")).not_to_be_checked()
    expect(phone.get_by_label("Your view")).to_have_value("")
    assert axe_violations(phone) == []
    screenshot(phone, "panel-08-phone-posted-form-reset")

    # The session moves on (the facilitator goes to the next agenda item, then back): the
    # thanks for the view was for the moment before, and goes.
    console.locator('button[data-key="n"]').click()
    expect(flash).to_be_empty()
    back = console.locator('button[data-key="p"]:not([disabled])')
    if back.count():  # none when the session had not started: "next" started it
        back.click()

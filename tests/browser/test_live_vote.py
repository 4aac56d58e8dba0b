"""The live vote in real Chromium: console, projector and two phones, each in its own context."""

import json
import re
import subprocess
import sys

from playwright.sync_api import expect

from tests.browser.conftest import FACILITATOR, ROOT
from tests.chromium import FITS, axe_violations, iphone, projector_overflow, screenshot


def _log_in(page, live_app, next_url):
    page.goto(f"{live_app.url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(FACILITATOR[0])
    page.get_by_label("Password").fill(FACILITATOR[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_app.url + next_url)


def _from_db(live_app, expression: str):
    """The value of a Python expression over voting's models, read through manage.py."""
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c",
         f"import json; from voting.models import Ballot, Poll; print(json.dumps({expression}))"],
        cwd=ROOT, env=live_app.env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def _ballots_in_db(live_app) -> list[str]:
    return _from_db(live_app, "sorted(Ballot.objects.values_list('theme__title', flat=True))")


def test_console_runs_the_vote_while_projector_and_phones_follow_live(
    live_app, new_laptop, new_phone
):
    console = new_laptop(1280, 800)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")

    projector = new_laptop(1280, 720)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_have_text("Live")
    expect(projector.locator("[data-live-status]")).to_be_hidden()
    expect(projector.locator(".join__code")).to_contain_text("PCN25")
    expect(projector.locator(".join__qr svg")).to_be_visible()

    phones = []
    for _ in range(2):
        page = new_phone()
        page.goto(live_app.url + "/j/PCN25/")
        expect(page.locator("[data-live-status]")).to_be_hidden()  # hidden once live
        expect(page.locator("#phone-live")).to_contain_text("The session will start soon")
        phones.append(page)
    one, two = phones

    # The facilitator starts the session and opens the vote; nobody reloads.
    console.get_by_role("button", name="Next").click()
    expect(projector.locator("#screen-main h1")).to_have_text("Welcome and introductions")
    expect(console.locator(".countdown")).to_contain_text(re.compile(r"\d+:\d\d left"))
    console.get_by_label("Show live bars on the projector while voting").check()
    console.keyboard.press("o")  # the shortcut for "Open the vote"
    expect(console.locator("#console-flash")).to_have_text("The vote is open.")
    for page in phones:
        expect(page.locator("#phone-live .option")).to_have_count(3)
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "vote")
    expect(projector.locator(".tally__count")).to_have_text("0 votes")

    one.get_by_role("button", name="Policy and history").tap()
    expect(one.locator("#phone-live .notice")).to_contain_text("Your vote: Policy and history")
    expect(projector.locator(".tally__count")).to_have_text("1 vote")
    two.get_by_role("button", name="System engagement").tap()
    expect(projector.locator(".tally__count")).to_have_text("2 votes")
    expect(console.locator("#turnout")).to_contain_text("2 ballots")

    assert axe_violations(one) == []
    screenshot(one, "live-01-phone-ballot")
    # The first phone changes its mind: still two ballots, now both for System engagement.
    one.get_by_role("button", name="System engagement").tap()
    expect(one.locator("#phone-live .notice")).to_contain_text("Your vote: System engagement")
    expect(one.locator(".option--chosen")).to_have_count(1)
    expect(projector.locator(".bar", has_text="System engagement")).to_contain_text("2")
    expect(projector.locator(".tally__count")).to_have_text("2 votes")
    assert _ballots_in_db(live_app) == ["System engagement", "System engagement"]
    # Live bars off and on again by keyboard shortcut (b): the count stays on the projector.
    console.keyboard.press("b")
    expect(projector.locator(".bar")).to_have_count(0)
    expect(projector.locator(".tally__count")).to_have_text("2 votes")
    console.keyboard.press("b")
    expect(projector.locator(".bar", has_text="System engagement")).to_contain_text("2")
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    screenshot(projector, "live-02-projector-voting")
    assert axe_violations(console) == []
    screenshot(console, "live-03-console-open")

    # Close, reveal and decide by keyboard shortcut (c, r, d).
    console.keyboard.press("c")
    expect(console.locator("#console-vote .state")).to_contain_text("Closed")
    for page in phones:
        expect(page.locator("#phone-live h2")).to_have_text("Voting has closed")
    console.keyboard.press("r")
    expect(one.locator("#phone-live .bars")).to_be_visible()
    console.keyboard.press("d")
    expect(console.locator("#console-vote .state")).to_contain_text("Decided: System engagement")
    for page in phones:
        expect(page.locator("#chosen-theme")).to_have_text("System engagement")
    expect(projector.locator("#screen-chosen")).to_have_text("System engagement")
    expect(projector.locator(".findings li")).to_have_count(4)

    assert axe_violations(two) == []
    screenshot(two, "live-04-phone-decided")
    assert axe_violations(projector) == []
    assert projector_overflow(projector) == FITS
    screenshot(projector, "live-05-projector-decided")
    screenshot(console, "live-06-console-decided")


def test_phone_without_a_socket_votes_by_posting_the_form(live_app, browser, pw):
    context = browser.new_context(**iphone(pw), java_script_enabled=False)
    page = context.new_page()
    page.goto(live_app.url + "/j/PCN25/")
    # After the flow above the vote is decided: the page says so without JavaScript.
    expect(page.locator("#chosen-theme")).to_have_text("System engagement")
    context.close()


def test_console_steps_through_the_agenda_by_keyboard_and_warns_of_an_overrun(live_app, new_laptop):
    console = new_laptop(1280, 800)
    console.clock.install()  # the console's own clock, so the countdown can be moved on
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    projector = new_laptop(1280, 720)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()
    now = console.locator(".now__title")

    def agenda_go(title):
        console.locator(".agenda li", has_text=title).get_by_role("button", name="Go").click()

    # The projector follows the agenda (not the chosen theme) while the facilitator steps.
    console.get_by_role("button", name="Current agenda item").click()
    agenda_go("Findings: policy and history")
    expect(now).to_have_text("Findings: policy and history")
    expect(projector.locator("#screen-main h1")).to_have_text("Findings: policy and history")
    console.keyboard.press("n")
    expect(now).to_have_text("Findings: leadership, management and governance")
    console.keyboard.press("ArrowRight")
    expect(now).to_have_text("Findings: system engagement")
    expect(projector.locator("#screen-main h1")).to_have_text("Findings: system engagement")
    console.keyboard.press("p")
    expect(now).to_have_text("Findings: leadership, management and governance")
    console.keyboard.press("ArrowLeft")
    expect(now).to_have_text("Findings: policy and history")
    expect(projector.locator("#screen-main h1")).to_have_text("Findings: policy and history")

    # A five-minute item: the countdown runs, then warns once the item overruns.
    agenda_go("Audience vote: choose the panel's theme")
    expect(now).to_have_text("Audience vote: choose the panel's theme")
    countdown = console.locator(".countdown")
    expect(countdown).to_have_text(re.compile(r"^(5:00|4:5\d) left$"))
    expect(countdown).not_to_have_class(re.compile("countdown--over"))
    console.clock.fast_forward("04:30")
    expect(countdown).to_have_text(re.compile(r"^0:[23]\d left$"))
    expect(countdown).to_have_class(re.compile("countdown--soon"))
    console.clock.fast_forward("02:00")
    expect(countdown).to_have_text(re.compile(r"^Over by 1:[23]\d$"))
    expect(countdown).to_have_class(re.compile("countdown--over"))
    assert axe_violations(console) == []
    screenshot(console, "live-07-console-overrun")

    # Back to following the session: the agenda has moved on since the decision, so the
    # projector follows the agenda, not the chosen theme.
    console.get_by_role("button", name="Follow the session").click()
    expect(projector.locator("#screen-main")).to_have_attribute("data-mode", "stage")
    expect(projector.locator("#screen-main h1")).to_have_text(
        "Audience vote: choose the panel's theme"
    )


def test_a_tied_vote_goes_to_a_run_off_started_by_its_shortcut(live_app, new_laptop, new_phone):
    console = new_laptop(1280, 800)
    _log_in(console, live_app, "/s/PCN25/console/")
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    projector = new_laptop(1280, 720)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()
    phones = []
    for _ in range(2):
        page = new_phone()
        page.goto(live_app.url + "/j/PCN25/")
        expect(page.locator("[data-live-status]")).to_be_hidden()
        phones.append(page)
    one, two = phones

    # A second vote, declared beforehand to settle a tie by a run-off; the two phones split.
    vote = console.locator("#console-vote")
    vote.get_by_label("A run-off vote between the tied themes").check()
    vote.get_by_role("button", name="Open a new vote").click()
    expect(console.locator("#console-flash")).to_have_text("The vote is open.")
    one.get_by_role("button", name="Policy and history").tap()
    two.get_by_role("button", name="Leadership, management and governance").tap()
    expect(console.locator("#turnout")).to_contain_text("2 ballots")
    console.keyboard.press("c")
    expect(vote.locator(".state")).to_contain_text("Closed")  # r acts on the closed vote
    console.keyboard.press("r")
    expect(vote.locator(".warn")).to_have_text("Tied between 2 themes.")
    expect(vote.get_by_role("button", name="Decide the theme")).to_have_count(0)
    for page in phones:
        expect(page.locator("#phone-live")).to_contain_text("It is a tie")
    expect(projector.locator("#screen-main")).to_contain_text("with a run-off")

    console.keyboard.press("u")  # the shortcut for "Start the run-off"
    expect(vote.locator(".state")).to_contain_text("Run-off · Open")
    for page in phones:
        expect(page.locator("#phone-live .chip")).to_have_text("Run-off between the tied themes")
        expect(page.locator("#phone-live .option")).to_have_count(2)
    expect(projector.locator("#screen-main .eyebrow")).to_contain_text("Run-off vote")
    assert axe_violations(one) == []
    screenshot(one, "live-08-phone-runoff")
    screenshot(console, "live-09-console-runoff")
    # A new ballot for everyone: both phones vote again, the second one coming round.
    expect(one.locator("#phone-live .notice")).to_have_count(0)
    for page in phones:
        page.get_by_role("button", name="Policy and history").tap()
        expect(page.locator("#phone-live .notice")).to_contain_text("Your vote: Policy and history")
    expect(projector.locator(".tally__count")).to_have_text("2 votes")
    console.keyboard.press("c")
    expect(vote.locator(".state")).to_contain_text("Run-off · Closed")
    console.keyboard.press("d")
    expect(vote.locator(".state")).to_have_text(
        "Run-off · Decided: Policy and history (most votes)"
    )
    for page in phones:
        expect(page.locator("#chosen-theme")).to_have_text("Policy and history")
    expect(projector.locator("#screen-chosen")).to_have_text("Policy and history")
    assert projector_overflow(projector) == FITS
    screenshot(projector, "live-10-projector-runoff-decided")
    # The tied vote is decided too, and records that a run-off settled it.
    decisions = (
        "list(Poll.objects.order_by('pk').values_list('decided_theme__title', 'decided_by'))"
    )
    assert _from_db(live_app, decisions)[-2:] == [
        ["Policy and history", "runoff"],
        ["Policy and history", "majority"],
    ]

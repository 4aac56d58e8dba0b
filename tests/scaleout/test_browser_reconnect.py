"""live.js in real Chromium when Redis restarts under a worker.

The worker closes every socket with code 4011 when it loses the channel layer. htmx's ws
extension reconnects by itself only after 1006 and 1011-1013, so live.js reconnects after
4011; this test checks that in a browser, on the scale-out setup where it happens.
"""

from playwright.sync_api import expect

from tests.chromium import FITS, browser_fixtures, projector_overflow, screenshot
from tests.scaleout.conftest import FACILITATOR, restart_redis

# Records the close codes each page's socket sees, and marks the page so a reload would show.
WATCH_CLOSES = """() => {
  window.wsCloses = [];
  window.notReloaded = true;
  document.addEventListener("htmx:wsClose", (e) => window.wsCloses.push(e.detail.event.code));
}"""
RECONNECT = 4011


# Playwright's sync API keeps an event loop running while it is started, and the other
# scale-out tests run their own (pytest-asyncio): so here it runs for this module only.
pw, browser = browser_fixtures("module")


BALLOTS = (
    "import json; from voting.models import Ballot; "
    "print(json.dumps(list(Ballot.objects.values_list('theme__title', flat=True))))"
)


def test_console_projector_and_phone_reconnect_by_themselves_after_redis_restarts(
    cluster, new_laptop, new_phone
):
    base = cluster.url(cluster.start())
    console = new_laptop(1280, 800)
    console.goto(f"{base}/admin/login/?next=/s/PCN25/console/")
    console.get_by_label("Username").fill(FACILITATOR[0])
    console.get_by_label("Password").fill(FACILITATOR[1])
    console.get_by_role("button", name="Log in").click()
    expect(console.locator("[data-live-status]")).to_have_text("Live")
    projector = new_laptop(1280, 720)
    projector.goto(base + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_have_text("Live")
    phone = new_phone()
    phone.goto(base + "/j/PCN25/")
    expect(phone.locator("#phone-live")).to_contain_text("The session will start soon")
    expect(phone.locator("[data-live-status]")).to_have_text("Live")
    pages = (console, projector, phone)
    for page in pages:
        page.evaluate(WATCH_CLOSES)

    restart_redis()

    for page in pages:
        page.wait_for_function(
            "code => window.wsCloses.includes(code)", arg=RECONNECT, timeout=15_000
        )
        expect(page.locator("[data-live-status]")).to_have_text("Live", timeout=15_000)
    # Back live without a reload: the facilitator opens the vote and everyone follows.
    console.get_by_role("button", name="Next").click()
    expect(projector.locator("#screen-main h1")).to_have_text("Welcome and introductions")
    console.get_by_role("button", name="Open the vote").click()
    expect(console.locator("#console-flash")).to_have_text("The vote is open.")
    expect(phone.locator("#phone-live .option")).to_have_count(3)
    phone.get_by_role("button", name="Policy and history").tap()
    expect(phone.locator("#phone-live .notice")).to_contain_text("Your vote: Policy and history")
    expect(projector.locator(".tally__count")).to_have_text("1 vote")
    expect(console.locator("#turnout")).to_contain_text("1 ballot")

    for page in pages:
        assert page.evaluate("window.notReloaded") is True
    assert cluster.query(BALLOTS) == ["Policy and history"]
    screenshot(phone, "reconnect-01-phone-after-redis-restart")
    assert projector_overflow(projector) == FITS
    screenshot(projector, "reconnect-02-projector-after-redis-restart")

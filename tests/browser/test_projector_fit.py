"""The projector's longest content still fits its screen: questions and views at the length
limit, as many as the projector lists, on 16:9 (the design shape), 16:10 and 4:3 projectors.
(Runs after the other browser tests: it fills the demo workshop's board and question list.)"""

from playwright.sync_api import expect

from tests.browser.test_live_vote import _log_in
from tests.chromium import FITS, axe_violations, projector_overflow, screenshot

# Through the services, as phones and the console would; a new attendee for each text (the
# services limit how often one attendee may post).
FILL = """
from panel import services
from panel.models import TEXT_LIMIT
from workshop.models import Workshop
from workshop.services import attendee_join

workshop = Workshop.objects.get(join_code="PCN25")
text = ("Networks that share a pharmacist and a social prescriber across practices, "
        "with funding that lasts beyond the pilot, could show what collaboration buys; ") * 3
text = text[:TEXT_LIMIT - 1].rsplit(" ", 1)[0] + "."
for kind in ("opportunity", "challenge"):
    for _ in range(6):
        services.board_post_submit(workshop=workshop, attendee_id=attendee_join(workshop=workshop, address="127.0.0.1").pk,
                                   kind=kind, text=text, theme_id=None)
for _ in range(5):
    q = services.question_submit(workshop=workshop, attendee_id=attendee_join(workshop=workshop, address="127.0.0.1").pk,
                                 text=text, author_name="A long-named member of the audience")
    services.question_approve(question=q)
print(len(text))
"""


def _smallest_item_type(projector) -> float:
    """The smallest font size, in CSS pixels, of the list items shown on the projector."""
    return projector.evaluate(
        "() => Math.min(...[...document.querySelectorAll('#screen-main li')]"
        ".filter(el => el.offsetParent).map(el => parseFloat(getComputedStyle(el).fontSize)))"
    )


READABLE = 15  # px at 1280 wide: a board view at 0.7 of full size is 0.7 of 1.7 vw, ≈ 15.2 px


def test_projector_fits_the_longest_questions_and_views(live_app, new_laptop):
    length = int(live_app.manage("shell", "--no-imports", "-c", FILL).split()[-1])
    assert length > 250
    console = new_laptop(1280, 800)
    _log_in(console, live_app, "/s/PCN25/console/")
    projector = new_laptop(1280, 720)
    projector.goto(live_app.url + console.locator("#open-screen").get_attribute("href"))
    expect(projector.locator("[data-live-status]")).to_be_hidden()

    console.keyboard.press("q")  # top questions on the projector
    expect(projector.locator(".top-questions li")).to_have_count(5)
    assert projector_overflow(projector) == FITS
    assert projector.locator(".top-questions li:visible").count() >= 2
    assert _smallest_item_type(projector) >= READABLE
    assert axe_violations(projector) == []
    screenshot(projector, "fit-01-projector-top-questions")

    console.keyboard.press("w")  # the board
    expect(projector.locator("#screen-main[data-mode=board]")).to_be_visible()
    assert projector_overflow(projector) == FITS
    assert axe_violations(projector) == []
    screenshot(projector, "fit-02-projector-board")
    # Twelve views at the length limit do not fit in readable type: the projector shrinks the
    # type only so far, then leaves out the last views of the longer column and says so.
    assert 2 <= projector.locator(".board li:visible").count() < 12
    expect(projector.locator(".fit-more")).to_have_text("More on your phones.")
    assert _smallest_item_type(projector) >= READABLE

    # A full-HD projector shows the same screen, scaled: it fits, and the type is larger.
    hd = new_laptop(1920, 1080)
    hd.goto(projector.url)
    expect(hd.locator("#screen-main[data-mode=board]")).to_be_visible()
    assert projector_overflow(hd) == FITS
    assert _smallest_item_type(hd) >= READABLE * 1.5
    assert axe_violations(hd) == []
    screenshot(hd, "fit-03-projector-board-1080p")

    # Older projectors and meeting-room screens: 16:10 and 4:3. Type scales with the width,
    # so "readable" is the same share of the screen's width as at 1280.
    for (width, height), name in (((1280, 800), "16x10"), ((1024, 768), "4x3")):
        other = new_laptop(width, height)
        other.goto(projector.url)
        for key, mode in (("q", "questions"), ("w", "board")):
            console.keyboard.press(key)
            expect(other.locator(f"#screen-main[data-mode={mode}]")).to_be_visible()
            assert projector_overflow(other) == FITS, (name, mode)
            assert _smallest_item_type(other) >= READABLE * width / 1280, (name, mode)
            expect(other.locator(".join__qr svg")).to_be_in_viewport(ratio=1)
            screenshot(other, f"fit-04-projector-{mode}-{name}")

"""The post-session report in Chromium: on screen, accessible, and printed to A4 pages."""

import re

from tests.browser.workshops import log_in, own_workshop_fixture  # noqa: F401 (fixture)
from tests.chromium import SCREENSHOTS, axe_violations, screenshot

# A short session through the services, as the console and phones would drive it: the agenda
# moves on, 12 phones vote (one changes its mind), the vote closes and is decided, questions
# and views come in and are moderated.
SESSION = """
from panel.services import board_post_submit, question_approve, question_submit
from voting.services import ballot_cast, poll_close, poll_decide, poll_open
from workshop.models import Attendee, Workshop
from workshop.services import stage_next
w = Workshop.objects.get(join_code={code!r})
themes = list(w.themes.order_by("position"))
for _ in range(3):
    stage_next(workshop=w, actor="facilitator")
phones = [Attendee.objects.create(workshop=w) for _ in range(14)]
poll = poll_open(workshop=w)
for i, phone in enumerate(phones[:12]):
    ballot_cast(poll_id=poll.pk, attendee_id=phone.pk, theme_id=themes[i % 3].pk)
ballot_cast(poll_id=poll.pk, attendee_id=phones[1].pk, theme_id=themes[0].pk)
poll_close(poll=poll)
poll_decide(poll=poll)
stage_next(workshop=w, actor="facilitator")
for i in range(8):
    q = question_submit(workshop=w, attendee_id=phones[i].pk, text=f"Report question {{i}}?",
                        theme_id=themes[i % 3].pk)
    if i % 2:
        question_approve(question=q)
for i in range(10):
    board_post_submit(workshop=w, attendee_id=phones[i].pk,
                      kind="opportunity" if i % 2 else "challenge",
                      text=f"Report view {{i}}", theme_id=themes[i % 3].pk)
"""


def test_report_reads_on_screen_and_prints_to_a4_pages(live_app, own_workshop, new_laptop):
    code = own_workshop("RPRT2")
    live_app.manage("shell", "--no-imports", "-c", SESSION.format(code=code))
    page = new_laptop(1280, 900)
    log_in(page, live_app, f"/s/{code}/report/")

    assert page.get_by_role("heading", level=1).inner_text()
    assert page.get_by_role("heading", name="Agenda: planned and actual times").is_visible()
    assert page.locator("svg.chart").count() == 2
    assert page.get_by_text("Report question 1?").is_visible()
    assert axe_violations(page) == []
    page.screenshot(path=str(SCREENSHOTS / "report-00-screen.png"))
    screenshot(page, "report-00-screen-full")

    page.emulate_media(media="print")
    assert not page.locator(".report-nav").is_visible()
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=str(SCREENSHOTS / "report-01-print.png"))
    pdf = page.pdf(format="A4", print_background=True)

    assert pdf.startswith(b"%PDF")
    assert b"/Title (Report: Policy into practice" in pdf  # the page's title, as the PDF's
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 < pages < 20, pages
    # Each section starts a page: the workshop, the agenda, the vote, questions and views.
    assert pages >= 5
    # Chromium writes each printed link as a /URI annotation: the navigation's link to the
    # console would be one. Hidden in print, it is not in the PDF.
    assert f"/s/{code}/console/".encode() not in pdf

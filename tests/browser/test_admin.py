"""The organisers' admin in real Chromium on a 1366x768 laptop: compact pages, sensible
defaults, axe on every admin page the app controls, and edits that reach phones at once.

The live vote here runs on a copy of the demo workshop under its own join code (ADMNX), so the
session's demo workshop (PCN25) is left as the other browser tests expect it."""

import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import FACILITATOR, ROOT
from tests.chromium import axe_violations, screenshot
from workshop.content import DEMO_PATH

CODE = "ADMNX"
LAPTOP = (1366, 768)

# axe rules that fail only on markup of Django's own admin templates, which the app does not
# override; docs/admin.md lists them with the templates at fault. None are left on the pages
# these tests visit: admin/edit_inline/tabular.html is the app's copy with labels, and the
# photo box is drawn with a label (panel.admin.PhotoWidget).
DJANGO_OWNED: set[str] = set()


def _axe(page) -> list[str]:
    return [v for v in axe_violations(page) if v.split(" ")[0] not in DJANGO_OWNED]


def _shell(live_app, code: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=live_app.env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@pytest.fixture(scope="module")
def copy_workshop(live_app, tmp_path_factory):
    """The demo workshop again under CODE, with a vote open: its id. Deleted after the module:
    other browser tests expect the demo workshop alone."""
    path = tmp_path_factory.mktemp("content") / "copy.toml"
    path.write_text(DEMO_PATH.read_text().replace('join_code = "PCN25"', f'join_code = "{CODE}"'))
    live_app.manage("load_demo", "--file", str(path))
    yield int(
        _shell(
            live_app,
            "from workshop.models import Workshop; from voting.services import poll_open; "
            f"w = Workshop.objects.get(join_code='{CODE}'); poll_open(workshop=w); print(w.pk)",
        )
    )
    _shell(
        live_app,
        "from workshop.models import Workshop; from workshop.services import content_save; "
        f"content_save(deleted=[Workshop.objects.get(join_code='{CODE}')])",
    )


def _admin(new_laptop, live_app):
    page = new_laptop(*LAPTOP)
    page.goto(f"{live_app.url}/admin/login/?next=/admin/")
    assert _axe(page) == []
    page.get_by_label("Username").fill(FACILITATOR[0])
    page.get_by_label("Password").fill(FACILITATOR[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_app.url + "/admin/")
    return page


def _sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - innerWidth")


def _inline_overflow(page) -> list[int]:
    """How far each inline table runs past its box (admin scrolls the box sideways)."""
    return page.evaluate(
        "[...document.querySelectorAll('.inline-group .wrapper')]"
        ".map((e) => e.scrollWidth - e.clientWidth)"
    )


def _list_overflow(page) -> list[int]:
    """How far a changelist's table runs past its box (admin scrolls the box sideways)."""
    return page.evaluate(
        "[...document.querySelectorAll('#changelist .results')]"
        ".map((e) => e.scrollWidth - e.clientWidth)"
    )


def _height(page) -> int:
    return page.evaluate("document.documentElement.scrollHeight")


def test_admin_workshop_page_is_compact_and_links_the_console_and_projector(
    live_app, new_laptop, copy_workshop
):
    page = _admin(new_laptop, live_app)
    assert _axe(page) == []
    screenshot(page, "admin-01-index")
    page.goto(f"{live_app.url}/s/{CODE}/console/")  # makes the projector's secret link
    page.goto(f"{live_app.url}/admin/workshop/workshop/{copy_workshop}/change/")

    assert _height(page) < 3000
    assert _sideways(page) == 0
    assert _inline_overflow(page) == [0]
    expect(page.get_by_role("link", name="Open the console")).to_have_attribute(
        "href", f"/s/{CODE}/console/"
    )
    expect(page.get_by_role("link", name="Open the projector")).to_have_attribute(
        "href", re.compile(rf"^/s/{CODE}/screen/[\w-]+/$")
    )
    assert _axe(page) == []
    screenshot(page, "admin-02-workshop-change")


def test_admin_findings_fit_the_screen_and_a_new_one_goes_last(live_app, new_laptop):
    page = _admin(new_laptop, live_app)
    page.goto(f"{live_app.url}/admin/evidence/theme/?q=Policy+and+history")
    page.get_by_role("link", name="Policy and history").first.click()
    expect(page.locator("h1")).to_contain_text("Change theme")
    positions = page.locator("#findings-group tr.form-row:not(.empty-form) [name$='-position']")
    saved = [int(v) for v in positions.evaluate_all("(els) => els.map((e) => e.value)")]

    assert _sideways(page) == 0
    assert _inline_overflow(page) == [0]
    assert saved[-1] == max(saved[:-1]) + 1  # the blank row for a new finding
    page.get_by_role("button", name=re.compile("Add another finding", re.I)).click()
    assert int(positions.last.input_value()) == saved[-1] + 1
    assert _axe(page) == []
    screenshot(page, "admin-03-theme-change")


def test_admin_polls_list_does_not_repeat_the_question(live_app, new_laptop, copy_workshop):
    page = _admin(new_laptop, live_app)
    page.goto(f"{live_app.url}/admin/voting/poll/")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 1
    assert _list_overflow(page) == [0]
    assert "Which theme should the panel discuss?" not in page.locator("#result_list").inner_text()
    assert _axe(page) == []
    screenshot(page, "admin-04-polls")
    rows.first.locator("th a").click()
    expect(page.locator("#content")).to_contain_text("Which theme should the panel discuss?")
    assert _axe(page) == []


@pytest.mark.parametrize(
    "path",
    [
        "/admin/workshop/workshop/",
        "/admin/workshop/workshop/add/",
        "/admin/evidence/theme/",
        "/admin/evidence/theme/add/",
        "/admin/evidence/report/",
        "/admin/panel/person/",
    ],
)
def test_admin_lists_and_add_pages_pass_axe(live_app, new_laptop, path):
    page = _admin(new_laptop, live_app)
    page.goto(live_app.url + path)

    assert _sideways(page) == 0
    assert set(_list_overflow(page)) <= {0}
    assert _axe(page) == []


def test_admin_report_and_person_change_pages_pass_axe(live_app, new_laptop):
    page = _admin(new_laptop, live_app)
    for changelist, name in (("evidence/report", "reports"), ("panel/person", "people")):
        page.goto(f"{live_app.url}/admin/{changelist}/")
        page.locator("#result_list tbody tr th a").first.click()
        expect(page.locator("h1")).to_contain_text("Change")
        assert _sideways(page) == 0
        assert _axe(page) == []
        screenshot(page, f"admin-05-{name}-change")


def test_theme_renamed_in_admin_during_an_open_vote_reaches_a_phone_live_and_on_reload(
    live_app, new_laptop, new_phone, copy_workshop
):
    phone = new_phone()
    phone.goto(f"{live_app.url}/j/{CODE}/")
    expect(phone.locator("[data-live-status]")).to_be_hidden()  # the socket is open
    expect(phone.locator("#phone-live .option")).to_have_count(3)
    expect(phone.get_by_role("button", name="System engagement")).to_be_visible()

    page = _admin(new_laptop, live_app)
    page.goto(
        f"{live_app.url}/admin/evidence/theme/?workshop__id__exact={copy_workshop}"
        "&q=System+engagement"
    )
    page.locator("#result_list tbody tr th a").first.click()
    page.get_by_label("Title:").fill("Working with the wider NHS")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    expect(phone.get_by_role("button", name="Working with the wider NHS")).to_be_visible()
    expect(phone.locator("#phone-live")).not_to_contain_text("System engagement")
    phone.reload()
    expect(phone.locator("[data-live-status]")).to_be_hidden()
    expect(phone.get_by_role("button", name="Working with the wider NHS")).to_be_visible()
    expect(phone.locator("#phone-live")).not_to_contain_text("System engagement")
    assert axe_violations(phone) == []
    screenshot(phone, "admin-06-phone-after-rename")

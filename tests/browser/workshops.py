"""A workshop of a browser test's own: the demo's content under another join code, so that a
test can open, close and decide votes without changing what the other tests see of PCN25.
It is deleted when the test ends: the other tests read "the" workshop and count its ballots."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import FACILITATOR
from tests.processes import ROOT

DEMO = ROOT / "workshop" / "demo" / "pcn.toml"


@pytest.fixture(name="own_workshop")
def own_workshop_fixture(live_app):
    """Loads the demo workshop under a join code: `code = own_workshop("KBRD2")`. Ask for it
    before the browser fixtures, so that its pages are closed before it is deleted."""
    codes = []

    def load(code: str) -> str:
        text = DEMO.read_text().replace('join_code = "PCN25"', f'join_code = "{code}"', 1)
        path = live_app.log.parent / f"{code}.toml"
        path.write_text(text)
        live_app.manage("load_demo", "--file", str(path))
        codes.append(code)
        return code

    yield load
    for code in codes:
        live_app.manage(
            "shell", "--no-imports", "-c",
            "from workshop.models import Workshop; "
            f"Workshop.objects.filter(join_code={code!r}).delete()",
        )  # fmt: skip


def log_in(page, live_app, next_url: str) -> None:
    page.goto(f"{live_app.url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(FACILITATOR[0])
    page.get_by_label("Password").fill(FACILITATOR[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_app.url + next_url)

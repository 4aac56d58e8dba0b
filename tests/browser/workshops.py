"""A workshop of a browser test's own: the demo's content under another join code, so that a
test can open, close and decide votes without changing what the other tests see of PCN25."""

from playwright.sync_api import expect

from tests.browser.conftest import FACILITATOR
from tests.processes import ROOT

DEMO = ROOT / "workshop" / "demo" / "pcn.toml"


def workshop_copy(live_app, code: str) -> str:
    """Loads the demo workshop as `code` (once; a second call leaves it as it is)."""
    text = DEMO.read_text().replace('join_code = "PCN25"', f'join_code = "{code}"', 1)
    path = live_app.log.parent / f"{code}.toml"
    path.write_text(text)
    live_app.manage("load_demo", "--if-missing", "--file", str(path))
    return code


def log_in(page, live_app, next_url: str) -> None:
    page.goto(f"{live_app.url}/admin/login/?next={next_url}")
    page.get_by_label("Username").fill(FACILITATOR[0])
    page.get_by_label("Password").fill(FACILITATOR[1])
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_app.url + next_url)

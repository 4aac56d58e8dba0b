"""Chromium for the tests that drive a browser: Debian's Chromium through Playwright.

Shared by tests/browser (the embedded app) and tests/scaleout (workers on Redis and
PostgreSQL). Never `playwright install`: the browser is the system's /usr/bin/chromium.
"""

import contextlib
import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.processes import ROOT

CHROMIUM = Path(os.environ.get("WORKSHOP_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "tests" / "browser" / "vendor" / "axe-core-4.14.1.min.js"
SCREENSHOTS = ROOT / "tests" / "browser" / "screenshots"


def iphone(pw) -> dict:
    """Playwright's iPhone 13 (390 px wide, touch), as options for a new browser context."""
    return {k: v for k, v in pw.devices["iPhone 13"].items() if k != "default_browser_type"}


def browser_fixtures(scope: str):
    """The `pw` (Playwright) and `browser` (Chromium) fixtures, at the scope a suite needs:
    `pw, browser = browser_fixtures("session")` in a test module or conftest."""

    @pytest.fixture(scope=scope)
    def pw():
        if not CHROMIUM.exists():
            pytest.fail(
                f"{CHROMIUM} is missing: browser tests need Debian's Chromium "
                "(`make test` installs it with apt-get)."
            )
        with sync_playwright() as playwright:
            yield playwright

    @pytest.fixture(scope=scope)
    def browser(pw):
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

    return pw, browser


pw, browser = browser_fixtures("session")


@contextlib.contextmanager
def _pages(browser):
    """Opens pages, each in a fresh browser context (its own cookies); closes them after."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def new_phone(browser, pw):
    """Opens a fresh phone (iPhone 13: 390 px wide, touch) with its own cookies."""
    with _pages(browser) as open_page:
        yield lambda: open_page(**iphone(pw))


@pytest.fixture
def new_laptop(browser):
    with _pages(browser) as open_page:
        yield lambda width=1280, height=800: open_page(viewport={"width": width, "height": height})


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page, one readable line each (empty when clean)."""
    # Evaluated through the DevTools protocol: a <script> tag with axe's text would be an inline
    # script, which the app's Content-Security-Policy refuses.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in result["violations"]
    ]


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def projector_overflow(page) -> dict[str, int]:
    """CSS pixels the projector's content runs past the screen, all 0 when it fits: the page
    beyond the viewport, and the main column beyond its box (which clips)."""
    return page.evaluate(
        """() => {
          const d = document.documentElement, main = document.getElementById("screen-main");
          return {page_x: d.scrollWidth - innerWidth, page_y: d.scrollHeight - innerHeight,
                  main_y: main.scrollHeight - main.clientHeight};
        }"""
    )


FITS = {"page_x": 0, "page_y": 0, "main_y": 0}


def write_figure(name: str, value) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{name}.json").write_text(json.dumps(value, indent=2))

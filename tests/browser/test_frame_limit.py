"""A page that floods its socket is closed with TOO_MANY_FRAMES, and the phone then shows
that it is offline instead of trying to reconnect."""

import pytest
from playwright.sync_api import expect

from tests.chromium import axe_violations, screenshot

pytestmark = [pytest.mark.security, pytest.mark.browser]

# Keep every socket the page opens, so that the test can send on it past htmx.
KEEP_SOCKETS = """
(() => {
  const Real = window.WebSocket;
  window.openedSockets = [];
  window.WebSocket = function (url, protocols) {
    const socket = new Real(url, protocols);
    window.openedSockets.push(socket);
    return socket;
  };
  window.WebSocket.prototype = Real.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""

FLOOD = """
() => {
  const socket = window.openedSockets[window.openedSockets.length - 1];
  for (let i = 0; i < 200; i++) {
    socket.send(JSON.stringify({ action: "question_upvote", question: "0" }));
  }
}
"""


def test_a_flooding_phone_is_closed_and_shows_it_is_offline(live_app, new_phone):
    page = new_phone()
    page.add_init_script(KEEP_SOCKETS)
    page.goto(live_app.url + "/j/PCN25/")
    expect(page.locator("html")).to_have_attribute("data-live", "on")

    page.evaluate(FLOOD)

    expect(page.locator("[data-live-status]")).to_have_text(
        "Offline: reload the page to reconnect."
    )
    expect(page.locator("#phone-flash")).to_contain_text("sent too many messages too quickly")
    assert axe_violations(page) == []
    screenshot(page, "security-05-phone-offline-after-flood")
    page.wait_for_timeout(3000)  # htmx's own reconnect would have come within 2 s
    assert page.evaluate("window.openedSockets.length") == 1
    assert page.evaluate("window.openedSockets[0].readyState") == 3  # CLOSED

    page.reload()
    expect(page.locator("html")).to_have_attribute("data-live", "on")

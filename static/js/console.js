/* Workshop Live: the console's keyboard and screen-reader support, loaded by the console only
 * (after live.js, which runs its socket and forms): keyboard shortcuts; keeps the focus on
 * the control used (or its successor) when a push replaces it; announces what changed. */
(function () {
  "use strict";
  function live() { return document.documentElement.dataset.live === "on"; }

  // Console shortcuts: a key clicks the visible, enabled button that declares it.
  document.addEventListener("keydown", function (event) {
    if (!document.body.classList.contains("console")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var t = event.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) && t.type !== "radio" && t.type !== "checkbox")) return;
    var key = event.key.toLowerCase();
    if (key === "arrowright") key = "n";
    if (key === "arrowleft") key = "p";
    var button = document.querySelector('button[data-key="' + key + '"]:not([disabled])');
    // Focus goes to the button the key pressed, so that it (or its successor) keeps focus
    // once the push has replaced it.
    if (button) { event.preventDefault(); button.focus(); button.click(); }
  });

  // Console, keyboard and screen reader use. A push replaces whole panes (#console-stage,
  // #console-vote, ...), and with them the control that had focus, which would leave focus
  // on <body>. The focused control is remembered (its data-focus name, its list item, the
  // item after it, its pane); when a push has removed it, focus goes to the same control in
  // the new pane, else its successor there (the control that replaces it), else its item (a
  // question moved to another column), else the next item, else the same control elsewhere,
  // else the pane's heading.
  var SUCCESSOR = {
    poll_open: ["poll_close"], poll_close: ["poll_reveal", "poll_decide"],
    poll_reveal: ["poll_decide"], poll_decide: ["poll_open"], poll_runoff: ["poll_close"],
    poll_show_bars: ["poll_hide_bars"], poll_hide_bars: ["poll_show_bars"],
    screen_show: ["screen_show"], stage_next: ["stage_previous"],
    stage_previous: ["stage_next"], stage_goto: ["stage_next"],
    screen_secret_renew: ["open_screen"]
  };
  // Working through a queue (approving or hiding what waits, marking live questions
  // answered) moves the item to another list: the next item of the queue comes first.
  var WAITING = "#console-held, [aria-labelledby='queue-pending'], [aria-labelledby='queue-live']";
  var lastFocus = null;
  function isConsole() { return document.body && document.body.classList.contains("console"); }
  function focusNote(el) {
    if (!isConsole() || !el || el === document.body || !el.closest) return;
    var item = el.closest("li[id]"), pane = el.closest("section.panel, [id^='console-']");
    var next = item && item.nextElementSibling;
    lastFocus = {
      el: el, key: el.getAttribute("data-focus"), item: item ? item.id : null,
      next: next && next.id ? next.id : null, pane: pane ? pane.id : null,
      queue: !!(item && item.closest(WAITING))
    };
  }
  document.addEventListener("focusin", function (event) { focusNote(event.target); });
  function focusTarget(f) {  // the candidates, best first
    var pane = f.pane && document.getElementById(f.pane);
    function byKey(key, anywhere) {
      var sel = '[data-focus="' + key + '"]:not([disabled]), [data-focus^="' + key + ':"]:not([disabled])';
      return anywhere ? document.querySelector(sel) : pane && pane.querySelector(sel);
    }
    function firstIn(id) {
      var el = id && document.getElementById(id);
      return el && el.querySelector("button:not([disabled]), a[href]");
    }
    var action = (f.key || "").split(":")[0], tries = [];
    if (f.queue && action !== "question_on_screen") {
      tries.push(function () { return firstIn(f.next); });
    }
    if (f.key) tries.push(function () { return byKey(f.key); });
    (SUCCESSOR[action] || []).forEach(function (key) {
      tries.push(function () { return byKey(key); });
    });
    tries.push(function () { return firstIn(f.item); }, function () { return firstIn(f.next); });
    if (f.key) tries.push(function () { return byKey(f.key, true); });
    tries.push(function () { return pane && pane.querySelector("h2[tabindex]"); });
    tries.push(function () { return document.getElementById("main"); });
    return tries;
  }
  // Focuses the first candidate that can take focus (one in a closed <details> cannot).
  function focusFirst(f) {
    var tries = focusTarget(f);
    for (var i = 0; i < tries.length; i++) {
      var el = tries[i]();
      if (!el) continue;
      el.focus();
      if (document.activeElement === el) return;
    }
  }
  function focusRestore() {
    if (!lastFocus || lastFocus.el.isConnected) return;
    var active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    focusFirst(lastFocus);
  }
  // The HTTP fallback reloads the page: the control is remembered across it.
  window.addEventListener("submit", function (event) {
    if (!isConsole() || live() || !lastFocus) return;
    var f = lastFocus;
    try {
      sessionStorage.setItem("console-focus", JSON.stringify(
        { key: f.key, item: f.item, next: f.next, pane: f.pane, queue: f.queue }));
    } catch (e) { /* storage refused: focus starts at the top */ }
  }, true);

  // Announcements: the result of each action (the flash the server sends back) and the
  // changes that matter (the current item, the vote's state, questions and views waiting);
  // not the ballots coming in.
  var announced = null, flashSeen = null;
  function consoleSummary() {
    function text(sel) { var el = document.querySelector(sel); return el ? el.textContent.trim() : ""; }
    return {
      now: text("#console-now .now__title"),
      vote: text("#console-vote .state"),
      waiting: text("#queue-pending .count"),
      held: text("#held-h .count")
    };
  }
  // An action's answer and the pushes it causes arrive as several messages within a moment:
  // they are gathered into one announcement.
  var toAnnounce = [], announceTimer = null;
  function announce(parts) {
    var region = document.getElementById("console-announce");
    if (!region || !parts.length) return;
    toAnnounce = toAnnounce.concat(parts);
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () {
      region.textContent = toAnnounce.join(" ");
      toAnnounce = [];
    }, 250);
  }
  function consoleAfterMessage() {
    if (!isConsole()) return;
    focusRestore();
    var parts = [], flash = document.getElementById("console-flash");
    if (flash && flash !== flashSeen) {
      flashSeen = flash;
      if (flash.textContent.trim()) parts.push(flash.textContent.trim());
    }
    var now = consoleSummary();
    if (announced) {
      if (now.now !== announced.now && now.now) parts.push("Now: " + now.now + ".");
      if (now.vote !== announced.vote && now.vote) parts.push("Vote: " + now.vote + ".");
      if (now.waiting !== announced.waiting && now.waiting) {
        parts.push(now.waiting + " question" + (now.waiting === "1" ? "" : "s") + " waiting for approval.");
      }
      if (now.held !== announced.held && now.held) {
        parts.push(now.held + " view" + (now.held === "1" ? "" : "s") + " waiting for approval.");
      }
    }
    announced = now;
    announce(parts);
  }
  document.addEventListener("htmx:wsAfterMessage", consoleAfterMessage);
  // The next action clears the answer to the last one: a message stays only while it is news.
  window.addEventListener("submit", function (event) {
    if (!isConsole() || !live()) return;
    var flash = document.getElementById("console-flash");
    if (flash && event.target.hasAttribute && event.target.hasAttribute("ws-send")) {
      flash.textContent = "";
      flashSeen = null;
    }
  }, true);
  document.addEventListener("DOMContentLoaded", function () {
    if (!isConsole()) return;
    announced = consoleSummary();
    flashSeen = document.getElementById("console-flash");
    var saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem("console-focus") || "null");
      sessionStorage.removeItem("console-focus");
    } catch (e) { saved = null; }
    if (saved) focusFirst(saved);
  });
})();

/* Workshop Live: the little JavaScript the live pages need, on top of htmx and its ws extension.
 * - shows whether the socket is live;
 * - when it is not, lets a ws-send form post as an ordinary form (same service server-side);
 * - ticks the countdowns (console and projector);
 * - fits the projector's main column to the screen. */
(function () {
  "use strict";
  var root = document.documentElement;
  var live = false;

  var offline = false;  // closed for good (4008): no reconnect until the page is reloaded
  function setStatus(on) {
    live = on;
    root.dataset.live = on ? "on" : "off";
    document.querySelectorAll("[data-live-status]").forEach(function (el) {
      el.textContent = on ? "Live" : offline ? "Offline: reload the page to reconnect." : "Reconnecting…";
    });
  }
  document.addEventListener("htmx:wsOpen", function () { setStatus(true); opens += 1; });

  // A vote, question, view or upvote sent on a socket that then died (a worker killed, a
  // phone off the Wi-Fi) has no answer, and htmx does not send it again. The last one of each
  // kind (of upvotes: per question) is kept until an answer settles it: for a vote, a card
  // that marks that theme as chosen (or no longer offers that vote: the card then says what
  // counted); for a text, the server clearing the form's key; for an upvote, the question's
  // button pressed or not as the phone asked; for any, a refusal. Only what was sent on an
  // earlier socket is sent again, once, when the reconnected socket's first card (vote),
  // first message (text) or question list (upvote) shows it unsettled; the server stores a
  // resend it already has only once (a vote or text by its key; an upvote says what the
  // phone wants, not "one more"). What was sent on the current socket is never sent again
  // on it, even if that socket's first card arrives after the tap and does not show it yet.
  var pending = {}, opens = 0, RESEND = { vote: true, question_ask: true, board_post: true };
  var UPVOTE = { question_upvote: true, question_unvote: true };
  function pendingName(sent) {
    if (!sent) return null;
    if (UPVOTE[sent.action] === true) return /^\d+$/.test(sent.question) ? "upvote:" + sent.question : null;
    return RESEND[sent.action] === true && sent.key ? sent.action : null;
  }
  document.addEventListener("htmx:wsAfterSend", function (event) {
    var sent, name;
    try { sent = JSON.parse(event.detail.message); } catch (e) { return; }
    if ((name = pendingName(sent))) {
      pending[name] = { sent: sent, message: event.detail.message, socket: opens };
    }
  });
  function voteState(vote, detail) {  // "done", "wait" (no card yet) or "unsettled"
    var card = document.getElementById("phone-live");
    if (!card || detail.message.indexOf('id="phone-live"') < 0) return "wait";
    if (!card.querySelector('input[name="poll"][value="' + vote.poll + '"]')) return "done";
    var chosen = card.querySelector(".option--chosen");
    var form = chosen && chosen.closest("form");
    var theme = form && form.querySelector('input[name="theme"]');
    return theme && theme.value === String(vote.theme) ? "done" : "unsettled";
  }
  function textState(text) {
    var keys = document.querySelectorAll("input[data-draft-key]");
    for (var i = 0; i < keys.length; i++) if (keys[i].value === text.key) return "unsettled";
    return "done";  // the server cleared the key: it has the text
  }
  function upvoteState(upvote, detail) {
    var id = "q-" + upvote.question + "-vote";
    if (detail.message.indexOf('id="' + id + '"') < 0) return "wait";
    var button = document.querySelector("#" + id + " button");
    if (!button) return "wait";
    var wanted = String(upvote.action === "question_upvote");
    return button.getAttribute("aria-pressed") === wanted ? "done" : "unsettled";
  }
  function settle(detail) {
    if (/class="flash flash--error"/.test(detail.message)) { pending = {}; return; }
    Object.keys(pending).forEach(function (action) {
      var p = pending[action];
      var state = action === "vote" ? voteState(p.sent, detail)
        : UPVOTE[p.sent.action] === true ? upvoteState(p.sent, detail) : textState(p.sent);
      if (state === "done") delete pending[action];
      else if (state === "unsettled" && p.socket < opens && detail.socketWrapper) {
        p.socket = opens;  // now sent on this socket: not again on it
        detail.socketWrapper.send(p.message);
      }
    });
  }
  // Before a 4011 the server says over how many seconds its clients should spread their
  // return (workshop/live/sockets.py), so that a full hall does not come back all at once.
  var reconnectWindow = 2;
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var m = /^<!--reconnect-window (\d+)-->$/.exec(event.detail.message);
    if (m) { reconnectWindow = Math.max(2, parseInt(m[1], 10)); event.preventDefault(); }
  });
  // Close codes after which the socket is over for good (workshop/live/sockets.py): the
  // console's login ended (the server said so in the flash first), or this projector link
  // was replaced by a new one. Neither reconnects: say so instead of "Reconnecting…".
  var ENDED = {
    4401: "Signed out: sign in again",
    4404: "This link was replaced"
  };
  document.addEventListener("htmx:wsClose", function (event) {
    var detail = event.detail || {};
    // 4008: this page sent more frames than the server allows (workshop/live/consumers.py,
    // TOO_MANY_FRAMES); neither htmx nor this script reconnects, so say it is offline.
    // Forms then post as ordinary forms (the HTTP fallback) until the page is reloaded.
    offline = !!(detail.event && detail.event.code === 4008);
    setStatus(false);
    // 4011: the server lost its channel layer for a moment; come back at a random moment
    // in the window (htmx reconnects by itself only after 1006 and 1011-1013).
    var code = detail.event && detail.event.code;
    if (code === 4011 && detail.socketWrapper) {
      setTimeout(detail.socketWrapper.reconnect, 500 + Math.random() * (reconnectWindow - 0.5) * 1000);
    } else if (ENDED.hasOwnProperty(code)) {
      root.dataset.live = "ended";
      document.querySelectorAll("[data-live-status]").forEach(function (el) {
        el.textContent = ENDED[code];
      });
    }
  });
  document.addEventListener("htmx:wsError", function () { setStatus(false); });

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) return meta.content;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  function newKey() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // Capture phase on window runs before htmx's handler on the form: when the socket is down,
  // stop the event there and let the browser post the form normally.
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("ws-send")) return;
    // A fresh idempotency key per vote tap; htmx's queue resends the same message (same key)
    // after a reconnect, and the server acknowledges a resend without counting it twice.
    form.querySelectorAll("input[data-fresh-key]").forEach(function (input) { input.value = newKey(); });
    // A text keeps its key until the server takes it (and clears the key) or it is edited:
    // tapping Send again on an unanswered text is the same text, not a second one.
    form.querySelectorAll("input[data-draft-key]").forEach(function (input) {
      var box = form.querySelector("textarea[name=text]"), text = box ? box.value : "";
      if (!input.value || input.dataset.text !== text) { input.value = newKey(); input.dataset.text = text; }
    });
    var token = form.querySelector('input[name="csrfmiddlewaretoken"]');
    if (token && !token.value) token.value = csrfToken();
    if (!live) event.stopPropagation();
  }, true);

  // Character counters for questions and views.
  document.addEventListener("input", function (event) {
    var box = event.target, id = box.dataset && box.dataset.counter;
    if (!id) return;
    var out = document.getElementById(id), left = box.maxLength - box.value.length;
    if (out) out.textContent = left + " character" + (left === 1 ? "" : "s") + " left";
  });

  // Phone forms after an answer. A message answers the last thing sent: it goes when the
  // phone sends the next one, and a success message goes when the session moves on (a card
  // with a new version). A text the server took comes back as an emptied box (#q-text,
  // #p-text): the rest of that form goes back to its defaults too, so the next question is
  // not addressed to the same panellist, nor the next view filed under the same kind.
  function phoneFlashClear(all) {
    var flash = document.getElementById("phone-flash");
    if (!flash) return;
    if (all || flash.classList.contains("flash--ok")) flash.textContent = "";
    else flash.querySelectorAll(".flash__success").forEach(function (p) { p.remove(); });
  }
  function formDefaults(form) {
    if (!form) return;
    form.querySelectorAll("select option").forEach(function (o) { o.selected = o.defaultSelected; });
    form.querySelectorAll("select").forEach(function (s) {
      if (!s.querySelector("option[selected]")) s.selectedIndex = 0;
    });
    form.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (i) {
      i.checked = i.defaultChecked;
    });
  }
  var cardVersion = null;
  document.addEventListener("submit", function (event) {
    if (document.body.classList.contains("phone") && event.target.hasAttribute("ws-send")) {
      phoneFlashClear(true);
    }
  }, true);
  document.addEventListener("htmx:wsAfterMessage", function (event) {
    var message = (event.detail || {}).message || "";
    if (message.indexOf('id="q-text"') >= 0) formDefaults(document.getElementById("ask-form"));
    if (message.indexOf('id="p-text"') >= 0) formDefaults(document.getElementById("post-form"));
    // The card comes with every state push, on every page (only the home page shows it).
    var card = /id="phone-live"[^>]*data-version="(\d+)"/.exec(message);
    if (!card) return;
    if (cardVersion !== null && card[1] !== cardVersion) phoneFlashClear(false);
    cardVersion = card[1];
  });

  // Console countdown: the server renders the text; this keeps it moving between pushes.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  setInterval(function () {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      if (isNaN(deadline)) return;
      var s = Math.round((deadline - Date.now()) / 1000), a = Math.abs(s);
      el.textContent = (s >= 0 ? "" : "Over by ") + Math.floor(a / 60) + ":" + pad(a % 60) + (s >= 0 ? " left" : "");
      el.classList.toggle("countdown--over", s < 0);
      el.classList.toggle("countdown--soon", s >= 0 && s < 60);
    });
  }, 1000);

  // Projector: shrink the main column's type (--fit, from 1 down to 0.7, still readable from
  // the back of a hall) until it fits the screen's height; if it still does not fit, leave
  // out the last items of the longest lists (marked data-fit-drop) and say there is more on
  // the phones. After every update and resize, in one task, so nothing paints in between.
  function fitScreen() {
    var main = document.getElementById("screen-main");
    if (!main || !document.body.classList.contains("screen")) return;
    var over = function () { return main.scrollHeight > main.clientHeight; };
    var fit = 1;
    main.style.setProperty("--fit", "1");
    while (over() && fit > 0.7) {
      fit -= 0.05;
      main.style.setProperty("--fit", fit.toFixed(2));
    }
    main.dataset.fit = fit.toFixed(2);
    var more = main.querySelector(".fit-more"), dropped = 0;
    if (!more || !over()) return;
    more.hidden = false;
    while (over()) {
      var longest = null, most = 1;  // never empty a list
      main.querySelectorAll("[data-fit-drop]").forEach(function (list) {
        var shown = list.querySelectorAll(":scope > li:not([hidden])").length;
        if (shown > most) { most = shown; longest = list; }
      });
      if (!longest) break;
      var items = longest.querySelectorAll(":scope > li:not([hidden])");
      items[items.length - 1].hidden = true;
      dropped += 1;
    }
    main.dataset.fitDropped = dropped;
  }
  document.addEventListener("DOMContentLoaded", fitScreen);
  document.addEventListener("htmx:wsAfterMessage", fitScreen);
  document.addEventListener("htmx:wsAfterMessage", function (event) { settle(event.detail || {}); });
  window.addEventListener("resize", fitScreen);

  // A phone that has not joined the workshop yet (no attendee cookie; the page says so with
  // data-join) joins with a POST, which sets the cookie, and only then opens its socket. A
  // GET never joins, so link previews and crawlers leave no attendee behind. When too many
  // phones join from one network at once the server answers 429 with Retry-After: say so,
  // and try again then (spread a little, so a hall does not come back all at once).
  function join(rootEl) {
    fetch(rootEl.dataset.join, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (response.ok) {
        rootEl.removeAttribute("data-join");
        rootEl.setAttribute("ws-connect", rootEl.dataset.wsConnect);
        rootEl.setAttribute("hx-ext", "ws");
        if (window.htmx) window.htmx.process(rootEl);
        return;
      }
      var wait = parseInt(response.headers.get("Retry-After"), 10) || 5;
      if (response.status === 429) {
        var flash = document.getElementById("phone-flash");
        if (flash) {
          flash.textContent = "";
          var p = document.createElement("p");
          p.className = "flash__error";
          p.textContent = "Many phones are joining from this network at once. Reading works; " +
            "this page joins by itself in a few seconds.";
          flash.appendChild(p);
        }
      }
      retryJoin(rootEl, wait);
    }, function () { retryJoin(rootEl, 5); });
  }
  function retryJoin(rootEl, wait) {
    setTimeout(function () { join(rootEl); }, (wait + Math.random() * Math.max(2, wait / 2)) * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var rootEl = document.querySelector("[data-live-root][data-join]");
    if (rootEl) join(rootEl);
  });

  setStatus(false);
})();

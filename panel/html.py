"""Small pieces of HTML built in Python because each phone needs its own copy.

The shared question list is rendered once for every phone; what differs per attendee (an
upvote already given, "your question") is patched in per socket with these builders, which
cost microseconds rather than a template render each. Templates use them through tags, so
the markup has one source.
"""

from django.urls import reverse
from django.utils.html import format_html

from panel.models import TEXT_LIMIT


def upvote_form(*, code: str, question_id: int, votes: int, pressed: bool) -> str:
    action, label = (
        ("question_unvote", "Take back your upvote")
        if pressed
        else (
            "question_upvote",
            "Upvote",
        )
    )
    return format_html(
        '<form id="q-{qid}-vote" class="upvote" method="post" action="{url}" ws-send>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="">'
        '<input type="hidden" name="action" value="{action}">'
        '<input type="hidden" name="question" value="{qid}">'
        '<button type="submit" aria-pressed="{pressed}" aria-label="{label}: {votes} vote{s}">'
        "▲ <span>{votes}</span></button></form>",
        qid=question_id,
        url=reverse("panel:phone-upvote", kwargs={"code": code}),
        action=action,
        pressed="true" if pressed else "false",
        label=label,
        votes=votes,
        s="" if votes == 1 else "s",
    )


def mine_mark(*, question_id: int) -> str:
    return format_html(
        '<span id="q-{}-mine" class="chip chip--mine">Your question</span>', question_id
    )


def my_pending(*, items: list[str]) -> str:
    """The attendee's own questions still waiting for approval (items pre-rendered, shared)."""
    if not items:
        return '<section id="my-pending" class="mine-pending" aria-live="polite"></section>'
    return (
        '<section id="my-pending" class="mine-pending" aria-live="polite">'
        '<h2 class="section-title">Waiting for approval</h2><ul class="questions">'
        + "".join(items)
        + "</ul></section>"
    )


def text_box(prefix: str, text: str = "") -> str:
    """A question's or a view's box, its character counter and its idempotency key (empty:
    live.js makes one when the text is sent). The page renders it (`text` kept after a
    refused post); after a text was accepted over the socket the server sends it again,
    empty, in place of the old: the box cleared, the counter back at the full limit, no key,
    so the next text gets a new one. `prefix` is the form's: "q" for questions, "p" for views."""
    return format_html(
        '<textarea id="{p}-text" name="text" rows="3" maxlength="{limit}" required '
        'data-counter="{p}-count" aria-describedby="{p}-count">{text}</textarea>'
        '<p class="help" id="{p}-count">Up to {limit} characters.</p>'
        '<input type="hidden" id="{p}-key" name="key" value="" data-draft-key>',
        p=prefix,
        limit=TEXT_LIMIT,
        text=text,
    )

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


def cleared_textarea(textarea_id: str, counter_id: str) -> str:
    """After a text was accepted over the socket: an empty box, the rest of the form kept."""
    return format_html(
        '<textarea id="{}" name="text" rows="3" maxlength="{}" required data-counter="{}" '
        'aria-describedby="{}"></textarea>',
        textarea_id,
        TEXT_LIMIT,
        counter_id,
        counter_id,
    )

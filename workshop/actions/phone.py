"""An attendee's actions, shared by the phone's socket (workshop/live/consumers/) and its
form views (voting/views.py, panel/views.py, for a phone without JavaScript or a socket).

Each action is checked against the limits (workshop/limits.py), validated by its form, carried
out by a service and answered with one message written here, so both paths say the same
thing. A refusal is a ValidationError with a message a person can read.

A vote over the socket goes through the ballot batcher (workshop/live/batcher.py), which
writes many phones' ballots in one transaction: it calls `phone_action_check` here and then
the batcher, instead of `phone_action`.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from panel.forms import BoardPostForm, QuestionForm, UpvoteForm
from panel.models import Question
from panel.services import board_post_submit, question_submit, question_unvote, question_upvote
from voting.forms import VoteForm
from voting.services import ballot_cast
from workshop import limits
from workshop.models import Workshop

VOTE = "vote"
QUESTION_ASK = "question_ask"
QUESTION_UPVOTE = "question_upvote"
QUESTION_UNVOTE = "question_unvote"
BOARD_POST = "board_post"
PHONE_ACTIONS = frozenset({VOTE, QUESTION_ASK, QUESTION_UPVOTE, QUESTION_UNVOTE, BOARD_POST})

FORMS = {
    VOTE: VoteForm,
    QUESTION_ASK: QuestionForm,
    QUESTION_UPVOTE: UpvoteForm,
    QUESTION_UNVOTE: UpvoteForm,
    BOARD_POST: BoardPostForm,
}
NOT_UNDERSTOOD = {
    VOTE: "Choose one of the themes on the ballot.",
    QUESTION_ASK: "That question was not understood.",
    QUESTION_UPVOTE: "Choose a question from the list.",
    QUESTION_UNVOTE: "Choose a question from the list.",
    BOARD_POST: "That view was not understood.",
}
JOIN_FIRST = "Reload the page to join this workshop first."
VOTE_IN = "Your vote is in. You can change it until voting closes."
QUESTION_SENT = "Question sent."
QUESTION_PENDING = "Question sent. It will appear once the facilitator approves it."
UPVOTED = "Upvoted."
UNVOTED = "Upvote taken back."
POSTED = "Thank you: your view is on the board."
POSTED_HELD = "Thank you. Your view will appear on the board once the facilitator approves it."


@dataclass(frozen=True)
class PhoneOutcome:
    """What an action did: the message for the attendee, and what the socket needs to
    update the phone's page in place (the question sent, or an upvote's new count)."""

    action: str
    message: str
    question: Question | None = None
    question_id: int | None = None
    votes: int | None = None
    held: bool = False  # a view waiting for the facilitator's approval


def phone_action_check(
    *, action: str, data, workshop_id: int, attendee_id: int | None, address: str | None
) -> dict:
    """The action's cleaned data, once the limits allow it and its form accepts it. Counts
    the action against the limits."""
    if action not in PHONE_ACTIONS:
        raise ValidationError("That action is not allowed here.")
    if attendee_id is None:
        raise ValidationError(JOIN_FIRST)
    refusal = limits.action_refusal(
        action=action, workshop_id=workshop_id, attendee_id=attendee_id, address=address
    )
    if refusal:
        raise ValidationError(refusal)
    cleaned = FORMS[action].cleaned(data)
    if cleaned is None:
        raise ValidationError(NOT_UNDERSTOOD[action])
    return cleaned


def phone_action(
    *, action: str, data, workshop: Workshop, attendee_id: int | None, address: str | None
) -> PhoneOutcome:
    """Check and carry out one action of an attendee; raises ValidationError to refuse."""
    d = phone_action_check(
        action=action, data=data, workshop_id=workshop.pk, attendee_id=attendee_id,
        address=address,
    )  # fmt: skip
    if action == VOTE:
        ballot_cast(poll_id=d["poll"], attendee_id=attendee_id, theme_id=d["theme"], key=d["key"])
        return PhoneOutcome(action=action, message=VOTE_IN)
    if action == QUESTION_ASK:
        question = question_submit(
            workshop=workshop, attendee_id=attendee_id, text=d["text"], theme_id=d["theme"],
            panellist_id=d["panellist"], author_name=d["author_name"], key=d["key"],
        )  # fmt: skip
        pending = question.status == Question.Status.PENDING
        message = QUESTION_PENDING if pending else QUESTION_SENT
        return PhoneOutcome(action=action, message=message, question=question)
    if action == BOARD_POST:
        post = board_post_submit(
            workshop=workshop, attendee_id=attendee_id, kind=d["kind"], text=d["text"],
            theme_id=d["theme"], key=d["key"],
        )  # fmt: skip
        message = POSTED_HELD if post.held else POSTED
        return PhoneOutcome(action=action, message=message, held=post.held)
    service = question_upvote if action == QUESTION_UPVOTE else question_unvote
    votes = service(workshop=workshop, question_id=d["question"], attendee_id=attendee_id)
    return PhoneOutcome(
        action=action,
        message=UPVOTED if action == QUESTION_UPVOTE else UNVOTED,
        question_id=d["question"],
        votes=votes,
    )

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from panel.forms import BoardPostForm, QuestionForm, UpvoteForm
from panel.models import TEXT_LIMIT, Person, Question
from panel.selectors import (
    attendee_marks,
    board_posts,
    people_by_role,
    person_get,
    questions_pending_of,
    questions_visible,
)
from panel.services import board_post_submit, question_submit, question_unvote, question_upvote
from workshop.http import action_refusal, with_workshop
from workshop.snapshot import live_snapshot


@require_GET
@with_workshop
def phone_people(request, *, workshop):
    return render(
        request,
        "panel/phone/people.html",
        {"workshop": workshop, "groups": people_by_role(workshop=workshop), "tab": "people"},
    )


@require_GET
@with_workshop
def phone_person(request, *, workshop, pk: int):
    person = person_get(workshop=workshop, pk=pk)
    if person is None:
        raise Http404("No such person in this workshop.")
    return render(
        request,
        "panel/phone/person.html",
        {"workshop": workshop, "person": person, "tab": "people"},
    )


# --- Questions and the board (phone pages, and the form POSTs that back the socket) -----


def _panel_page_context(workshop, attendee_id) -> dict:
    mine, upvoted = attendee_marks(attendee_id=attendee_id)
    return {
        "workshop": workshop,
        "code": workshop.join_code,
        "limit": TEXT_LIMIT,
        "themes": list(workshop.themes.all()),
        "mine": mine,
        "upvoted": upvoted,
    }


@require_GET
@with_workshop
def phone_questions(request, *, workshop):
    sort = "new" if request.GET.get("sort") == "new" else "top"
    context = _panel_page_context(workshop, request.attendee_id)
    context.update(
        tab="questions",
        sort=sort,
        moderated=workshop.moderate_questions,
        panellists=list(workshop.people.filter(role=Person.Role.PANELLIST)),
        questions=questions_visible(workshop_id=workshop.pk, sort=sort),
        pending=questions_pending_of(attendee_id=request.attendee_id),
    )
    return render(request, "panel/phone/questions.html", context)


@require_GET
@with_workshop
def phone_board(request, *, workshop):
    snap = live_snapshot(workshop=workshop)
    theme_id = snap.chosen_theme.pk if snap.chosen_theme else None
    context = _panel_page_context(workshop, request.attendee_id)
    context.update(
        tab="board",
        board=board_posts(workshop_id=workshop.pk, theme_id=theme_id),
        board_theme=snap.chosen_theme,
    )
    return render(request, "panel/phone/board.html", context)


def _answer(request, workshop, page: str, action: str, do) -> HttpResponse:
    """Run a service for a form POST (within the socket's limits for `action`) and come back
    to the page with its message."""
    try:
        if refusal := action_refusal(request, workshop, action):
            raise ValidationError(refusal)
        messages.success(request, do())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(page, code=workshop.join_code)


@require_POST
@with_workshop
def phone_ask(request, *, workshop):
    d = QuestionForm.cleaned(request.POST)

    def do():
        if d is None:
            raise ValidationError("That question was not understood.")
        question = question_submit(
            workshop=workshop, attendee_id=request.attendee_id, text=d["text"],
            theme_id=d["theme"], panellist_id=d["panellist"], author_name=d["author_name"],
            key=d["key"],
        )  # fmt: skip
        if question.status == Question.Status.PENDING:
            return "Question sent. It will appear once the facilitator approves it."
        return "Question sent."

    return _answer(request, workshop, "panel:phone-questions", "question_ask", do)


@require_POST
@with_workshop
def phone_upvote(request, *, workshop):
    d = UpvoteForm.cleaned(request.POST)

    def do():
        if d is None:
            raise ValidationError("Choose a question from the list.")
        service = question_unvote if d["action"] == "question_unvote" else question_upvote
        service(workshop=workshop, question_id=d["question"], attendee_id=request.attendee_id)
        return "Upvote taken back." if service is question_unvote else "Upvoted."

    return _answer(request, workshop, "panel:phone-questions", "question_upvote", do)


@require_POST
@with_workshop
def phone_post(request, *, workshop):
    d = BoardPostForm.cleaned(request.POST)

    def do():
        if d is None:
            raise ValidationError("That view was not understood.")
        board_post_submit(
            workshop=workshop, attendee_id=request.attendee_id, kind=d["kind"],
            text=d["text"], theme_id=d["theme"], key=d["key"],
        )  # fmt: skip
        return "Thank you: your view is on the board."

    return _answer(request, workshop, "panel:phone-board", "board_post", do)

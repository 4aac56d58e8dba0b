from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from panel.models import TEXT_LIMIT, Person
from panel.selectors import (
    attendee_marks,
    board_posts,
    board_posts_held_of,
    people_by_role,
    person_get,
    questions_pending_of,
    questions_visible,
)
from workshop.actions.phone import (
    BOARD_POST,
    QUESTION_ASK,
    QUESTION_UNVOTE,
    QUESTION_UPVOTE,
)
from workshop.http import phone_action_answer, with_workshop
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
        held=board_posts_held_of(attendee_id=request.attendee_id),
    )
    return render(request, "panel/phone/board.html", context)


def _answer(request, workshop, *, action: str, page: str) -> HttpResponse:
    return phone_action_answer(
        request, workshop, action=action, to=reverse(page, kwargs={"code": workshop.join_code})
    )


@require_POST
@with_workshop
def phone_ask(request, *, workshop):
    return _answer(request, workshop, action=QUESTION_ASK, page="panel:phone-questions")


@require_POST
@with_workshop
def phone_upvote(request, *, workshop):
    # The form's button says which: upvote, or take an upvote back.
    action = QUESTION_UNVOTE if request.POST.get("action") == QUESTION_UNVOTE else QUESTION_UPVOTE
    return _answer(request, workshop, action=action, page="panel:phone-questions")


@require_POST
@with_workshop
def phone_post(request, *, workshop):
    return _answer(request, workshop, action=BOARD_POST, page="panel:phone-board")

"""Helpers shared by the phone views of every app."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from workshop.actions.phone import phone_action
from workshop.attendees import (
    MAX_AGE,
    attendee_cookie_value,
    attendee_id_from_cookies,
    cookie_name,
)
from workshop.forms import JoinForm
from workshop.selectors import workshop_by_code
from workshop.services import JoinThrottled, attendee_join


def unknown_code_response(request: HttpRequest, code: str) -> HttpResponse:
    """The join page again, with a message, for a code no workshop has (status 404)."""
    form = JoinForm(data={"code": code})
    form.is_valid()
    return render(request, "workshop/phone/join.html", {"form": form}, status=404)


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the server sees it: daphne's peer, or the proxy's
    X-Forwarded-For where daphne is told to trust one (scripts/serve.py)."""
    return request.META.get("REMOTE_ADDR")


def busy_response(request: HttpRequest, workshop, refused: JoinThrottled) -> HttpResponse:
    """A join refused by the per-address limit: say so, and when to try again (status 429;
    live.js reads Retry-After and tries again by itself)."""
    response = render(
        request,
        "workshop/phone/busy.html",
        {"workshop": workshop, "message": refused.message, "wait": refused.wait},
        status=429,
    )
    response["Retry-After"] = str(refused.wait)
    return response


def with_workshop(view):
    """Resolve the <code> in the URL to a workshop, passed to the view as `workshop`.

    An unknown code gets the join form with a message; a code typed in lower case is
    redirected to the canonical upper-case address. The attendee is read from the signed
    cookie (request.attendee_id, None for a phone that has not joined). A phone joins with
    its first POST (live.js's join request when a page loads, or the first form it sends
    without JavaScript): a GET never creates an attendee, so link previews and crawlers leave
    nothing behind (docs/data.md). Joins are limited per client address (JoinThrottled).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, code: str, **kwargs):
        workshop = workshop_by_code(code)
        if workshop is None:
            return unknown_code_response(request, code)
        if code != workshop.join_code:
            return redirect(request.resolver_match.view_name, code=workshop.join_code, **kwargs)
        request.attendee_id = attendee_id_from_cookies(request.COOKIES, workshop_id=workshop.pk)
        joined = None
        if request.attendee_id is None and request.method == "POST":
            try:
                joined = attendee_join(workshop=workshop, address=client_address(request))
            except JoinThrottled as refused:
                return busy_response(request, workshop, refused)
            request.attendee_id = joined.pk
        response = view(request, workshop=workshop, **kwargs)
        if joined is not None:
            response.set_cookie(
                cookie_name(workshop.pk),
                attendee_cookie_value(workshop_id=workshop.pk, attendee_id=joined.pk),
                max_age=MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response

    return wrapper


def login_lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer to a login from a username and address pair that failed too often
    (settings AXES_*): a page that says so and for how long, status 429 with Retry-After."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    response = render(
        request,
        "lockout.html",
        {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def phone_action_answer(request: HttpRequest, workshop, *, action: str, to: str) -> HttpResponse:
    """Carry out a phone action posted as a form (workshop/actions/phone.py, as the socket
    does) and go back to `to` with its message: the form views of voting and panel."""
    try:
        outcome = phone_action(
            action=action, data=request.POST, workshop=workshop,
            attendee_id=request.attendee_id, address=client_address(request),
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, outcome.message)
    return redirect(to)

"""Helpers shared by the phone views of every app."""

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from workshop.attendees import (
    MAX_AGE,
    attendee_cookie_value,
    attendee_id_from_cookies,
    cookie_name,
)
from workshop.forms import JoinForm
from workshop.selectors import workshop_by_code
from workshop.services import attendee_join


def unknown_code_response(request: HttpRequest, code: str) -> HttpResponse:
    """The join page again, with a message, for a code no workshop has (status 404)."""
    form = JoinForm(data={"code": code})
    form.is_valid()
    return render(request, "workshop/phone/join.html", {"form": form}, status=404)


def with_workshop(view):
    """Resolve the <code> in the URL to a workshop, passed to the view as `workshop`.

    An unknown code gets the join form with a message; a code typed in lower case is
    redirected to the canonical upper-case address. A phone seen for the first time joins as
    an anonymous attendee, remembered by a signed cookie (request.attendee_id).
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
        if request.attendee_id is None and request.method == "GET":
            joined = attendee_join(workshop=workshop)
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

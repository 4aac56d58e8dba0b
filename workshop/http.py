"""Helpers shared by the phone views of every app."""

from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from workshop.forms import JoinForm
from workshop.selectors import workshop_by_code


def unknown_code_response(request: HttpRequest, code: str) -> HttpResponse:
    """The join page again, with a message, for a code no workshop has (status 404)."""
    form = JoinForm(data={"code": code})
    form.is_valid()
    return render(request, "workshop/phone/join.html", {"form": form}, status=404)


def with_workshop(view):
    """Resolve the <code> in the URL to a workshop, passed to the view as `workshop`.

    An unknown code gets the join form with a message; a code typed in lower case is
    redirected to the canonical upper-case address.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, code: str, **kwargs):
        workshop = workshop_by_code(code)
        if workshop is None:
            return unknown_code_response(request, code)
        if code != workshop.join_code:
            return redirect(request.resolver_match.view_name, code=workshop.join_code, **kwargs)
        return view(request, workshop=workshop, **kwargs)

    return wrapper

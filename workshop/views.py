from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from workshop.forms import JoinForm
from workshop.http import with_workshop
from workshop.selectors import agenda_schedule


@require_GET
def join(request):
    """`/`: ask for the join code. The form submits by GET, so it needs no CSRF token."""
    form = JoinForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        return redirect("workshop:phone-home", code=form.cleaned_data["code"])
    status = 200
    if form.is_bound:  # and invalid: an unknown code is "not found", a malformed one "bad"
        status = 404 if form.has_error("code", "unknown_code") else 400
    return render(request, "workshop/phone/join.html", {"form": form}, status=status)


@require_GET
@with_workshop
def phone_home(request, *, workshop):
    return render(request, "workshop/phone/home.html", {"workshop": workshop, "tab": "home"})


@require_GET
@with_workshop
def phone_agenda(request, *, workshop):
    return render(
        request,
        "workshop/phone/agenda.html",
        {"workshop": workshop, "schedule": agenda_schedule(workshop=workshop), "tab": "agenda"},
    )

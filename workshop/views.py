from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from voting.models import Poll
from workshop import exports
from workshop.actions.console import console_action
from workshop.forms import JoinForm
from workshop.http import with_workshop
from workshop.lan import url_is_loopback
from workshop.models import LiveState
from workshop.pages import phone_home_response
from workshop.render import (
    console_panel_context,
    console_projector_context,
    qr_svg,
    screen_context,
)
from workshop.report import report_context
from workshop.selectors import agenda_schedule, workshop_by_code
from workshop.services import live_state_ensure
from workshop.snapshot import live_snapshot


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
    """The page a phone opens first (the QR code's link): kept rendered by live version."""
    return phone_home_response(request, workshop=workshop)


@require_POST
@with_workshop
def phone_join(request, *, workshop):
    """A phone's page joins the workshop: live.js posts here when a page loads without the
    attendee cookie, then opens the socket. with_workshop creates the attendee and sets the
    cookie (or answers 429 with Retry-After when too many phones join from one address)."""
    return HttpResponse(status=204)


@require_GET
@with_workshop
def phone_agenda(request, *, workshop):
    return render(
        request,
        "workshop/phone/agenda.html",
        {"workshop": workshop, "schedule": agenda_schedule(workshop=workshop), "tab": "agenda"},
    )


def _join_url(request, workshop) -> str:
    """The short link phones use; WORKSHOP_PUBLIC_URL wins over the address of this request."""
    path = reverse("workshop:phone-home", kwargs={"code": workshop.join_code})
    base = settings.WORKSHOP_PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    return base + path


def facilitator_only(view):
    return login_required(permission_required("workshop.run_workshop", raise_exception=True)(view))


@require_GET
@facilitator_only
def console(request, code: str):
    workshop = workshop_by_code(code)
    if workshop is None:
        raise Http404("No workshop has that code.")
    if code != workshop.join_code:
        return redirect("workshop:console", code=workshop.join_code)
    live_state_ensure(workshop=workshop)
    snap = live_snapshot(workshop=workshop)
    return render(
        request,
        "workshop/console/console.html",
        {
            "snap": snap,
            "phones": None,  # counted by the live layer: the console socket sends it on join
            "panel": console_panel_context(snap),
            "screen_choices": LiveState.Screen.choices,
            "tie_rules": Poll.TieRule.choices,
            "join_url": _join_url(request, workshop),
            **console_projector_context(
                join_code=workshop.join_code, secret=snap.state.screen_secret
            ),
            # A path: htmx's ws extension makes it ws:// or wss:// from the page's address.
            "ws_url": f"/ws/s/{workshop.join_code}/console/",
        },
    )


def report_reader(user) -> bool:
    """The facilitator (who may run workshops) or an organiser: staff who may view workshops
    in the admin. A superuser holds both."""
    return user.has_perm("workshop.run_workshop") or (
        user.is_staff and user.has_perm("workshop.view_workshop")
    )


@require_GET
@login_required
def report(request, code: str):
    """The post-session report: on screen, and printable to A4 from the browser."""
    if not report_reader(request.user):
        raise PermissionDenied
    workshop = workshop_by_code(code)
    if workshop is None:
        raise Http404("No workshop has that code.")
    if code != workshop.join_code:
        return redirect("workshop:report", code=workshop.join_code)
    context = report_context(workshop=workshop)
    context["can_run"] = request.user.has_perm("workshop.run_workshop")
    return render(request, "workshop/report/report.html", context)


@require_POST
@facilitator_only
def console_action_view(request, code: str):
    """The console's fallback when its socket is down: the same actions, as a form POST."""
    workshop = workshop_by_code(code)
    if workshop is None:
        raise Http404("No workshop has that code.")
    try:
        message = console_action(
            workshop=workshop, data=request.POST, actor=request.user.get_username()
        )
        messages.success(request, message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("workshop:console", code=workshop.join_code)


@require_GET
@facilitator_only
def export(request, code: str, name: str, fmt: str):
    """A download of the workshop's votes, questions, views or agenda timeline
    (workshop/exports.py)."""
    workshop = workshop_by_code(code)
    if workshop is None or name not in exports.NAMES or fmt not in ("json", "csv"):
        raise Http404("No such export.")
    if fmt == "json":
        body, kind = exports.export_json(workshop, name), "application/json"
    else:
        body, kind = exports.export_csv(workshop, name), "text/csv"
    response = HttpResponse(body, content_type=f"{kind}; charset=utf-8")
    filename = f"{workshop.join_code}-{name}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def screen(request, code: str, secret: str):
    """The projector: no login, admitted by the secret in the address the console shows."""
    workshop = workshop_by_code(code)
    state = LiveState.objects.filter(workshop=workshop, screen_secret=secret).first()
    if workshop is None or state is None:
        raise Http404("This projector link is not valid. Open it again from the console.")
    snap = live_snapshot(workshop=workshop)
    join_url = _join_url(request, workshop)
    return render(
        request,
        "workshop/screen/screen.html",
        {
            **screen_context(snap),
            "qr_svg": qr_svg(join_url),
            # Shown without scheme or trailing slash (APPEND_SLASH redirects): easier to type.
            "join_host": join_url.split("://", 1)[-1].rstrip("/"),
            # A loopback join address reaches no phone: the projector says so in large type.
            "join_loopback": url_is_loopback(join_url),
            "phones": None,  # counted by the live layer: the socket sends it on join
            "ws_url": f"/ws/s/{workshop.join_code}/screen/{secret}/",
        },
    )


def csrf_failure(request, reason=""):
    """A forged or stale form: say so plainly (nothing was changed)."""
    return render(request, "403_csrf.html", status=403)

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from evidence.selectors import report_get, report_list, theme_get, theme_list
from workshop.http import with_workshop


@require_GET
@with_workshop
def phone_themes(request, *, workshop):
    return render(
        request,
        "evidence/phone/themes.html",
        {"workshop": workshop, "themes": theme_list(workshop=workshop), "tab": "themes"},
    )


@require_GET
@with_workshop
def phone_theme(request, *, workshop, pk: int):
    theme = theme_get(workshop=workshop, pk=pk)
    if theme is None:
        raise Http404("No such theme in this workshop.")
    return render(
        request,
        "evidence/phone/theme.html",
        {"workshop": workshop, "theme": theme, "tab": "themes"},
    )


@require_GET
@with_workshop
def phone_reports(request, *, workshop):
    return render(
        request,
        "evidence/phone/reports.html",
        {"workshop": workshop, "reports": report_list(workshop=workshop), "tab": "reports"},
    )


@require_GET
@with_workshop
def phone_report(request, *, workshop, pk: int):
    report = report_get(workshop=workshop, pk=pk)
    if report is None:
        raise Http404("No such report in this workshop.")
    return render(
        request,
        "evidence/phone/report.html",
        {"workshop": workshop, "report": report, "tab": "reports"},
    )

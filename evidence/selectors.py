"""Reads for themes, findings and reports."""

from django.db.models import Prefetch, QuerySet

from evidence.models import Finding, Report, Theme
from workshop.models import Workshop


def theme_list(*, workshop: Workshop) -> QuerySet[Theme]:
    """Themes in ballot order, each with its findings and the report each cites."""
    return workshop.themes.prefetch_related(
        Prefetch("findings", queryset=Finding.objects.select_related("report"))
    )


def theme_get(*, workshop: Workshop, pk: int) -> Theme | None:
    return theme_list(workshop=workshop).filter(pk=pk).first()


def report_list(*, workshop: Workshop) -> QuerySet[Report]:
    return workshop.reports.all()


def report_get(*, workshop: Workshop, pk: int) -> Report | None:
    """A report with the findings that cite it, grouped by theme order."""
    findings = Finding.objects.select_related("theme").order_by(
        "theme__position", "theme_id", "position", "id"
    )
    return (
        workshop.reports.prefetch_related(Prefetch("findings", queryset=findings))
        .filter(pk=pk)
        .first()
    )

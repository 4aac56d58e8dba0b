from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse


class Report(models.Model):
    workshop = models.ForeignKey(
        "workshop.Workshop",
        on_delete=models.CASCADE,
        related_name="reports",
        help_text="The workshop whose attendees read this report.",
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the Reports page.")
    title = models.CharField(max_length=300, help_text="The full title of the report.")
    short_title = models.CharField(
        max_length=80, blank=True, help_text="A short name used where findings cite it."
    )
    authors = models.CharField(max_length=400, blank=True, help_text="Comma separated.")
    publisher = models.CharField(
        max_length=200, blank=True, help_text="The centre, unit or journal that published it."
    )
    year = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Year published.")
    published = models.CharField(
        max_length=60, blank=True, help_text="Publication date as text, e.g. 11 December 2020."
    )
    url = models.URLField(max_length=500, blank=True, help_text="Link to the full report.")
    doi = models.CharField(
        max_length=100, blank=True, help_text="Digital Object Identifier, e.g. 10.3310/abc123."
    )
    summary = models.TextField(
        blank=True, help_text="A summary attendees can read on a phone in a few minutes. Markdown."
    )
    key_points = models.TextField(
        blank=True, help_text="Key points, one per line; shown as a bulleted list."
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.short_title or self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "evidence:phone-report", kwargs={"code": self.workshop.join_code, "pk": self.pk}
        )

    @property
    def key_point_list(self) -> list[str]:
        return [line.strip(" -*\t") for line in self.key_points.splitlines() if line.strip()]

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Theme(models.Model):
    workshop = models.ForeignKey(
        "workshop.Workshop",
        on_delete=models.CASCADE,
        related_name="themes",
        help_text="The workshop whose vote offers this theme.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order of the themes, on the phone and on the ballot."
    )
    title = models.CharField(max_length=120, help_text="Short: it is a ballot option.")
    description = models.TextField(blank=True, help_text="One or two sentences, plain text.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "evidence:phone-theme", kwargs={"code": self.workshop.join_code, "pk": self.pk}
        )


class Finding(models.Model):
    theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, related_name="findings", help_text="The theme."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order within the theme.")
    text = models.TextField(help_text="The finding in a sentence or two. Markdown.")
    # RESTRICT: a report that findings cite cannot be deleted on its own, but goes with its
    # workshop, whose themes take their findings with them.
    report = models.ForeignKey(
        Report,
        on_delete=models.RESTRICT,
        related_name="findings",
        help_text="The report this finding comes from (one of this workshop's reports).",
    )
    location = models.CharField(
        max_length=100,
        blank=True,
        help_text="Page or section in the report, where known, e.g. 'p. 34' or 'section 5.2'.",
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:60]

    def clean(self):
        if self.report_id and self.theme_id and self.report.workshop_id != self.theme.workshop_id:
            raise ValidationError({"report": "Choose a report linked to this theme's workshop."})

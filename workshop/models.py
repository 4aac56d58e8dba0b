import datetime

from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse

from workshop.codes import JOIN_CODE_MAX, join_code_validate


class Workshop(models.Model):
    title = models.CharField(
        max_length=200, help_text="The session title as it appears in the programme."
    )
    subtitle = models.CharField(
        max_length=200, blank=True, help_text="One short line under the title (optional)."
    )
    date = models.DateField(help_text="The day the workshop runs.")
    start_time = models.TimeField(
        help_text="When the first agenda item starts; agenda times are counted from here."
    )
    venue = models.CharField(
        max_length=200, blank=True, help_text="Room and building, as attendees will look for it."
    )
    description = models.TextField(
        blank=True,
        help_text="What the workshop is about, shown on the phone's first page. Markdown.",
    )
    pre_reading = models.TextField(
        blank=True,
        help_text="A note asking attendees to read something beforehand. Markdown.",
    )
    join_code = models.CharField(
        max_length=JOIN_CODE_MAX,
        unique=True,
        validators=[join_code_validate],
        help_text=(
            "4–6 characters attendees type to join, e.g. PCN25. Letters A–Z and digits 2–9, "
            "without O, I or L. Upper case is stored; attendees may type either case."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "title"]
        permissions = [("run_workshop", "Can run a workshop live from the console")]
        constraints = [
            models.UniqueConstraint(Upper("join_code"), name="workshop_join_code_upper_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.join_code})"

    def save(self, *args, **kwargs):
        self.join_code = (self.join_code or "").upper()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("workshop:phone-home", kwargs={"code": self.join_code})

    @property
    def starts_at(self) -> datetime.datetime:
        return datetime.datetime.combine(self.date, self.start_time)


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        WELCOME = "welcome", "Welcome"
        PRESENTATION = "presentation", "Presentation"
        VOTE = "vote", "Audience vote"
        PANEL = "panel", "Panel discussion"
        QUESTIONS = "questions", "Questions"
        BREAK = "break", "Break"
        CLOSE = "close", "Close"
        OTHER = "other", "Other"

    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.CASCADE,
        related_name="agenda_items",
        help_text="The workshop this item belongs to.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the agenda: lower numbers come first."
    )
    title = models.CharField(max_length=200, help_text="What attendees see in the agenda.")
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.PRESENTATION,
        help_text="What happens in this item; the console uses it (e.g. the vote item).",
    )
    minutes = models.PositiveSmallIntegerField(
        default=10, help_text="Planned length in minutes; the next item starts after it."
    )
    description = models.TextField(
        blank=True, help_text="A sentence or two on what happens. Markdown."
    )
    leads = models.ManyToManyField(
        "panel.Person",
        blank=True,
        related_name="agenda_items",
        help_text="The people leading this item (chair, presenters or panellists).",
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title

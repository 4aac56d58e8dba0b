import datetime
import secrets

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
    moderate_questions = models.BooleanField(
        default=True,
        help_text=(
            "On: audience questions wait for approval in the console before anyone sees them. "
            "Off: they appear at once (the console can still hide one)."
        ),
    )
    moderate_views = models.BooleanField(
        default=False,
        help_text=(
            "On: views posted to the opportunities-and-challenges board wait for approval in "
            "the console before anyone else sees them. Off: they appear at once (the console "
            "can still hide one)."
        ),
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


def _screen_secret() -> str:
    return secrets.token_urlsafe(16)


class Attendee(models.Model):
    """An anonymous phone in a workshop, known only by a signed cookie. No name, no account."""

    workshop = models.ForeignKey(
        Workshop,
        on_delete=models.CASCADE,
        related_name="attendees",
        help_text="The workshop this phone joined.",
    )
    joined_at = models.DateTimeField(auto_now_add=True, help_text="When the phone first joined.")

    def __str__(self) -> str:
        return f"Attendee {self.pk}"


class LiveState(models.Model):
    """Where the session is now: one row per workshop, written only by workshop.services."""

    class Screen(models.TextChoices):
        AUTO = "auto", "Follow the session"
        JOIN = "join", "Join code and QR, full screen"
        STAGE = "stage", "Current agenda item"
        QUESTIONS = "questions", "Top questions"
        QUESTION = "question", "The question on screen"
        BOARD = "board", "Opportunities and challenges"

    workshop = models.OneToOneField(
        Workshop, on_delete=models.CASCADE, primary_key=True, related_name="live"
    )
    current_item = models.ForeignKey(
        AgendaItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The agenda item running now; empty before the start.",
    )
    item_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current item started (for its countdown)."
    )
    screen = models.CharField(
        max_length=20,
        choices=Screen.choices,
        default=Screen.AUTO,
        help_text="What the projector shows.",
    )
    screen_countdown = models.BooleanField(
        default=False,
        help_text="Show the current agenda item's countdown on the projector.",
    )
    screen_secret = models.CharField(
        max_length=40,
        default=_screen_secret,
        help_text="Part of the projector's address; the projector needs no login.",
    )
    screen_question = models.ForeignKey(
        "panel.Question",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The audience question on the projector.",
    )
    version = models.PositiveIntegerField(
        default=0, help_text="Bumped by every change, so clients can drop stale pushes."
    )
    panel_version = models.PositiveIntegerField(
        default=0, help_text="Bumped by every question, upvote or board change."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Live state of {self.workshop_id}"


class StageEvent(models.Model):
    """One stage change, appended by the stage services in the same transaction: the agenda
    item that became current (empty: back to 'not started') and when. Never updated; the
    report's timeline reads the actual times from these rows."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="stage_events")
    item = models.ForeignKey(
        AgendaItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stage_events",
        help_text="The agenda item that started; empty: back to before the start.",
    )
    started_at = models.DateTimeField(help_text="When this stage began.")
    actor = models.CharField(
        max_length=150, blank=True, help_text="The username of whoever changed the stage."
    )

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["workshop", "started_at"])]

    def __str__(self) -> str:
        return f"Stage {self.item_id or 'before the start'} at {self.started_at:%H:%M:%S}"

from django.db import models
from django.urls import reverse


class Person(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        PRESENTER = "presenter", "Presenter"
        PANELLIST = "panellist", "Panellist"

    workshop = models.ForeignKey(
        "workshop.Workshop",
        on_delete=models.CASCADE,
        related_name="people",
        help_text="The workshop this person takes part in.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order within their group on the People page."
    )
    name = models.CharField(max_length=120, help_text="As it should appear, with title.")
    role = models.CharField(
        max_length=20,
        choices=Role.choices,
        help_text="Whether they chair, present findings or sit on the panel.",
    )
    job_title = models.CharField(max_length=200, blank=True, help_text="E.g. Research Fellow.")
    organisation = models.CharField(max_length=200, blank=True, help_text="Where they work.")
    perspective = models.CharField(
        max_length=120,
        blank=True,
        help_text="For panellists: the perspective they bring (e.g. general practice).",
    )
    bio = models.TextField(blank=True, help_text="A short profile. Markdown.")
    photo = models.ImageField(
        upload_to="people/",
        blank=True,
        help_text="Optional square photo. Without one, their initials are shown.",
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse(
            "panel:phone-person", kwargs={"code": self.workshop.join_code, "pk": self.pk}
        )

    @property
    def initials(self) -> str:
        titles = {"dr", "prof", "professor", "mr", "mrs", "ms", "miss", "sir", "dame"}
        words = [w for w in self.name.replace(".", " ").split() if w.lower() not in titles]
        if not words:
            return "?"
        return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()

    @property
    def affiliation(self) -> str:
        return ", ".join(p for p in (self.job_title, self.organisation) if p)


TEXT_LIMIT = 280


class Question(models.Model):
    """An audience question for the panel. Status moves only through panel.services."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        LIVE = "live", "Live"
        ANSWERED = "answered", "Answered"
        HIDDEN = "hidden", "Hidden"

    workshop = models.ForeignKey(
        "workshop.Workshop", on_delete=models.CASCADE, related_name="questions"
    )
    attendee = models.ForeignKey(
        "workshop.Attendee",
        null=True,
        on_delete=models.SET_NULL,
        related_name="questions",
        help_text="Who asked it; empty once the attendee is purged (the row itself stays).",
    )
    text = models.CharField(max_length=TEXT_LIMIT)
    author_name = models.CharField(max_length=60, blank=True, help_text="Empty: anonymous.")
    theme = models.ForeignKey(
        "evidence.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    panellist = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    key = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The phone's idempotency key: a resend of the same question is not a new one.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workshop", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["attendee", "key"],
                condition=~models.Q(key=""),
                name="one_question_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Upvote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="upvotes")
    attendee = models.ForeignKey(
        "workshop.Attendee",
        null=True,
        on_delete=models.SET_NULL,
        related_name="upvotes",
        help_text="Who upvoted; empty once the attendee is purged (the row itself stays).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "attendee"], name="one_upvote_per_attendee")
        ]

    def __str__(self) -> str:
        return f"Upvote {self.pk}"


class BoardPost(models.Model):
    """A participant's view of an opportunity or a challenge, shown on the board (once
    approved, when the workshop moderates views). Held and hidden change only through
    panel.services."""

    class Kind(models.TextChoices):
        OPPORTUNITY = "opportunity", "Opportunity"
        CHALLENGE = "challenge", "Challenge"

    workshop = models.ForeignKey(
        "workshop.Workshop", on_delete=models.CASCADE, related_name="board_posts"
    )
    attendee = models.ForeignKey(
        "workshop.Attendee",
        null=True,
        on_delete=models.SET_NULL,
        related_name="board_posts",
        help_text="Who posted it; empty once the attendee is purged (the row itself stays).",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.CharField(max_length=TEXT_LIMIT)
    theme = models.ForeignKey(
        "evidence.Theme", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden = models.BooleanField(default=False)
    held = models.BooleanField(
        default=False,
        help_text=(
            "Waiting for the facilitator's approval (the workshop moderates views): only its "
            "poster and the console see it."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    key = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The phone's idempotency key: a resend of the same view is not a new one.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["attendee", "key"],
                condition=~models.Q(key=""),
                name="one_board_post_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"

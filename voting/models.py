from django.db import models
from django.db.models import Q


class PollManager(models.Manager):
    """Leaves out the frozen record (one entry per ballot) unless asked for: the live pages
    read the poll on every push and never show the list."""

    def get_queryset(self):
        return super().get_queryset().defer("record")


class Poll(models.Model):
    """The theme vote. State moves draft → open → closed → decided, only through services."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        DECIDED = "decided", "Decided"

    class TieRule(models.TextChoices):
        CASTING = "casting", "The facilitator chooses among the tied themes"
        RUNOFF = "runoff", "A run-off vote between the tied themes"

    class DecidedBy(models.TextChoices):
        MAJORITY = "majority", "Most votes"
        CASTING = "casting", "Facilitator's casting choice"
        RUNOFF = "runoff", "Run-off vote"

    workshop = models.ForeignKey(
        "workshop.Workshop",
        on_delete=models.CASCADE,
        related_name="polls",
        help_text="The workshop whose audience votes.",
    )
    question = models.CharField(
        max_length=200,
        default="Which theme should the panel discuss?",
        help_text="Shown above the options on phones and the projector.",
    )
    options = models.ManyToManyField(
        "evidence.Theme", related_name="polls", help_text="The themes on the ballot."
    )
    runoff_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="runoff",
        help_text="For a run-off: the tied vote it settles.",
    )
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.DRAFT, help_text="Where the vote is."
    )
    tie_rule = models.CharField(
        max_length=10,
        choices=TieRule.choices,
        default=TieRule.CASTING,
        help_text="How a tie is settled; fixed when the vote opens.",
    )
    show_bars = models.BooleanField(
        default=False, help_text="Show live bars on the projector while the vote is open."
    )
    voters_joined_before = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "Only phones that joined before this moment may vote (set when the vote opens with "
            "the console's switch for a vote that must not be stuffed); empty: any phone in the "
            "workshop."
        ),
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_theme = models.ForeignKey(
        "evidence.Theme",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="+",
        help_text="The theme chosen.",
    )
    decided_by = models.CharField(
        max_length=10, choices=DecidedBy.choices, blank=True, help_text="Which rule settled it."
    )
    phones_at_close = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Phones connected when the vote closed, as the console counted them (empty "
        "when it was closed some other way: the report then counts the phones that had joined).",
    )
    record = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text=(
            "The frozen vote record: the canonical ballot list (alias, theme, time) taken when "
            "the vote closed (voting/record.py). Empty until then."
        ),
    )
    record_digest = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 (hex) of the frozen vote record, set when the vote closes.",
    )
    version = models.PositiveIntegerField(
        default=0, help_text="Bumped by every batch of ballots, so stale tallies can be dropped."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PollManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="decided") | Q(decided_theme__isnull=False),
                name="poll_decided_has_theme",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question} ({self.get_state_display()})"


class Ballot(models.Model):
    """One attendee's choice in one poll. Changing the vote updates this row."""

    # No index of its own: the unique (poll, attendee) and the (poll, theme) indexes both
    # start with poll_id and serve every lookup by poll; a third would only be one more index
    # write per ballot.
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots", db_index=False)
    attendee = models.ForeignKey(
        "workshop.Attendee",
        null=True,
        on_delete=models.SET_NULL,
        related_name="ballots",
        help_text="Who voted; empty once the attendee is purged (the row itself stays).",
    )
    # RESTRICT: a theme with ballots cannot be deleted on its own (it would change the
    # result), but goes with its workshop, whose polls take their ballots with them.
    theme = models.ForeignKey("evidence.Theme", on_delete=models.RESTRICT, related_name="+")
    cast_at = models.DateTimeField()
    changed_at = models.DateTimeField()  # when this choice was made (same theme again: kept)
    key = models.CharField(
        max_length=64,
        blank=True,
        help_text="The phone's idempotency key for the latest choice: a resend is not a change.",
    )
    alias = models.CharField(
        max_length=32,
        blank=True,
        help_text=(
            "A random name for this voter in this poll (secrets.token_hex), kept when the "
            "attendee is purged: the vote record and its audit trail use it, never the attendee."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "attendee"], name="one_ballot_per_attendee"),
        ]
        indexes = [models.Index(fields=["poll", "theme"])]

    def __str__(self) -> str:
        return f"Ballot {self.pk}"


class AppendOnly(models.Model):
    """A row that is written once and never changed or deleted (the vote's audit trail)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError(f"{type(self).__name__} rows are append-only: they cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{type(self).__name__} rows are append-only: they cannot be deleted.")


class PollEvent(AppendOnly):
    """One state change of a vote: who did what, when. Written by voting/services.py."""

    class What(models.TextChoices):
        OPENED = "opened", "Opened"
        CLOSED = "closed", "Closed"
        BARS_SHOWN = "bars_shown", "Live bars shown"
        BARS_HIDDEN = "bars_hidden", "Live bars hidden"
        REVEALED = "revealed", "Results revealed"
        DECIDED = "decided", "Decided"
        RUNOFF_STARTED = "runoff_started", "Run-off started"

    # The rows go only with their poll, and admin refuses to delete a poll that has ballots;
    # a workshop deleted whole takes its polls' trails with it.
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.CharField(
        max_length=150,
        help_text='A staff username, or "system" (a command or script); never an attendee.',
    )
    what = models.CharField(max_length=20, choices=What.choices)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_what_display()} by {self.actor} at {self.at:%H:%M:%S}"


class BallotChange(AppendOnly):
    """One change of one voter's choice, by alias: a first ballot (from_theme empty) or a
    changed vote. A resend of the same choice writes nothing."""

    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="ballot_changes", db_index=False
    )
    alias = models.CharField(max_length=32)
    from_theme = models.ForeignKey(
        "evidence.Theme", null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    to_theme = models.ForeignKey("evidence.Theme", on_delete=models.RESTRICT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["poll", "alias"])]

    def __str__(self) -> str:
        return f"{self.alias}: {self.from_theme_id} → {self.to_theme_id}"

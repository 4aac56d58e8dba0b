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

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Max
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html

from panel.models import Person
from workshop.models import AgendaItem, Workshop
from workshop.services import content_save, join_code_unused
from workshop.snapshot import live_state_get


class ServiceActionsMixin:
    """Admin actions that run a service on each selected row and report each outcome, so
    admin refuses exactly what the console refuses, with the same message."""

    def run_service(self, request, queryset, service, done: str, *, arg: str) -> None:
        for obj in queryset:
            try:
                service(**{arg: obj})
            except ValidationError as error:
                self.message_user(request, f"“{obj}”: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"“{obj}”: {done}", messages.SUCCESS)


class ContentAdminMixin:
    """Organisers' edits, deletions and inline rows are saved through
    workshop.services.content_save, which redraws every surface of the workshop after
    commit: phones, projector and consoles show an edit at once, live and on reload."""

    def save_model(self, request, obj, form, change):
        content_save(saved=[obj])

    def delete_model(self, request, obj):
        content_save(deleted=[obj])

    def delete_queryset(self, request, queryset):
        content_save(deleted=list(queryset))

    def save_formset(self, request, form, formset, change):
        saved = formset.save(commit=False)
        content_save(saved=saved, deleted=formset.deleted_objects)
        formset.save_m2m()


@admin.display(description="Workshop", ordering="workshop__join_code")
def workshop_code(obj) -> str:
    """A list column for the workshop: its join code (its title is too long for a column)."""
    return obj.workshop.join_code


def parent_workshop_id(request) -> str | None:
    """The workshop being edited on an admin change page, to narrow inline choices."""
    match = request.resolver_match
    return match.kwargs.get("object_id") if match else None


class NextPositionFormSet(BaseInlineFormSet):
    """Inline rows for ordered content: a new row's position is the next free one (after the
    last saved row and the new rows above it), not 0."""

    def _next_position(self) -> int:
        if not hasattr(self, "_next"):
            top = self.queryset.aggregate(top=Max("position"))["top"] if self.instance.pk else None
            self._next = 0 if top is None else top + 1
        return self._next

    def _construct_form(self, i, **kwargs):
        if i >= self.initial_form_count():
            kwargs.setdefault("initial", {})
            kwargs["initial"].setdefault(
                "position", self._next_position() + i - self.initial_form_count()
            )
        return super()._construct_form(i, **kwargs)

    @property
    def empty_form(self):
        form = super().empty_form
        extra = self.total_form_count() - self.initial_form_count()
        form.initial.setdefault("position", self._next_position() + extra)
        form.fields["position"].initial = form.initial["position"]
        return form


class AgendaItemInline(admin.TabularInline):
    """One line per item; `leads` is a plain multiple choice of the workshop's people (a
    two-pane picker per row made the page several screens tall)."""

    model = AgendaItem
    formset = NextPositionFormSet
    extra = 0
    fields = ["position", "kind", "minutes", "title", "description", "leads"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})},
        models.CharField: {"widget": forms.TextInput(attrs={"size": 20})},
    }

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "leads":
            kwargs["queryset"] = Person.objects.filter(workshop_id=parent_workshop_id(request))
            kwargs["widget"] = forms.SelectMultiple(attrs={"size": 5})
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Workshop)
class WorkshopAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "join_code",
        "date",
        "start_time",
        "venue",
        "agenda_length",
        "phone_link",
    ]
    list_display_links = ["title"]
    search_fields = ["title", "join_code", "venue"]
    date_hierarchy = "date"
    readonly_fields = ["phone_link", "run_links", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "subtitle", ("date", "start_time"), "venue", "join_code"]}),
        ("Run the session", {"fields": ["run_links"]}),
        ("Moderation", {"fields": ["moderate_questions", "moderate_views"]}),
        (
            "What attendees read first",
            {"fields": ["description", "pre_reading"], "classes": ["collapse"]},
        ),
        ("Links", {"fields": ["phone_link", ("created_at", "updated_at")]}),
    ]
    inlines = [AgendaItemInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(_agenda_count=Count("agenda_items", distinct=True))
        )

    def get_changeform_initial_data(self, request):
        return {"join_code": join_code_unused(), **super().get_changeform_initial_data(request)}

    @admin.display(description="Agenda items", ordering="_agenda_count")
    def agenda_length(self, obj):
        return getattr(obj, "_agenda_count", obj.agenda_items.count())

    @admin.display(description="Attendee page")
    def phone_link(self, obj):
        if not obj.pk:
            return "Saved workshops get a join link."
        url = reverse("workshop:phone-home", kwargs={"code": obj.join_code})
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="Console and projector")
    def run_links(self, obj):
        """The facilitator's console and the projector's page. The projector's address holds
        its secret, made when the console is first opened; `renew` there replaces it."""
        if not obj.pk:
            return "Saved workshops get a console and a projector page."
        console = reverse("workshop:console", kwargs={"code": obj.join_code})
        report = format_html(
            ' · <a href="{}" target="_blank" rel="noopener">Post-session report</a>',
            reverse("workshop:report", kwargs={"code": obj.join_code}),
        )
        secret = live_state_get(workshop_id=obj.pk).screen_secret
        if not secret:
            return format_html(
                '<a href="{}" target="_blank" rel="noopener">Open the console</a> '
                "(its page then shows the projector's link){}",
                console,
                report,
            )
        screen = reverse("workshop:screen", kwargs={"code": obj.join_code, "secret": secret})
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Open the console</a> · '
            '<a href="{}" target="_blank" rel="noopener">Open the projector</a> '
            "(the projector's address is secret: show it only on the projector){}",
            console,
            screen,
            report,
        )

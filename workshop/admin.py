from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from panel.models import Person
from workshop.models import AgendaItem, Workshop
from workshop.services import content_save, join_code_unused


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


def parent_workshop_id(request) -> str | None:
    """The workshop being edited on an admin change page, to narrow inline choices."""
    match = request.resolver_match
    return match.kwargs.get("object_id") if match else None


class AgendaItemInline(admin.StackedInline):
    model = AgendaItem
    extra = 0
    fields = [("position", "kind", "minutes"), "title", "description", "leads"]
    filter_horizontal = ["leads"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "leads":
            kwargs["queryset"] = Person.objects.filter(workshop_id=parent_workshop_id(request))
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
    readonly_fields = ["phone_link", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "subtitle", ("date", "start_time"), "venue", "join_code"]}),
        ("What attendees read first", {"fields": ["description", "pre_reading"]}),
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

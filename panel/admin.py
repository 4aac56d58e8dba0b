from django.contrib import admin
from django.utils.html import format_html

from panel.models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "role",
        "job_title",
        "organisation",
        "perspective",
        "workshop",
        "has_photo",
    ]
    list_filter = ["role", "workshop"]
    list_select_related = ["workshop"]
    search_fields = ["name", "organisation", "job_title", "perspective"]
    ordering = ["workshop", "role", "position", "id"]
    fields = [
        "workshop", ("name", "role", "position"), ("job_title", "organisation"),
        "perspective", "bio", "photo", "photo_preview",
    ]  # fmt: skip
    readonly_fields = ["photo_preview"]

    @admin.display(description="Photo", boolean=True)
    def has_photo(self, obj):
        return bool(obj.photo)

    @admin.display(description="Preview")
    def photo_preview(self, obj):
        if obj.photo:
            return format_html('<img src="{}" alt="" width="96" height="96">', obj.photo.url)
        return format_html(
            "No photo: attendees see the initials <strong>{}</strong>.", obj.initials
        )

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.db.models import Count
from django.utils.html import format_html

from panel import services
from panel.models import BoardPost, Person, Question
from workshop.admin import ContentAdminMixin, ServiceActionsMixin, workshop_code


class PhotoWidget(AdminFileWidget):
    """Admin's file box with a <label> for its input: the stock widget is drawn as a
    fieldset whose legend names no control, and axe (rule `label`) finds the input unnamed."""

    use_fieldset = False


class PersonForm(forms.ModelForm):
    """The photo is checked and re-encoded by panel.services.photo_prepare, so a refused file
    gets the service's message beside the field and nothing is saved."""

    photo = forms.FileField(
        required=False,
        widget=PhotoWidget(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=(
            f"Optional: a JPEG, PNG or WebP photo, at most "
            f"{services.PHOTO_MAX_BYTES // 1024 // 1024} MB and "
            f"{services.PHOTO_MAX_PIXELS // 1_000_000} megapixels. It is cropped to a square "
            f"of {services.PHOTO_SIZE} pixels and stored without its metadata (camera, "
            "GPS position). Without one, their initials are shown."
        ),
    )

    class Meta:
        model = Person
        fields = [
            "workshop", "position", "name", "role", "job_title", "organisation", "perspective",
            "bio", "photo",
        ]  # fmt: skip

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo and "photo" in self.changed_data:
            return services.photo_prepare(upload=photo)
        return photo


@admin.register(Person)
class PersonAdmin(ContentAdminMixin, admin.ModelAdmin):
    form = PersonForm
    list_display = [
        "name",
        "role",
        "job_title",
        "organisation",
        "perspective",
        workshop_code,
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

    def save_model(self, request, obj, form, change):
        """The person's other fields as admin saves them; the photo through the service."""
        if "photo" not in form.changed_data:
            return super().save_model(request, obj, form, change)
        obj.photo = form.initial.get("photo") or ""  # as stored, until the service replaces it
        super().save_model(request, obj, form, change)
        services.person_photo_set(person=obj, photo=form.cleaned_data["photo"] or None)

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


@admin.register(Question)
class QuestionAdmin(ServiceActionsMixin, admin.ModelAdmin):
    """Questions are moderated from the console; admin offers the same actions, through
    the same services, and never edits what an attendee wrote."""

    list_display = [
        "text", workshop_code, "status", "vote_count", "panellist", "theme", "author_name",
        "created_at",
    ]  # fmt: skip
    list_filter = ["status", "workshop"]
    list_select_related = ["workshop", "panellist", "theme"]
    search_fields = ["text", "author_name"]
    actions = ["approve", "hide", "mark_answered"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_votes=Count("upvotes"))

    @admin.display(description="Upvotes", ordering="_votes")
    def vote_count(self, obj):
        return obj._votes

    @admin.action(description="Approve (show to everyone)", permissions=["view"])
    def approve(self, request, queryset):
        self.run_service(request, queryset, services.question_approve, "approved.", arg="question")

    @admin.action(description="Hide", permissions=["view"])
    def hide(self, request, queryset):
        self.run_service(request, queryset, services.question_hide, "hidden.", arg="question")

    @admin.action(description="Mark answered", permissions=["view"])
    def mark_answered(self, request, queryset):
        self.run_service(
            request, queryset, services.question_mark_answered, "marked answered.", arg="question"
        )


@admin.register(BoardPost)
class BoardPostAdmin(ServiceActionsMixin, admin.ModelAdmin):
    list_display = ["text", "kind", "theme", workshop_code, "held", "hidden", "created_at"]
    list_filter = ["kind", "held", "hidden", "workshop"]
    list_select_related = ["workshop", "theme"]
    search_fields = ["text"]
    actions = ["approve", "hide"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Approve: show on the board", permissions=["view"])
    def approve(self, request, queryset):
        self.run_service(request, queryset, services.board_post_approve, "approved.", arg="post")

    @admin.action(description="Hide from the board", permissions=["view"])
    def hide(self, request, queryset):
        self.run_service(request, queryset, services.board_post_hide, "hidden.", arg="post")

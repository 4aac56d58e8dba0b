from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count

from evidence.models import Finding, Report, Theme
from workshop.admin import ContentAdminMixin, NextPositionFormSet, parent_workshop_id, workshop_code


class FindingInline(admin.TabularInline):
    """One line per finding, narrow enough for a laptop's width; a new one goes last."""

    model = Finding
    formset = NextPositionFormSet
    extra = 1
    fields = ["position", "text", "report", "location"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 60})},
        models.CharField: {"widget": forms.TextInput(attrs={"size": 14})},
    }

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Only the reports of the theme's own workshop can be cited.
        if db_field.name == "report" and (theme_id := parent_workshop_id(request)):
            kwargs["queryset"] = Report.objects.filter(workshop__themes=theme_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Theme)
class ThemeAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = ["title", workshop_code, "position", "finding_count"]
    list_filter = ["workshop"]
    list_select_related = ["workshop"]
    search_fields = ["title", "description", "findings__text"]
    ordering = ["workshop", "position", "id"]
    fields = ["workshop", ("title", "position"), "description"]
    inlines = [FindingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_findings=Count("findings"))

    @admin.display(description="Findings", ordering="_findings")
    def finding_count(self, obj):
        return obj._findings


@admin.register(Report)
class ReportAdmin(ContentAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "publisher", "published", workshop_code, "cited_by"]
    list_filter = ["workshop", "year"]
    list_select_related = ["workshop"]
    search_fields = ["title", "short_title", "authors", "publisher", "doi"]
    ordering = ["workshop", "position", "id"]
    fieldsets = [
        (None, {"fields": ["workshop", "title", ("short_title", "position")]}),
        ("Publication", {"fields": ["authors", "publisher", ("year", "published"), "url", "doi"]}),
        ("For attendees", {"fields": ["summary", "key_points"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_cited=Count("findings"))

    @admin.display(description="Findings citing it", ordering="_cited")
    def cited_by(self, obj):
        return obj._cited

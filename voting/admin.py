from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count

from voting import services
from voting.models import Poll


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    """Votes are run from the console; admin shows them and offers the same transitions,
    through the same services."""

    list_display = [
        "question", "workshop", "state", "tie_rule", "ballot_count", "decided_theme",
        "decided_by", "opened_at",
    ]  # fmt: skip
    list_filter = ["state", "workshop"]
    list_select_related = ["workshop", "decided_theme"]
    readonly_fields = [f.name for f in Poll._meta.fields] + ["option_list"]
    exclude = ["options"]
    actions = ["close_votes", "reveal_results"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_ballots=Count("ballots"))

    @admin.display(description="Ballots", ordering="_ballots")
    def ballot_count(self, obj):
        return obj._ballots

    @admin.display(description="Options")
    def option_list(self, obj):
        return ", ".join(t.title for t in obj.options.all())

    def _each(self, request, queryset, service, done: str):
        for poll in queryset:
            try:
                service(poll=poll)
            except ValidationError as error:
                self.message_user(request, f"{poll}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{poll}: {done}", messages.SUCCESS)

    @admin.action(description="Close the selected votes", permissions=["view"])
    def close_votes(self, request, queryset):
        self._each(request, queryset, services.poll_close, "closed.")

    @admin.action(description="Reveal the results of the selected votes", permissions=["view"])
    def reveal_results(self, request, queryset):
        self._each(request, queryset, services.poll_reveal, "results revealed.")

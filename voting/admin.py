from django.contrib import admin
from django.db.models import Count

from voting import services
from voting.models import Poll
from workshop.admin import ServiceActionsMixin, workshop_code


@admin.register(Poll)
class PollAdmin(ServiceActionsMixin, admin.ModelAdmin):
    """Votes are run from the console; admin shows them and offers the same transitions,
    through the same services."""

    # The question is the same on most votes ("Which theme should the panel discuss?"): the
    # list leads with when each vote opened, and the question is on the vote's own page.
    list_display = [
        "opened", workshop_code, "state", "tie_rule", "ballot_count", "decided_theme",
        "decided_by",
    ]  # fmt: skip
    list_display_links = ["opened"]
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

    @admin.display(description="Vote opened", ordering="opened_at")
    def opened(self, obj):
        return obj.opened_at or "Not opened yet"

    @admin.display(description="Ballots", ordering="_ballots")
    def ballot_count(self, obj):
        return obj._ballots

    @admin.display(description="Options")
    def option_list(self, obj):
        return ", ".join(t.title for t in obj.options.all())

    @admin.action(description="Close the selected votes", permissions=["view"])
    def close_votes(self, request, queryset):
        self.run_service(request, queryset, services.poll_close, "closed.", arg="poll")

    @admin.action(description="Reveal the results of the selected votes", permissions=["view"])
    def reveal_results(self, request, queryset):
        self.run_service(request, queryset, services.poll_reveal, "results revealed.", arg="poll")

from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count

from voting import services
from voting.models import BallotChange, Poll, PollEvent
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
    # The frozen record itself (one entry per ballot) is in the votes export; admin shows
    # its digest.
    readonly_fields = [f.name for f in Poll._meta.fields if f.name != "record"] + ["option_list"]
    exclude = ["options", "record"]
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
        close = partial(services.poll_close, actor=request.user.get_username())
        self.run_service(request, queryset, close, "closed.", arg="poll")

    @admin.action(description="Reveal the results of the selected votes", permissions=["view"])
    def reveal_results(self, request, queryset):
        reveal = partial(services.poll_reveal, actor=request.user.get_username())
        self.run_service(request, queryset, reveal, "results revealed.", arg="poll")

    # A vote with ballots is part of the record of what the room chose: it is never deleted
    # from admin, alone or with "delete selected". A vote nobody voted in may go.
    REFUSED = "“{}” has ballots: a vote with ballots is part of the record and is not deleted."

    def get_deleted_objects(self, objs, request):
        # Listed as "protected", Django's confirmation page refuses the deletion, for one vote
        # and for "delete selected" alike, and names each vote that holds it back.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        with_ballots = (
            Poll.objects.filter(pk__in=[o.pk for o in objs])
            .annotate(n=Count("ballots"))
            .filter(n__gt=0)
        )
        protected = list(protected) + [
            f"{poll}: {poll.n} ballots, part of the vote record; a vote with ballots is kept"
            for poll in with_ballots
        ]
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        if obj.ballots.exists():
            self.message_user(request, self.REFUSED.format(obj), messages.ERROR)
            return
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        kept = list(queryset.filter(ballots__isnull=False).distinct())
        for obj in kept:
            self.message_user(request, self.REFUSED.format(obj), messages.ERROR)
        super().delete_queryset(request, queryset.exclude(pk__in=[p.pk for p in kept]))


class AuditAdmin(admin.ModelAdmin):
    """The vote's audit trail: append-only, so admin only shows it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deletion: the rows go only with their workshop, deleted whole (Django's collector then
    # checks this permission for them); on their own, the delete page and action refuse.
    actions = None  # no "delete selected"

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied("The vote's audit trail is append-only.")


@admin.register(PollEvent)
class PollEventAdmin(AuditAdmin):
    list_display = ["at", "poll", "what", "actor", "detail"]
    list_filter = ["what", "poll__workshop"]
    list_select_related = ["poll"]


@admin.register(BallotChange)
class BallotChangeAdmin(AuditAdmin):
    list_display = ["at", "poll", "alias", "from_theme", "to_theme"]
    list_filter = ["poll__workshop"]
    list_select_related = ["poll", "from_theme", "to_theme"]

"""Back office: committees are edited here (until the committee lifecycle has its own pages); meetings,
ballots and the electorate only change through committees.services, so the admin shows them read-only."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from governance.models import Compound

from .models import (
    ActionItem,
    AgendaItem,
    AssemblyPetition,
    Ballot,
    CommitteeMember,
    Contribution,
    ElectorateCorrection,
    Meeting,
    OwnersCommittee,
)


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(OwnersCommittee)
class OwnersCommitteeAdmin(admin.ModelAdmin):
    list_display = ["name", "compound", "status", "term_start", "term_end", "filed_at"]
    list_filter = ["status"]
    search_fields = ["name", "compound__name"]
    autocomplete_fields = ["compound"]
    inlines = [CommitteeMemberInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("compound")
        if request.user.is_superuser:
            return qs
        return qs.filter(compound__in=Compound.objects.managed_by(request.user))


class AgendaItemInline(ReadOnlyInline):
    model = AgendaItem
    fields = ["position", "kind", "title", "matter", "rule", "seats", "passed"]


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["title", "compound", "kind", "status", "vote_opens_at", "vote_closes_at"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "compound__name"]
    inlines = [AgendaItemInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("compound")
        return qs if request.user.is_superuser else qs.visible_to(request.user)


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = ["receipt_code", "item", "channel", "status", "cast_at"]
    list_filter = ["channel", "status"]
    search_fields = ["receipt_code"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("item")
        return qs if request.user.is_superuser else qs.filter(item__meeting__in=Meeting.objects.visible_to(request.user))


@admin.register(ElectorateCorrection)
class ElectorateCorrectionAdmin(ReadOnlyAdmin):
    list_display = ["meeting", "unit", "reason", "made_by", "created_at"]


@admin.register(AssemblyPetition)
class AssemblyPetitionAdmin(ReadOnlyAdmin):
    list_display = ["title", "compound", "status", "owners_total", "triggered_at"]
    list_filter = ["status"]


class ContributionInline(ReadOnlyInline):
    model = Contribution
    fields = ["contributor", "pledged", "paid", "note"]


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "meeting", "party", "due_date", "status"]
    list_filter = ["status", "party"]
    inlines = [ContributionInline]

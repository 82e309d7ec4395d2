import secrets

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.errors import ApplicationError

from .models import (
    Campaign,
    Complaint,
    Dispatch,
    Escalation,
    FollowUpPolicy,
    Suggestion,
    Survey,
    SurveyQuestion,
    SurveyTemplate,
    TimelineEvent,
)
from .surveys import services as survey_services


class DispatchInline(ReadOnlyInline):
    model = Dispatch
    fields = ["handler_kind", "department", "property_company", "status", "acknowledge_due_at", "handle_due_at"]


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["created_at", "actor", "kind", "from_status", "to_status", "note", "internal"]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    """Cases change only through the workflow services (every change needs its timeline row); the admin looks."""

    list_display = ["number", "title", "compound", "category", "status", "created_at"]
    list_filter = ["status", "category", "urgency"]
    search_fields = ["number", "title"]
    inlines = [DispatchInline, TimelineInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("compound")
        return qs if request.user.is_superuser else qs.visible_to(request.user)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["key", "level", "step", "due_at", "created_at"]
    list_filter = ["level", "step"]


# --- follow-up surveys and revisit campaigns -----------------------------------------------------


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 0
    fields = ["position", "key", "kind", "text", "choices", "required"]


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    """Surveys already sent keep the questions they were sent with; editing here changes only new ones."""

    list_display = ["name", "key", "kind", "is_active", "updated_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "key"]
    inlines = [SurveyQuestionInline]

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(FollowUpPolicy)
class FollowUpPolicyAdmin(admin.ModelAdmin):
    list_display = ["category", "invite_after_days", "remind_after_days", "expire_after_days", "recheck_after_days"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    """Read only: surveys move through the sweeper and the answer service."""

    list_display = ["id", "purpose", "status", "recipient", "complaint", "campaign", "invite_at", "answered_at"]
    list_filter = ["purpose", "status", "solved", "satisfaction"]
    raw_id_fields = ["recipient", "complaint", "campaign", "unit"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "scope", "place", "sample_share", "starts_at", "ends_at", "status"]
    list_filter = ["status", "scope"]
    readonly_fields = ["status", "seed", "created_by", "launched_at", "finished_at"]
    raw_id_fields = ["compound", "community", "property_company"]
    actions = ["launch", "finish"]

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.status == Campaign.Status.DRAFT

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by, obj.seed = request.user, secrets.randbits(48)
        super().save_model(request, obj, form, change)

    def _run(self, request, queryset, action):
        for campaign in queryset:
            try:
                action(campaign=campaign, actor=request.user)
            except ApplicationError as error:
                self.message_user(request, f"{campaign}: {error.message}", messages.ERROR)

    @admin.action(description=_("Launch: draw the households and schedule their surveys"))
    def launch(self, request, queryset):
        self._run(request, queryset, survey_services.campaign_launch)

    @admin.action(description=_("Finish: the surveys not answered expire"))
    def finish(self, request, queryset):
        self._run(request, queryset, survey_services.campaign_finish)


@admin.register(Suggestion)
class SuggestionAdmin(ReadOnlyAdmin):
    """Read only: suggestions are written, answered and published through complaints.suggestions."""

    list_display = ["title", "compound", "recipient", "status", "published", "created_at"]
    list_filter = ["status", "recipient", "published"]
    search_fields = ["title"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("compound")
        return qs if request.user.is_superuser else qs.visible_to(request.user)

from django.contrib import admin

from .models import Complaint, Dispatch, Escalation, TimelineEvent


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DispatchInline(ReadOnlyInline):
    model = Dispatch
    fields = ["handler_kind", "department", "property_company", "status", "acknowledge_due_at", "handle_due_at"]


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["created_at", "actor", "kind", "from_status", "to_status", "note", "internal"]


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    """Cases change only through the workflow services (every change needs its timeline row); the admin looks."""

    list_display = ["number", "title", "compound", "category", "status", "created_at"]
    list_filter = ["status", "category", "urgency"]
    search_fields = ["number", "title"]
    inlines = [DispatchInline, TimelineInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("compound")
        return qs if request.user.is_superuser else qs.visible_to(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["key", "level", "step", "due_at", "created_at"]
    list_filter = ["level", "step"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

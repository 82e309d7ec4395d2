from django.contrib import admin

from .models import AuditEvent, OutboxMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows that only services write (each change needs its audit or timeline row): the admin looks."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """Read-only: the sweeper alone changes messages."""

    list_display = ["created_at", "recipient", "channel", "key", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "channel"]
    search_fields = ["key", "address"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]

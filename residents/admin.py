from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Ownership, PartyMembership, RosterImport, Tenancy, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["real_name"]
    list_display = ["real_name", "phone", "is_party_member", "is_staff", "is_active"]
    search_fields = ["real_name", "phone"]
    fieldsets = (
        (None, {"fields": ("phone", "password")}),
        (_("Person"), {"fields": ("real_name", "id_number", "is_party_member")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("phone", "real_name", "password1", "password2")}),)


@admin.register(Ownership)
class OwnershipAdmin(admin.ModelAdmin):
    list_display = ["unit", "user", "status", "is_voter", "start", "end"]
    list_filter = ["status"]
    raw_id_fields = ["unit", "user", "verified_by"]


@admin.register(Tenancy)
class TenancyAdmin(admin.ModelAdmin):
    list_display = ["unit", "user", "start", "end"]
    raw_id_fields = ["unit", "user", "verified_by"]


@admin.register(PartyMembership)
class PartyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "post", "dual_registration"]
    raw_id_fields = ["user", "organisation"]


@admin.register(RosterImport)
class RosterImportAdmin(admin.ModelAdmin):
    """Imports are run by the roster service; the admin only looks."""

    list_display = ["compound", "uploaded_by", "status", "total_rows", "created_at", "finished_at"]
    list_filter = ["status"]
    raw_id_fields = ["compound", "uploaded_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from core.admin import ReadOnlyAdmin

from . import models


class ScopedAdmin(GuardedModelAdmin):
    """Non-superusers see only the objects in their scope."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser or not hasattr(qs, "visible_to"):
            return qs
        return qs.visible_to(request.user)


@admin.register(models.District)
class DistrictAdmin(ScopedAdmin):
    list_display = ["name", "code"]


@admin.register(models.Street)
class StreetAdmin(ScopedAdmin):
    list_display = ["name", "district"]
    list_filter = ["district"]


@admin.register(models.Community)
class CommunityAdmin(ScopedAdmin):
    list_display = ["name", "street"]
    list_filter = ["street"]
    search_fields = ["name"]


@admin.register(models.Grid)
class GridAdmin(ScopedAdmin):
    list_display = ["name", "community"]
    search_fields = ["name"]


@admin.register(models.Compound)
class CompoundAdmin(ScopedAdmin):
    list_display = ["name", "community", "built_year"]
    list_filter = ["community__street"]
    search_fields = ["name"]


@admin.register(models.Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ["name", "compound", "grid", "floors"]
    search_fields = ["name", "compound__name"]
    raw_id_fields = ["compound", "grid"]


@admin.register(models.Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ["__str__", "building", "area_register", "area_survey", "area_contract"]
    search_fields = ["number", "building__compound__name"]
    raw_id_fields = ["building"]


@admin.register(models.PropertyCompany)
class PropertyCompanyAdmin(ScopedAdmin):
    list_display = ["name", "credit_code", "service_phone"]
    search_fields = ["name"]


@admin.register(models.ServiceContract)
class ServiceContractAdmin(admin.ModelAdmin):
    list_display = ["compound", "company", "start", "end", "fee_per_m2_month"]
    raw_id_fields = ["compound", "company"]


@admin.register(models.PartyOrganisation)
class PartyOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "compound", "community"]
    list_filter = ["kind"]
    raw_id_fields = ["compound", "community", "property_company"]


class TimeLimitInline(admin.TabularInline):
    model = models.DepartmentTimeLimit
    extra = 0


@admin.register(models.Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["name", "short_name", "district"]
    inlines = [TimeLimitInline]


@admin.register(models.RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Read-only here: roles change only through services, which keep the grants in step."""

    list_display = ["user", "role", "start", "end", "granted"]
    list_filter = ["role"]
    raw_id_fields = ["user", "district", "street", "community", "grid", "compound", "property_company", "department"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.RankingList)
class RankingListAdmin(ReadOnlyAdmin):
    """Published red and black lists: snapshots written only by governance.dashboards.rankings."""

    list_display = ["month", "district", "kind", "published_at", "published_by"]
    list_filter = ["kind", "district"]
    date_hierarchy = "month"

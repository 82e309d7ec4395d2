from functools import cache

from django.conf import settings
from django.utils.functional import SimpleLazyObject

# Roles whose holders manage places: they verify owners, import rosters and assign roles.
MANAGING_ROLES = frozenset({"district_staff", "street_staff", "community_staff"})


def portal(request):
    """Add the portal name, menu flags and the unread count; each costs one query, only when a page asks."""
    user = getattr(request, "user", None)

    @cache
    def active_roles() -> frozenset[str]:
        if user is None or not user.is_authenticated:
            return frozenset()
        return frozenset(user.roles.active().values_list("role", flat=True))

    def may_browse() -> bool:
        return bool(user is not None and user.is_authenticated and (user.is_superuser or active_roles()))

    def may_manage() -> bool:
        return bool(user is not None and user.is_authenticated and (user.is_superuser or active_roles() & MANAGING_ROLES))

    def has_queue() -> bool:
        # Grid workers report from patrol through 报事; every other staff role has a work queue.
        return bool(user is not None and user.is_authenticated and (user.is_superuser or active_roles() - {"grid_worker"}))

    def has_dashboard() -> bool:
        # Area dashboards: district, street and community staff (see governance/dashboards/permissions.py).
        return bool(user is not None and user.is_authenticated and (user.is_superuser or active_roles() & MANAGING_ROLES))

    def my_kpis() -> str:
        # Department and property staff see their own KPIs (governance/dashboards/handler_views.py).
        if user is None or not user.is_authenticated:
            return ""
        roles = active_roles()
        if "department_staff" in roles:
            return "dashboards:departments"
        return "dashboards:property-companies" if "property_staff" in roles else ""

    def unread_count() -> int:
        if user is None or not user.is_authenticated:
            return 0
        from .models import Notification

        return Notification.objects.unread().filter(user_id=user.pk).count()

    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "nav_places": SimpleLazyObject(may_browse),
        "nav_manage": SimpleLazyObject(may_manage),
        "nav_workbench": SimpleLazyObject(has_queue),
        "nav_dashboard": SimpleLazyObject(has_dashboard),
        "nav_my_kpis": SimpleLazyObject(my_kpis),  # a URL name, or ""
        # The inbox badge: one COUNT query, only on pages that show it.
        "unread_count": SimpleLazyObject(unread_count),
    }

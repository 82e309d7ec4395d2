from functools import cache

from django.conf import settings
from django.utils.functional import SimpleLazyObject

# Roles whose holders manage places: they verify owners, import rosters and assign roles.
MANAGING_ROLES = frozenset({"district_staff", "street_staff", "community_staff"})


def portal(request):
    """Add the portal name and menu flags; the user's roles cost one query, only when a page asks."""
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

    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "nav_places": SimpleLazyObject(may_browse),
        "nav_manage": SimpleLazyObject(may_manage),
    }

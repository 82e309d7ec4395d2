from django.conf import settings
from django.utils.functional import SimpleLazyObject


def portal(request):
    """Add the portal name and whether the user may browse places (a query, only when used)."""
    user = getattr(request, "user", None)

    def has_place_scope() -> bool:
        if user is None or not user.is_authenticated:
            return False
        return user.is_superuser or user.roles.active().exists()

    return {"PORTAL_NAME": settings.PORTAL_NAME, "nav_places": SimpleLazyObject(has_place_scope)}

"""Who sees the area dashboards: superusers and district, street and community staff, over their places.

A place (district, street, community or compound) is viewable when it lies under a district, street
or community the user staffs (the django-guardian grants their roles hold). Scope that comes from
other roles (property company, grid, department, party branch) or from a home opens no dashboard
here: those users get 404, like anything else out of their scope.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.http import Http404
from guardian.models import UserObjectPermission

from governance.models import Community, Compound, District, Street
from governance.scoping import granted_ids

LEVELS: dict[str, type[models.Model]] = {
    "district": District,
    "street": Street,
    "community": Community,
    "compound": Compound,
}
# The path from each level's model up to its district, to select the breadcrumb in the same query.
PARENTS: dict[str, tuple[str, ...]] = {
    "district": (),
    "street": ("district",),
    "community": ("street", "street__district"),
    "compound": ("community", "community__street", "community__street__district"),
}
# Each level's field path to the district, street and community it lies in ("" is the place itself).
_PATHS: dict[str, dict[str, str]] = {
    "district": {"district": "id"},
    "street": {"district": "district_id", "street": "id"},
    "community": {"district": "street__district_id", "street": "street_id", "community": "id"},
    "compound": {"district": "community__street__district_id", "street": "community__street_id", "community": "community_id"},
}


# The scope objects whose grants open dashboards: areas (area pages) and a handler's own row.
GRANTS = ("district", "street", "community", "department", "propertycompany")


def user_grants(user) -> dict[str, set[int]]:
    """Return {"district"|"street"|"community"|"department"|"propertycompany": ids the user may view} (one query):
    the scope objects of the user's staff roles (their django-guardian grants)."""
    grants: dict[str, set[int]] = {name: set() for name in GRANTS}
    if user is None or not user.is_authenticated or not user.is_active:
        return grants
    rows = UserObjectPermission.objects.filter(
        user_id=user.pk, content_type__app_label="governance",
        permission__codename__in=[f"view_{name}" for name in grants],
    ).values_list("permission__codename", "object_pk")
    for codename, object_pk in rows:
        grants[codename.removeprefix("view_")].add(int(object_pk))
    return grants


def level_of(place: models.Model) -> str:
    """Return "district", "street", "community" or "compound" for a place instance."""
    for level, model in LEVELS.items():
        if isinstance(place, model):
            return level
    raise LookupError(type(place).__name__)


def _staff_q(user, level: str) -> Q:
    """Return the condition that a place of `level` lies under a district/street/community the user staffs."""
    q = Q(pk__in=[])
    for scope, field in _PATHS[level].items():
        q |= Q(**{f"{field}__in": granted_ids(user, scope)})
    return q


def viewable(user, level: str) -> models.QuerySet:
    """Return the places of `level` whose dashboard the user may see (unevaluated, no query of its own)."""
    model = LEVELS[level]
    if user is None or not user.is_authenticated or not user.is_active:
        return model.objects.none()
    if user.is_superuser:
        return model.objects.all()
    # The staff condition is narrower than visible_to(as_staff=True) (no property or grid scope) and inside it.
    return model.objects.visible_to(user, as_staff=True).filter(_staff_q(user, level))


def can_view_area(user, place: models.Model) -> bool:
    """Return whether the user may see the dashboard of `place` (one query)."""
    return viewable(user, level_of(place)).filter(pk=place.pk).exists()


def place_or_404(user, level: str, pk: int) -> models.Model:
    """Return the place of `level` with its parents selected (one query), or raise Http404 if not viewable.

    An unknown level is a 404 too.
    """
    if level not in LEVELS:
        raise Http404
    place = viewable(user, level).select_related(*PARENTS[level]).filter(pk=pk).first()
    if place is None:
        raise Http404
    return place


def dashboard_places(user) -> list[models.Model]:
    """Return the user's widest viewable places: their districts, else streets, else communities.

    At most three queries (one per level until one has places); empty for users with no dashboard.
    """
    if user is None or not user.is_authenticated:
        return []
    for level in ("district", "street", "community"):
        places = list(viewable(user, level).select_related(*PARENTS[level]).order_by("name"))
        if places:
            return places
    return []


"""Who may see which place: `Model.objects.visible_to(user)`.

Staff scope lives in django-guardian object permissions (granted by RoleAssignment services);
residents' scope comes from their verified ownership or tenancy. Every rule is a subquery, so
`visible_to` adds no query of its own: a list stays one query whatever the user's roles.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import BigIntegerField, Q
from django.db.models.functions import Cast
from guardian.models import UserObjectPermission

SCOPE_MODELS = ("district", "street", "community", "grid", "compound", "propertycompany", "department")


def granted_ids(user, model_name: str, action: str = "view") -> models.QuerySet:
    """Return a subquery of ids of `model_name` objects on which `user` holds `action`."""
    model = apps.get_model("governance", model_name)
    content_type = ContentType.objects.get_for_model(model)  # cached after the first call
    return (
        UserObjectPermission.objects.filter(
            user_id=user.pk, content_type=content_type, permission__codename=f"{action}_{model_name}"
        )
        .annotate(object_id=Cast("object_pk", BigIntegerField()))
        .values("object_id")
    )


def _resident_rows(user) -> tuple[models.QuerySet, models.QuerySet]:
    """Return the user's verified, current ownerships and tenancies (unevaluated)."""
    Ownership = apps.get_model("residents", "Ownership")
    Tenancy = apps.get_model("residents", "Tenancy")
    owned = Ownership.objects.current().verified().filter(user_id=user.pk)
    # current() also checks the start: a lease signed for next month opens nothing yet.
    rented = Tenancy.objects.current().filter(user_id=user.pk, verified_at__isnull=False)
    return owned, rented


def resident_unit_q(user, field: str = "id") -> Q:
    """Return the condition that `field` is a unit the user owns or rents, verified and current.

    Two separate IN terms, not one subquery with an OR inside: PostgreSQL then probes the small
    ownership/tenancy rows instead of scanning every unit of the district (see docs/benchmarks.md).
    """
    owned, rented = _resident_rows(user)
    return Q(**{f"{field}__in": owned.values("unit_id")}) | Q(**{f"{field}__in": rented.values("unit_id")})


def resident_unit_ids(user) -> models.QuerySet:
    """Return a subquery of the ids of the units the user owns or rents (verified, current): one UNION.

    For `Unit.objects.filter(id__in=...)` alone, where the two IN terms of resident_unit_q, OR-ed on
    the same column, would make PostgreSQL test every unit of the district (docs/benchmarks.md).
    """
    owned, rented = _resident_rows(user)
    return owned.order_by().values("unit_id").union(rented.order_by().values("unit_id"), all=True)


def _compound_ids_for_grids(user, action):
    Building = apps.get_model("governance", "Building")
    return Building.objects.filter(grid_id__in=granted_ids(user, "grid", action)).values("compound_id")


def _compound_ids_for_companies(user, action):
    ServiceContract = apps.get_model("governance", "ServiceContract")
    return ServiceContract.objects.active().filter(
        company_id__in=granted_ids(user, "propertycompany", action)
    ).values("compound_id")


def compound_scope_q(user, prefix: str = "", action: str = "view", *, grids: bool = True, residents: bool = True) -> Q:
    """Return the condition that a compound (reached by `prefix`) is in the user's scope."""
    p = prefix
    q = (
        Q(**{f"{p}community__street__district_id__in": granted_ids(user, "district", action)})
        | Q(**{f"{p}community__street_id__in": granted_ids(user, "street", action)})
        | Q(**{f"{p}community_id__in": granted_ids(user, "community", action)})
        | Q(**{f"{p}id__in": granted_ids(user, "compound", action)})
        | Q(**{f"{p}id__in": _compound_ids_for_companies(user, action)})
    )
    if grids:
        q |= Q(**{f"{p}id__in": _compound_ids_for_grids(user, action)})
    if residents and action == "view":
        owned, rented = _resident_rows(user)
        q |= Q(**{f"{p}id__in": owned.values("unit__building__compound_id")})
        q |= Q(**{f"{p}id__in": rented.values("unit__building__compound_id")})
    return q


def _visible_q(user, model_name: str, action: str, residents: bool = True) -> Q:
    if model_name == "district":
        return Q(id__in=granted_ids(user, "district", action))
    if model_name == "street":
        return Q(district_id__in=granted_ids(user, "district", action)) | Q(id__in=granted_ids(user, "street", action))
    if model_name == "community":
        return (
            Q(street__district_id__in=granted_ids(user, "district", action))
            | Q(street_id__in=granted_ids(user, "street", action))
            | Q(id__in=granted_ids(user, "community", action))
        )
    if model_name == "grid":
        return (
            Q(community__street__district_id__in=granted_ids(user, "district", action))
            | Q(community__street_id__in=granted_ids(user, "street", action))
            | Q(community_id__in=granted_ids(user, "community", action))
            | Q(id__in=granted_ids(user, "grid", action))
        )
    if model_name == "compound":
        return compound_scope_q(user, action=action, residents=residents)
    if model_name == "building":
        # A grid worker sees the buildings of their grid, not the whole compound.
        return compound_scope_q(user, "compound__", action, grids=False, residents=residents) | Q(
            grid_id__in=granted_ids(user, "grid", action)
        )
    if model_name == "unit":
        # One IN over the in-scope buildings rather than an OR across joined tables: PostgreSQL can
        # then use the building index instead of testing every unit of the district (docs/benchmarks.md).
        Building = apps.get_model("governance", "Building")
        buildings = Building.objects.filter(
            compound_scope_q(user, "compound__", action, grids=False, residents=False)
            | Q(grid_id__in=granted_ids(user, "grid", action))
        )
        q = Q(building_id__in=buildings.values("id"))
        if action == "view" and residents:
            q |= resident_unit_q(user)
        return q
    if model_name == "propertycompany":
        ServiceContract = apps.get_model("governance", "ServiceContract")
        serving = ServiceContract.objects.filter(compound_scope_q(user, "compound__", action, residents=False))
        return Q(id__in=granted_ids(user, "propertycompany", action)) | Q(id__in=serving.values("company_id"))
    if model_name == "department":
        return Q(id__in=granted_ids(user, "department", action)) | Q(
            district_id__in=granted_ids(user, "district", action)
        )
    raise LookupError(model_name)


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, *, as_staff: bool = False) -> ScopedQuerySet:
        """Return the objects this user may see (one query, no matter how many roles).

        `as_staff` leaves out what the user sees only as a resident (their own home).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(_visible_q(user, self.model._meta.model_name, "view", residents=not as_staff))

    def managed_by(self, user) -> ScopedQuerySet:
        """Return the objects this user may manage (verify owners, import rosters, assign roles)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(_visible_q(user, self.model._meta.model_name, "manage"))

"""can_<verb>_<x>(user, obj) for homes: who may verify owners and record tenants.

A unit's owners are verified by whoever manages its compound (community, street or district
staff, or a superuser): `Compound.objects.managed_by(user)`. Every check is one query.
"""

from __future__ import annotations

from django.db import models

from governance.models import Compound, Unit

from .models import Ownership, Tenancy


def managed_compounds(user) -> models.QuerySet:
    """Return the compounds whose owners the user may verify (a lazy subquery, no query yet)."""
    return Compound.objects.managed_by(user)


def managed_units(user) -> models.QuerySet:
    """Return the units in the compounds the user manages (lazy)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return Unit.objects.all()
    return Unit.objects.filter(building__compound__in=managed_compounds(user).values("pk"))


def managed_ownerships(user) -> models.QuerySet:
    """Return the ownerships (any status) of units in the compounds the user manages (lazy)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return Ownership.objects.all()
    return Ownership.objects.filter(unit__building__compound__in=managed_compounds(user).values("pk"))


def managed_tenancies(user) -> models.QuerySet:
    """Return the tenancies of units in the compounds the user manages (lazy)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return Tenancy.objects.all()
    return Tenancy.objects.filter(unit__building__compound__in=managed_compounds(user).values("pk"))


def can_manage_unit(user, unit: Unit) -> bool:
    """Return whether the user manages the unit's compound (one query)."""
    if user is None or not user.is_authenticated:
        return False
    return managed_units(user).filter(pk=unit.pk).exists()


def can_verify_ownership(user, ownership: Ownership) -> bool:
    """Return whether the user may verify, reject, end or make voter this ownership (one query)."""
    if user is None or not user.is_authenticated:
        return False
    return managed_compounds(user).filter(buildings__units__id=ownership.unit_id).exists()


def can_end_ownership(user, ownership: Ownership) -> bool:
    """Managers may end any ownership; a resident may withdraw their own unverified claim."""
    if user is None or not user.is_authenticated:
        return False
    if ownership.user_id == user.pk and ownership.status == Ownership.Status.CLAIMED:
        return True
    return can_verify_ownership(user, ownership)

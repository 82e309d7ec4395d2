"""can_<verb>_<x>(user, obj): the checks every view, API view and service asks."""

from __future__ import annotations

from django.db import models


def can_view_place(user, obj: models.Model) -> bool:
    """Return whether the place is in the user's scope (one query)."""
    return type(obj).objects.visible_to(user).filter(pk=obj.pk).exists()


def can_manage_place(user, obj: models.Model) -> bool:
    """Return whether the user manages the place (verify owners, import rosters)."""
    return type(obj).objects.managed_by(user).filter(pk=obj.pk).exists()


def can_assign_role(user, scope: models.Model) -> bool:
    """Return whether the user may give or end roles over `scope`.

    Superusers may; otherwise the user must manage the scope object, which street and district
    staff do for everything below them and community staff do for their grids and compounds.
    A user never assigns over their own scope's peers: a community's staff cannot staff another.
    """
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return can_manage_place(user, scope)

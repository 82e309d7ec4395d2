"""Reads about people, with masking decided once per viewer."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from core.masking import mask_id_number, mask_phone
from governance.models import Community

from .models import Ownership, Tenancy, User


@dataclass(frozen=True)
class ContactPolicy:
    """Whose phone and ID a viewer may read in full: themself, and people of communities they manage."""

    viewer_id: int | None
    superuser: bool
    managed_community_ids: frozenset[int]

    @classmethod
    def for_viewer(cls, viewer) -> ContactPolicy:
        """Build the policy (one query for staff, none for anonymous users)."""
        if not viewer.is_authenticated:
            return cls(None, False, frozenset())
        if viewer.is_superuser:
            return cls(viewer.pk, True, frozenset())
        ids = frozenset(Community.objects.managed_by(viewer).values_list("pk", flat=True))
        return cls(viewer.pk, False, ids)

    def may_read(self, person: User, person_community_ids) -> bool:
        if self.superuser or person.pk == self.viewer_id:
            return True
        return bool(self.managed_community_ids.intersection(person_community_ids))

    def phone(self, person: User, person_community_ids=()) -> str:
        return person.phone if self.may_read(person, person_community_ids) else mask_phone(person.phone)

    def id_number(self, person: User, person_community_ids=()) -> str:
        return person.id_number if self.may_read(person, person_community_ids) else mask_id_number(person.id_number)


def person_community_ids(person: User) -> set[int]:
    """Return the communities of a person's homes, owned or rented.

    Uses `ownerships` and `tenancies` prefetched with their places (see `homes_prefetch`).
    """
    homes = [*person.ownerships.all(), *person.tenancies.all()]
    return {home.unit.building.compound.community_id for home in homes}


def ownerships_prefetch() -> Prefetch:
    return Prefetch(
        "ownerships",
        queryset=Ownership.objects.current().select_related("unit__building__compound"),
    )


def homes_prefetch() -> tuple[Prefetch, Prefetch]:
    """Return the prefetches `person_community_ids` needs: current ownerships and tenancies."""
    tenancies = Prefetch("tenancies", queryset=Tenancy.objects.current().select_related("unit__building__compound"))
    return ownerships_prefetch(), tenancies

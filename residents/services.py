"""Every write about homes: ownership claims and their verification, voters, tenancy.

Each service is one transaction: it locks what it changes, checks who may do it, applies one
allowed transition and writes its audit row. Only verified, current ownership (or verified
tenancy) gives a person rights in a compound (see governance.scoping.resident_unit_q).
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ApplicationError
from governance.models import Unit

from .models import Ownership, Tenancy, User
from .permissions import can_end_ownership, can_manage_unit, can_verify_ownership

Status = Ownership.Status

# The only status moves an ownership may make; ending is a date, not a status.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.CLAIMED: {Status.VERIFIED, Status.REJECTED},
    Status.VERIFIED: set(),
    Status.REJECTED: set(),
}


def _transition(ownership: Ownership, to: str) -> None:
    if to not in ALLOWED_TRANSITIONS[ownership.status]:
        raise ApplicationError(
            _("This claim is already %(status)s.") % {"status": ownership.get_status_display()}, field="status",
            code="conflict",
        )
    ownership.status = to


def _forbidden() -> ApplicationError:
    return ApplicationError(_("You may not verify owners of this compound."), code="forbidden")


def _lock_open_ownerships(unit_id: int) -> list[Ownership]:
    """Lock the unit's open ownerships (in id order, so concurrent calls never deadlock)."""
    return list(Ownership.objects.select_for_update().filter(unit_id=unit_id, end__isnull=True).order_by("pk"))


def _clear_voter(unit_id: int, *, keep: Ownership | None = None) -> list[int]:
    """Take the voter flag off every open verified ownership of the unit but `keep`; return their ids."""
    qs = Ownership.objects.filter(unit_id=unit_id, end__isnull=True, status=Status.VERIFIED, is_voter=True)
    if keep is not None:
        qs = qs.exclude(pk=keep.pk)
    ids = list(qs.values_list("pk", flat=True))
    if ids:
        Ownership.objects.filter(pk__in=ids).update(is_voter=False, updated_at=timezone.now())
    return ids


@transaction.atomic
def ownership_claim(*, user: User, unit: Unit, evidence: str, actor: User) -> Ownership:
    """Record that `user` says they own `unit`; it gives no rights until staff verify it.

    The actor is the person themself, or staff who manage the unit's compound (claiming for an
    elderly resident). Raises ApplicationError when the person already has an open claim or a
    verified ownership of the unit.
    """
    if actor.pk != user.pk and not can_manage_unit(actor, unit):
        raise ApplicationError(_("You may only claim a home for yourself."), field="user", code="forbidden")
    evidence = (evidence or "").strip()
    if not evidence:
        raise ApplicationError(_("Enter the number of your property certificate or purchase contract."), field="evidence")
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    existing = Ownership.objects.filter(unit=unit, user=user, end__isnull=True).exclude(status=Status.REJECTED).first()
    if existing is not None:
        if existing.status == Status.VERIFIED:
            message = _("You are already a verified owner of this unit.")
        else:
            message = _("You have already claimed this unit. Please wait for the community office to verify it.")
        raise ApplicationError(message, field="unit", code="duplicate")
    # The voter is chosen when the claim is verified; a claim never holds the flag.
    ownership = Ownership.objects.create(
        unit=unit, user=user, status=Status.CLAIMED, is_voter=False, evidence=evidence[:200]
    )
    audit(actor=actor, action="ownership.claim", target=ownership, unit=unit.pk, user=user.pk)
    return ownership


@transaction.atomic
def ownership_verify(*, ownership: Ownership, actor: User, is_voter: bool | None = None) -> Ownership:
    """Verify a claim, which gives the owner their rights in the compound.

    `is_voter`: None makes the owner the unit's voter only if it has none yet; True moves the
    voter flag to this owner; False leaves the current voter (a unit must keep one).
    Only staff who manage the unit's compound may call it; raises ApplicationError otherwise,
    or when the claim is not awaiting verification.
    """
    if not can_verify_ownership(actor, ownership):
        raise _forbidden()
    _lock_open_ownerships(ownership.unit_id)
    ownership = Ownership.objects.select_for_update().get(pk=ownership.pk)
    if ownership.end is not None:
        raise ApplicationError(_("This ownership has ended."), field="end", code="conflict")
    _transition(ownership, Status.VERIFIED)
    has_voter = Ownership.objects.filter(
        unit_id=ownership.unit_id, end__isnull=True, status=Status.VERIFIED, is_voter=True
    ).exists()
    if is_voter is False and not has_voter:
        raise ApplicationError(_("This unit has no voter yet, so this owner must be its voter."), field="is_voter")
    make_voter = bool(is_voter) or not has_voter
    moved_from: list[int] = []
    if make_voter:
        # Clear the old voter first: one_voter_per_unit is checked row by row.
        moved_from = _clear_voter(ownership.unit_id, keep=ownership)
    now = timezone.now()
    ownership.is_voter = make_voter
    ownership.verified_at = now
    ownership.verified_by = actor
    ownership.rejection_reason = ""
    ownership.save(update_fields=["status", "is_voter", "verified_at", "verified_by", "rejection_reason", "updated_at"])
    audit(actor=actor, action="ownership.verify", target=ownership, is_voter=make_voter, voter_moved_from=moved_from)
    return ownership


@transaction.atomic
def ownership_reject(*, ownership: Ownership, reason: str, actor: User) -> Ownership:
    """Reject a claim with a reason the resident will read; they may claim again later.

    Only staff who manage the unit's compound may call it. Raises ApplicationError without a
    reason, or when the claim is not awaiting verification.
    """
    if not can_verify_ownership(actor, ownership):
        raise _forbidden()
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Tell the resident why the claim is rejected."), field="reason")
    ownership = Ownership.objects.select_for_update().get(pk=ownership.pk)
    _transition(ownership, Status.REJECTED)
    ownership.rejection_reason = reason[:200]
    ownership.is_voter = False
    ownership.save(update_fields=["status", "rejection_reason", "is_voter", "updated_at"])
    audit(actor=actor, action="ownership.reject", target=ownership, reason=ownership.rejection_reason)
    return ownership


@transaction.atomic
def ownership_set_voter(*, unit: Unit, ownership: Ownership, actor: User) -> Ownership:
    """Make `ownership` the designated voter of `unit`; co-owners name exactly one (民法典 第278条).

    The flag moves in one transaction: the old voter is cleared first, so the database
    constraint one_voter_per_unit holds at every statement. Only managers of the compound.
    """
    if ownership.unit_id != unit.pk:
        raise ApplicationError(_("This owner does not own this unit."), field="ownership")
    if not can_verify_ownership(actor, ownership):
        raise _forbidden()
    _lock_open_ownerships(unit.pk)
    ownership = Ownership.objects.select_for_update().get(pk=ownership.pk)
    if ownership.status != Status.VERIFIED or ownership.end is not None:
        raise ApplicationError(_("Only a verified, current owner can be the voter."), field="ownership")
    if ownership.is_voter:
        return ownership
    moved_from = _clear_voter(unit.pk, keep=ownership)
    ownership.is_voter = True
    ownership.save(update_fields=["is_voter", "updated_at"])
    audit(actor=actor, action="ownership.set_voter", target=ownership, unit=unit.pk, voter_moved_from=moved_from)
    return ownership


@transaction.atomic
def ownership_end(*, ownership: Ownership, actor: User, end: date | None = None) -> Ownership:
    """End an ownership (the flat was sold) or withdraw a claim; its rights stop after `end`.

    `end` defaults to today and may not lie in the future, so a unit never has two voters on
    one day. If the voter leaves, the longest-verified remaining co-owner becomes the voter.
    Managers of the compound may end any ownership; a resident may withdraw their own claim.
    """
    if not can_end_ownership(actor, ownership):
        raise _forbidden()
    today = timezone.localdate()
    end = end or today
    if end > today:
        raise ApplicationError(_("The end date cannot be in the future."), field="end")
    _lock_open_ownerships(ownership.unit_id)
    ownership = Ownership.objects.select_for_update().get(pk=ownership.pk)
    if ownership.end is not None:
        raise ApplicationError(_("This ownership has ended."), field="end", code="conflict")
    if end < ownership.start:
        raise ApplicationError(_("The end date cannot be before the start date."), field="end")
    was_voter = ownership.status == Status.VERIFIED and ownership.is_voter
    ownership.end = end
    ownership.is_voter = False
    ownership.save(update_fields=["end", "is_voter", "updated_at"])
    new_voter = None
    if was_voter:
        new_voter = (
            Ownership.objects.filter(unit_id=ownership.unit_id, end__isnull=True, status=Status.VERIFIED)
            .order_by("verified_at", "pk")
            .first()
        )
        if new_voter is not None:
            new_voter.is_voter = True
            new_voter.save(update_fields=["is_voter", "updated_at"])
    audit(
        actor=actor, action="ownership.end", target=ownership, end=end.isoformat(),
        new_voter=new_voter.pk if new_voter else None,
    )
    return ownership


@transaction.atomic
def tenancy_register(*, user: User, unit: Unit, start: date, end: date | None = None, actor: User) -> Tenancy:
    """Record a tenant of a unit; staff have seen the lease, so it is verified at once.

    Only managers of the unit's compound. Raises ApplicationError for an empty period or when
    the person already has an open tenancy of the unit.
    """
    if not can_manage_unit(actor, unit):
        raise ApplicationError(_("You may not register tenants in this compound."), code="forbidden")
    if end is not None and end < start:
        raise ApplicationError(_("The end date cannot be before the start date."), field="end")
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    overlapping = Tenancy.objects.filter(Q(end__isnull=True) | Q(end__gte=start), unit=unit, user=user)
    if end is not None:
        overlapping = overlapping.filter(start__lte=end)
    if overlapping.exists():
        raise ApplicationError(_("This person is already a tenant of this unit."), field="user", code="duplicate")
    tenancy = Tenancy.objects.create(
        unit=unit, user=user, start=start, end=end, verified_at=timezone.now(), verified_by=actor
    )
    audit(actor=actor, action="tenancy.register", target=tenancy, unit=unit.pk, user=user.pk, start=start.isoformat())
    return tenancy


@transaction.atomic
def tenancy_end(*, tenancy: Tenancy, actor: User, end: date | None = None) -> Tenancy:
    """End a tenancy (defaults to today). Only managers of the unit's compound."""
    if not can_manage_unit(actor, tenancy.unit):
        raise ApplicationError(_("You may not register tenants in this compound."), code="forbidden")
    tenancy = Tenancy.objects.select_for_update().get(pk=tenancy.pk)
    end = end or timezone.localdate()
    if tenancy.end is not None and tenancy.end <= timezone.localdate():
        raise ApplicationError(_("This tenancy has ended."), field="end", code="conflict")
    if end < tenancy.start:
        raise ApplicationError(_("The end date cannot be before the start date."), field="end")
    tenancy.end = end
    tenancy.save(update_fields=["end", "updated_at"])
    audit(actor=actor, action="tenancy.end", target=tenancy, end=end.isoformat())
    return tenancy

"""Every write to the governance map. Each service is one transaction with its audit row."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from core.audit import audit
from core.errors import ApplicationError

from .models import (
    DEFAULT_TIME_LIMITS,
    ROLE_PERMISSIONS,
    ROLE_SCOPE_FIELD,
    Department,
    DepartmentTimeLimit,
    District,
    RoleAssignment,
)
from .permissions import can_assign_role


def _perm_names(assignment: RoleAssignment) -> list[str]:
    model_name = assignment.scope._meta.model_name
    return [f"governance.{action}_{model_name}" for action in ROLE_PERMISSIONS[assignment.role]]


def _grant(assignment: RoleAssignment) -> None:
    for perm in _perm_names(assignment):
        assign_perm(perm, assignment.user, assignment.scope)
    assignment.granted = True
    assignment.save(update_fields=["granted", "updated_at"])


def _revoke(assignment: RoleAssignment, *, now: datetime) -> None:
    """Remove the grants unless another active assignment of the user still needs them."""
    scope_field = ROLE_SCOPE_FIELD[assignment.role]
    still_needed: set[str] = set()
    others = (
        RoleAssignment.objects.active(now)
        .filter(user_id=assignment.user_id, **{scope_field: assignment.scope})
        .exclude(pk=assignment.pk)
    )
    for other in others:
        still_needed.update(_perm_names(other))
    for perm in _perm_names(assignment):
        if perm not in still_needed:
            remove_perm(perm, assignment.user, assignment.scope)
    assignment.granted = False
    assignment.save(update_fields=["granted", "updated_at"])


@transaction.atomic
def role_assignment_create(
    *, user, role: str, scope, actor, start: datetime | None = None, end: datetime | None = None
) -> RoleAssignment:
    """Give `user` a staff role over `scope` and grant its object permissions when it is active.

    The actor must manage the scope (see permissions.can_assign_role). Raises ApplicationError
    when the scope does not fit the role or the period is empty.
    """
    if role not in ROLE_SCOPE_FIELD:
        raise ApplicationError(_("Unknown role."), field="role")
    field = ROLE_SCOPE_FIELD[role]
    expected = RoleAssignment._meta.get_field(field).related_model
    if not isinstance(scope, expected):
        raise ApplicationError(
            _("This role needs a scope of type %(type)s.") % {"type": expected._meta.verbose_name}, field="scope"
        )
    if not can_assign_role(actor, scope):
        raise ApplicationError(_("You may not assign roles in this scope."), field="scope", code="forbidden")
    now = timezone.now()
    start = start or now
    if end is not None and end <= start:
        raise ApplicationError(_("The end must be after the start."), field="end")
    assignment = RoleAssignment.objects.create(
        user=user, role=role, start=start, end=end, created_by=actor, **{field: scope}
    )
    if assignment.is_active(now):
        _grant(assignment)
    audit(actor=actor, action="role.create", target=assignment, user=user.pk, role=role, scope=str(scope))
    return assignment


@transaction.atomic
def role_assignment_end(*, assignment: RoleAssignment, actor, at: datetime | None = None) -> RoleAssignment:
    """End a role now (or at `at`) and revoke its grants at once if it is over."""
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if not can_assign_role(actor, assignment.scope):
        raise ApplicationError(_("You may not end roles in this scope."), code="forbidden")
    now = timezone.now()
    at = at or now
    if assignment.end is not None and assignment.end <= now:
        raise ApplicationError(_("This role has already ended."), field="end")
    # A role cancelled before it began ends a moment after its start (the period is never empty).
    at = max(at, assignment.start + timedelta(microseconds=1))
    assignment.end = at
    assignment.save(update_fields=["end", "updated_at"])
    if assignment.granted and not assignment.is_active(now):
        _revoke(assignment, now=now)
    audit(actor=actor, action="role.end", target=assignment, end=at.isoformat())
    return assignment


def role_grants_sync(*, now: datetime | None = None) -> dict[str, int]:
    """Grant roles whose start has come and revoke roles whose end has passed.

    Idempotent: `granted` records what was done, and each row is locked while it changes,
    so concurrent sweepers never grant or revoke twice. Called every minute by Celery beat.
    """
    now = now or timezone.now()
    counts = {"granted": 0, "revoked": 0}
    to_grant = RoleAssignment.objects.active(now).filter(granted=False).values_list("pk", flat=True)
    to_revoke = (
        RoleAssignment.objects.filter(granted=True, end__isnull=False, end__lte=now).values_list("pk", flat=True)
    )
    for pk in list(to_grant):
        with transaction.atomic():
            row = RoleAssignment.objects.select_for_update(skip_locked=True).filter(pk=pk, granted=False).first()
            if row and row.is_active(now):
                _grant(row)
                audit(actor=None, action="role.granted", target=row)
                counts["granted"] += 1
    for pk in list(to_revoke):
        with transaction.atomic():
            row = RoleAssignment.objects.select_for_update(skip_locked=True).filter(pk=pk, granted=True).first()
            if row and not row.is_active(now):
                _revoke(row, now=now)
                audit(actor=None, action="role.revoked", target=row)
                counts["revoked"] += 1
    return counts


@transaction.atomic
def department_create(*, district: District, name: str, actor, short_name: str = "", duty_phone: str = "") -> Department:
    """Create a functional department with the default time limits of every urgency tier."""
    if Department.objects.filter(district=district, name=name).exists():
        raise ApplicationError(_("A department with this name already exists."), field="name")
    department = Department.objects.create(district=district, name=name, short_name=short_name, duty_phone=duty_phone)
    DepartmentTimeLimit.objects.bulk_create(
        DepartmentTimeLimit(department=department, tier=tier, acknowledge_hours=ack, handle_hours=handle)
        for tier, (ack, handle) in DEFAULT_TIME_LIMITS.items()
    )
    audit(actor=actor, action="department.create", target=department, name=name)
    return department

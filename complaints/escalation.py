"""The deadline sweeper: reminder (催办) to the handler, then supervision (督办) to the street office.

Each escalation has a unique key (what, which step, which deadline, which level), so sweeping twice,
or on two workers at once, raises each one exactly once: the second INSERT meets the unique index.
A deadline that moves (an extension, a paused clock) is a new step and may escalate again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from governance.models import Role, RoleAssignment, UrgencyTier

from . import services
from .models import Complaint, Dispatch, DispatchStatus, Escalation, Status

SUPERVISE_AFTER = {
    UrgencyTier.EMERGENCY: timedelta(hours=1),
    UrgencyTier.UTILITIES: timedelta(hours=4),
    UrgencyTier.GENERAL: timedelta(hours=24),
    UrgencyTier.COMPLEX: timedelta(hours=48),
}
SWEEP_BATCH = 500


def _street_staff(complaint: Complaint) -> list:
    from residents.models import User

    roles = RoleAssignment.objects.active().filter(role=Role.STREET_STAFF, street_id=complaint.compound.community.street_id)
    return list(User.objects.filter(roles__in=roles).distinct())


def _key(*, complaint: Complaint, dispatch: Dispatch | None, step: str, due: datetime, level: str) -> str:
    target = f"d{dispatch.pk}" if dispatch else f"c{complaint.pk}"
    return f"{target}:{step}:{int(due.timestamp())}:{level}"


def _raise(*, complaint: Complaint, dispatch: Dispatch | None, step: str, due: datetime, level: str, now: datetime) -> bool:
    """Record one escalation with its timeline row and notifications; False if it already exists."""
    key = _key(complaint=complaint, dispatch=dispatch, step=step, due=due, level=level)
    try:
        with transaction.atomic():
            Escalation.objects.create(complaint=complaint, dispatch=dispatch, step=step, level=level, key=key, due_at=due)
            event = services._event(
                complaint, kind=f"escalation_{level}", actor=None, dispatch=dispatch, step=step, due_at=due.isoformat(),
                handler=dispatch.handler_name if dispatch else "",
            )
            if level == Escalation.Level.REMINDER:
                people = services._handlers(dispatch) if dispatch else services._managers(complaint)
                title = gettext_noop("Reminder: case %(number)s is overdue")
            else:
                people = _street_staff(complaint)
                title = gettext_noop("Supervision: case %(number)s is overdue")
            services._notify(people, complaint, event=event, title=title)
    except IntegrityError:
        return False
    return True


def _levels(due: datetime, tier: str, now: datetime) -> list[str]:
    levels = [Escalation.Level.REMINDER] if now >= due else []
    if now >= due + SUPERVISE_AFTER.get(tier, SUPERVISE_AFTER[UrgencyTier.GENERAL]):
        levels.append(Escalation.Level.SUPERVISION)
    return levels


def _overdue_steps(now: datetime) -> Iterator[tuple[Complaint, Dispatch | None, str, datetime, str]]:
    """Yield every overdue step (case, dispatch, step, due, tier); paused cases have no overdue step."""
    cases = Complaint.objects.select_related("compound__community").filter(paused_at__isnull=True)
    for c in cases.filter(status=Status.SUBMITTED, accept_due_at__lt=now).iterator(chunk_size=SWEEP_BATCH):
        yield c, None, "accept", c.accept_due_at, c.urgency
    handling = cases.filter(status__in=[Status.ACCEPTED, Status.HANDLING, Status.RESOLVED], handle_due_at__lt=now)
    for c in handling.iterator(chunk_size=SWEEP_BATCH):
        yield c, None, "handle", c.handle_due_at, c.urgency
    dispatches = Dispatch.objects.open().overdue(now).select_related(
        "complaint__compound__community", "department", "property_company"
    )
    for d in dispatches.iterator(chunk_size=SWEEP_BATCH):
        if d.status == DispatchStatus.PENDING and d.acknowledge_due_at < now:
            yield d.complaint, d, "acknowledge", d.acknowledge_due_at, d.tier
        if d.handle_due_at < now:
            yield d.complaint, d, "dispatch_handle", d.handle_due_at, d.tier


def escalations_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Escalate every overdue step once and close unconfirmed cases. Safe to run anywhere, any number of times.

    All overdue steps are walked (in chunks), not only the first few hundred: steps escalated
    before stay overdue, and a fixed slice would hide everything behind them for ever. Keys
    already raised are skipped with one query per chunk; the unique key still settles races.
    """
    now = now or timezone.now()
    counts = {"reminder": 0, "supervision": 0, "closed_unconfirmed": 0}
    steps = _overdue_steps(now)
    while chunk := list(islice(steps, SWEEP_BATCH)):
        wanted = [
            (complaint, dispatch, step, due, level, _key(complaint=complaint, dispatch=dispatch, step=step, due=due, level=level))
            for complaint, dispatch, step, due, tier in chunk
            for level in _levels(due, tier, now)
        ]
        raised = set(Escalation.objects.filter(key__in=[w[-1] for w in wanted]).values_list("key", flat=True))
        for complaint, dispatch, step, due, level, key in wanted:
            if key not in raised and _raise(complaint=complaint, dispatch=dispatch, step=step, due=due, level=level, now=now):
                counts[level] += 1
    due_confirmations = Complaint.objects.filter(status=Status.AWAITING_CONFIRMATION, confirm_due_at__lte=now)
    for complaint in due_confirmations[:SWEEP_BATCH]:
        if services.complaint_close_unconfirmed(complaint=complaint, now=now):
            counts["closed_unconfirmed"] += 1
    return counts

"""Reads for the case pages: whose eyes see what, and lists with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance.models import Compound, Unit
from governance.scoping import resident_unit_ids

from . import permissions
from .models import (
    Attachment,
    Complaint,
    Dispatch,
    Follower,
    Status,
    TimelineEvent,
)

# What each timeline row says, by its kind. Escalations are keyed by level.
EVENT_LABELS = {
    "filed": gettext_lazy("Case reported"),
    "me_too": gettext_lazy("A neighbour has the same problem (我也遇到)"),
    "accepted": gettext_lazy("Accepted by the community"),
    "rejected": gettext_lazy("Not accepted"),
    "recategorized": gettext_lazy("Category or urgency changed"),
    "info_requested": gettext_lazy("More information asked from the reporter"),
    "info_provided": gettext_lazy("The reporter answered"),
    "merged": gettext_lazy("Merged into another case"),
    "absorbed": gettext_lazy("A case about the same problem was merged into this one"),
    "whistled": gettext_lazy("Whistled to a department (吹哨)"),
    "assigned": gettext_lazy("Assigned to a handler in the compound"),
    "acknowledged": gettext_lazy("The handler acknowledged (签收)"),
    "contact_recorded": gettext_lazy("The handler contacted the resident"),
    "arrival_recorded": gettext_lazy("The handler arrived on site"),
    "dispatch_resolved": gettext_lazy("The handler reported the work done"),
    "resolved": gettext_lazy("Resolved"),
    "back_to_community": gettext_lazy("Back with the community"),
    "returned": gettext_lazy("Returned by the handler"),
    "extension_requested": gettext_lazy("More time asked for"),
    "extension_approved": gettext_lazy("More time approved"),
    "extension_refused": gettext_lazy("More time refused"),
    "parked": gettext_lazy("Parked with a plan (挂账)"),
    "dispatch_rated": gettext_lazy("The community rated the handler"),
    "verified": gettext_lazy("Checked on site: done"),
    "verification_failed": gettext_lazy("Checked on site: not done yet"),
    "confirmed": gettext_lazy("The resident confirmed and rated"),
    "reopened": gettext_lazy("The resident reopened the case"),
    "reopened_by_survey": gettext_lazy("Reopened: the follow-up survey says it is not solved"),
    "closed_unconfirmed": gettext_lazy("Closed without the resident's answer"),
    "comment": gettext_lazy("Comment"),
    "escalation_reminder": gettext_lazy("Reminder sent: a step is overdue (催办)"),
    "escalation_supervision": gettext_lazy("Supervision by the street office (督办)"),
}

MY_CASES_PAGE_SIZE = 20
BOARD_PAGE_SIZE = 20


def is_case_staff(user, complaint: Complaint) -> bool:
    """Return whether the user sees the case as staff: its compound is in their staff scope, or they handle it.

    Costs one query (two for a user who is neither).
    """
    if user.is_superuser:
        return True
    if Compound.objects.visible_to(user, as_staff=True).filter(pk=complaint.compound_id).exists():
        return True
    return permissions.handled_dispatches(user).filter(complaint_id=complaint.pk).exists()


def user_home_units(user) -> QuerySet:
    """Return the units the user owns or rents (verified, current): found by key, whatever the district's size."""
    return Unit.objects.filter(id__in=resident_unit_ids(user))


def home_compounds(user) -> QuerySet:
    """Return the compounds of the user's own homes (not their staff scope)."""
    return Compound.objects.filter(id__in=user_home_units(user).values("building__compound_id")).order_by("name")


def my_cases(user, *, status: str = "", category: str = "") -> QuerySet:
    """Return the cases the user reported or follows, newest first (one query per page)."""
    qs = Complaint.objects.filter(
        Q(reporter_id=user.pk) | Q(id__in=Follower.objects.filter(user_id=user.pk).values("complaint_id"))
    ).select_related("compound", "building")
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("-created_at", "-id")


def overdue_ids(cases) -> set[int]:
    """Return which of the given cases have an overdue step (one query)."""
    ids = [c.pk for c in cases]
    if not ids:
        return set()
    return set(Complaint.objects.filter(pk__in=ids).overdue().values_list("pk", flat=True))


def board_cases(user, compound: Compound) -> QuerySet:
    """Return a compound's open cases for its public board, with how many follow each and whether the user does.

    Only what carries no personal data is used by the board: number, title, category, building, status, dates.
    """
    return (
        Complaint.objects.open()
        .filter(compound=compound)
        .select_related("building")
        .annotate(
            n_followers=Count("followers", distinct=True),
            i_follow=Exists(Follower.objects.filter(complaint_id=OuterRef("pk"), user_id=user.pk)),
        )
        .order_by("-created_at", "-id")
    )


def case_for_page(user, pk: int) -> Complaint:
    """Return the case with what its page shows in the same query; raises DoesNotExist out of scope."""
    return (
        Complaint.objects.visible_to(user)
        .select_related("compound", "building", "unit__building", "reporter", "filed_by", "merged_into")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class Deadline:
    label: str
    due_at: datetime
    overdue: bool


def case_deadlines(complaint: Complaint, now: datetime | None = None) -> list[Deadline]:
    """Return the case's deadlines that apply now, each flagged when passed (a paused clock is never overdue)."""
    now = now or timezone.now()
    running = complaint.paused_at is None
    rows = []
    if complaint.accept_due_at:
        late = running and complaint.status == Status.SUBMITTED and complaint.accept_due_at < now
        rows.append(Deadline(_("Accept by"), complaint.accept_due_at, late))
    if complaint.handle_due_at:
        late = running and complaint.status in (Status.ACCEPTED, Status.HANDLING, Status.RESOLVED) and complaint.handle_due_at < now
        rows.append(Deadline(_("Handle by"), complaint.handle_due_at, late))
    if complaint.confirm_due_at and complaint.status == Status.AWAITING_CONFIRMATION:
        rows.append(Deadline(_("Confirm by"), complaint.confirm_due_at, False))
    return rows


def case_dispatches(complaint: Complaint, now: datetime | None = None) -> list[Dispatch]:
    """Return the case's dispatches, each with `ack_overdue` and `handle_overdue` flags (one query)."""
    now = now or timezone.now()
    running = complaint.paused_at is None
    rows = list(complaint.dispatches.select_related("department", "property_company").order_by("id"))
    for d in rows:
        is_open = d.status in ("pending", "acknowledged", "extension_requested")
        d.is_open = is_open
        d.ack_overdue = running and d.status == "pending" and d.acknowledge_due_at < now
        d.handle_overdue = running and is_open and d.handle_due_at < now
    return rows


def case_escalations(complaint: Complaint) -> list:
    return list(complaint.escalations.select_related("dispatch__department", "dispatch__property_company"))


def case_timeline(complaint: Complaint, *, staff: bool) -> list[TimelineEvent]:
    """Return the timeline (internal notes only for staff) with actors and photos (two queries)."""
    qs = complaint.timeline.select_related("actor").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
    )
    if not staff:
        qs = qs.filter(internal=False)
    return list(qs.order_by("created_at", "id"))


class NamePolicy:
    """Decide how a person is named on a case page for one viewer.

    Staff see every name. Others see their own name, staff names, and the reporter's name unless the
    reporter hid it; other residents (neighbours who joined, commenters) stay "a neighbour".
    """

    def __init__(self, viewer, complaint: Complaint, *, staff: bool, resident_ids: set[int]):
        self.viewer = viewer
        self.complaint = complaint
        self.staff = staff
        self.resident_ids = resident_ids

    def reporter_name(self) -> str:
        c = self.complaint
        if self.staff or c.reporter_id == self.viewer.pk or not c.hide_name:
            return c.reporter.real_name
        return _("Name hidden")

    def actor_name(self, actor) -> str:
        if actor is None:
            return _("System")
        if actor.pk == self.viewer.pk:
            return _("Me") if not self.staff else actor.real_name
        if self.staff:
            return actor.real_name
        if actor.pk == self.complaint.reporter_id:
            return self.reporter_name() if not self.complaint.hide_name else _("The reporter")
        if actor.pk in self.resident_ids:
            return _("A neighbour")
        return actor.real_name


def resident_ids(complaint: Complaint) -> set[int]:
    """Return the ids of the case's reporter and followers: residents, whose names are private (one query)."""
    ids = set(complaint.followers.values_list("user_id", flat=True))
    ids.add(complaint.reporter_id)
    return ids

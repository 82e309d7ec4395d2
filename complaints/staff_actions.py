"""The staff side of a case page: which action panels a user gets, with every flag computed here.

`panel_context` costs a constant number of queries (at most five: the manager check, the case's
dispatches with a "mine" flag, the street check, the merge candidates, the district's departments),
whatever the number of dispatches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Department, Street

from . import permissions
from .models import Complaint, Dispatch, DispatchStatus, HandlerKind, Status
from .services import ALLOWED, DISPATCH_ALLOWED
from .staff_forms import (
    AcceptForm,
    DispatchForm,
    ExtensionDecisionForm,
    ExtensionForm,
    MergeForm,
    ParkForm,
    RateForm,
    RecategorizeForm,
    RejectForm,
    RequestInfoForm,
    ResolveForm,
    ReturnForm,
    VerifyForm,
)

# Form prefixes, shared by the panel (rendering) and the views (reading the POST).
PREFIX = {
    "accept": "accept", "reject": "reject", "request_info": "ask", "merge": "merge", "recategorize": "recat",
    "dispatch": "dispatch", "verify": "verify",
}


def dispatch_prefix(dispatch_id: int, action: str) -> str:
    return f"d{dispatch_id}-{action}"


@dataclass(frozen=True)
class Countdown:
    text: str
    overdue: bool
    paused: bool = False


def countdown(due: datetime | None, *, now: datetime | None = None, paused: bool = False) -> Countdown | None:
    """Return "还剩 X 小时" / "已超时 X 小时" for a deadline (None without one)."""
    if due is None:
        return None
    if paused:
        return Countdown(_("clock paused"), overdue=False, paused=True)
    now = now or timezone.now()
    seconds = (due - now).total_seconds()
    hours = math.floor(abs(seconds) / 3600)
    if seconds >= 0:
        text = _("%(hours)s hours left") % {"hours": hours} if hours else _("less than an hour left")
        return Countdown(text, overdue=False)
    text = _("%(hours)s hours overdue") % {"hours": hours} if hours else _("less than an hour overdue")
    return Countdown(text, overdue=True)


def district_departments(complaint: Complaint):
    """Return the departments of the case's district (one query when evaluated)."""
    return Department.objects.filter(district__streets__communities__compounds=complaint.compound_id).order_by("name")


def merge_candidates(complaint: Complaint):
    """Return the other open cases of the same compound a case may be merged into."""
    return (
        Complaint.objects.open()
        .filter(compound_id=complaint.compound_id)
        .exclude(pk=complaint.pk)
        .only("id", "number", "title")
        .order_by("-created_at", "-id")[:100]
    )


def _dispatch_rows(user, complaint: Complaint) -> list[Dispatch]:
    mine = permissions.handled_dispatches(user).filter(pk=OuterRef("pk"))
    return list(
        Dispatch.objects.filter(complaint_id=complaint.pk)
        .select_related("department", "property_company")
        .annotate(mine=Exists(mine))
        .order_by("id")
    )


def panel_context(user, complaint) -> dict:
    """Return the context the staff action panel of `complaint` needs for `user` (empty: no panel)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    manager = permissions.is_case_manager(user, complaint)
    dispatches = _dispatch_rows(user, complaint)
    approver = False
    if any(d.status == DispatchStatus.EXTENSION_REQUESTED for d in dispatches):
        approver = user.is_superuser or Street.objects.managed_by(user).filter(
            communities__compounds=complaint.compound_id
        ).exists()
    mine = [d for d in dispatches if d.mine and d.status in (
        DispatchStatus.PENDING, DispatchStatus.ACKNOWLEDGED, DispatchStatus.EXTENSION_REQUESTED)]
    to_rate = [
        d for d in dispatches
        if manager and d.handler_kind == HandlerKind.DEPARTMENT and d.status in DISPATCH_ALLOWED["rate"]
        and d.community_score is None
    ]
    to_decide = [d for d in dispatches if approver and d.status == DispatchStatus.EXTENSION_REQUESTED]
    if not (manager or mine or to_decide):
        return {}

    status = complaint.status
    version = complaint.version
    initial = {"version": version}
    can = {action: manager and status in ALLOWED[action] for action in
           ("accept", "reject", "request_info", "merge", "recategorize", "dispatch", "verify")}
    need_departments = can["dispatch"] or any(d.handler_kind == HandlerKind.DEPARTMENT for d in mine)
    departments = list(district_departments(complaint)) if need_departments else []
    cases = list(merge_candidates(complaint)) if can["merge"] else []
    case_initial = {**initial, "category": complaint.category, "urgency": complaint.urgency}
    now = timezone.now()
    paused = complaint.paused_at is not None

    handler_cards = []
    for d in mine:
        allowed = {a for a, states in DISPATCH_ALLOWED.items() if d.status in states}
        is_department = d.handler_kind == HandlerKind.DEPARTMENT
        others = [dep for dep in departments if dep.pk != d.department_id]
        handler_cards.append({
            "dispatch": d,
            "acknowledge_countdown": countdown(d.acknowledge_due_at, now=now, paused=paused)
            if d.status == DispatchStatus.PENDING else None,
            "handle_countdown": countdown(d.handle_due_at, now=now, paused=paused),
            "can_acknowledge": "acknowledge" in allowed,
            "can_contact": "record_contact" in allowed,
            "can_arrive": "record_arrival" in allowed,
            "can_resolve": "resolve" in allowed,
            "can_return": "return" in allowed,
            "can_extend": "request_extension" in allowed,
            "can_park": "park" in allowed and is_department,
            "is_department": is_department,
            "resolve_form": ResolveForm(prefix=dispatch_prefix(d.pk, "resolve"), initial=initial),
            "return_form": ReturnForm(prefix=dispatch_prefix(d.pk, "return"), initial=initial, departments=others),
            "extension_form": ExtensionForm(prefix=dispatch_prefix(d.pk, "extension"), initial=initial),
            "park_form": ParkForm(prefix=dispatch_prefix(d.pk, "park"), initial=initial),
            "plain_prefix": dispatch_prefix(d.pk, "step"),
        })

    panel = {
        "is_manager": manager,
        "version": version,
        "can": can,
        "can_any_triage": any(can[a] for a in ("accept", "reject", "request_info", "merge", "recategorize")),
        "is_paused": paused,
        "accept_form": AcceptForm(prefix=PREFIX["accept"], initial=case_initial) if can["accept"] else None,
        "reject_form": RejectForm(prefix=PREFIX["reject"], initial=initial) if can["reject"] else None,
        "request_info_form": RequestInfoForm(prefix=PREFIX["request_info"], initial=initial)
        if can["request_info"] else None,
        "merge_form": MergeForm(prefix=PREFIX["merge"], initial=initial, cases=cases) if can["merge"] and cases else None,
        "recategorize_form": RecategorizeForm(prefix=PREFIX["recategorize"], initial=case_initial)
        if can["recategorize"] else None,
        "dispatch_form": DispatchForm(
            prefix=PREFIX["dispatch"], initial={**initial, "handler_kind": HandlerKind.DEPARTMENT},
            departments=departments,
        ) if can["dispatch"] else None,
        "verify_form": VerifyForm(prefix=PREFIX["verify"], initial=initial) if can["verify"] else None,
        "handler_cards": handler_cards,
        "rate_cards": [
            {"dispatch": d, "form": RateForm(prefix=dispatch_prefix(d.pk, "rate"), initial=initial)} for d in to_rate
        ],
        "decide_cards": [
            {"dispatch": d, "form": ExtensionDecisionForm(prefix=dispatch_prefix(d.pk, "decide"), initial=initial)}
            for d in to_decide
        ],
        "needs_verification": status == Status.RESOLVED,
    }
    return {"staff_panel": panel}

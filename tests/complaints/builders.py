"""Put a case (or a dispatch) into any state through the services, as people would.

Only states no service produces (a withdrawn dispatch) are written to the row directly.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from complaints import services
from complaints.models import Answer, Complaint, Dispatch, DispatchStatus, HandlerKind, Rating, Status


def file_case(w, *, reporter=None, category: str = "facilities", urgency: str = "general", title: str = "楼道灯坏了") -> Complaint:
    return services.complaint_file(
        actor=reporter or w["resident"], compound=w["compound"], category=category, urgency=urgency, title=title,
        description="3栋2单元楼道灯坏了一周", place_kind="building", building=w["building"],
    )


def accepted_case(w, **kwargs) -> Complaint:
    case = file_case(w, **kwargs)
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    case.refresh_from_db()
    return case


def whistled(w, *, department=None, **kwargs) -> Dispatch:
    """Return a department dispatch of a freshly accepted case (the case is then “handling”)."""
    case = accepted_case(w, **kwargs)
    return services.complaint_dispatch(
        complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT,
        department=department or w["department"],
    )


def case_in(w, status: str) -> Complaint:
    """Return a case of side "a" in `status`, reached through the services."""
    staff, dept = w["community_staff"], w["department_staff"]
    if status == Status.SUBMITTED:
        return file_case(w)
    if status == Status.REJECTED:
        case = file_case(w)
        services.complaint_reject(complaint=case, actor=staff, reason="不属于社区受理范围")
    elif status == Status.MERGED:
        survivor = file_case(w, title="同一盏灯")
        case = file_case(w)
        services.complaint_merge(complaint=case, into=survivor, actor=staff)
    elif status == Status.NEEDS_INFO:
        case = file_case(w)
        services.complaint_request_info(complaint=case, actor=staff, question="是几单元？")
    elif status == Status.ACCEPTED:
        case = accepted_case(w)
    elif status == Status.HANDLING:
        case = whistled(w).complaint
    elif status == Status.PARKED:
        dispatch = whistled(w)
        services.dispatch_acknowledge(dispatch=dispatch, actor=dept)
        services.dispatch_park(dispatch=dispatch, actor=dept, plan="列入明年改造计划")
        case = dispatch.complaint
    else:
        dispatch = whistled(w)
        services.dispatch_acknowledge(dispatch=dispatch, actor=dept)
        services.dispatch_resolve(dispatch=dispatch, actor=dept, result="已修好")
        case = dispatch.complaint
        if status != Status.RESOLVED:
            services.complaint_verify(complaint=case, actor=staff, passed=True)
        if status == Status.CLOSED:
            services.complaint_confirm(complaint=case, actor=w["resident"], answer=Answer.SOLVED, rating=Rating.SATISFIED)
        elif status == Status.CLOSED_UNCONFIRMED:
            services.complaint_close_unconfirmed(complaint=case, now=timezone.now() + timedelta(days=8))
    case.refresh_from_db()
    assert case.status == status, (case.status, status)
    return case


def dispatch_in(w, status: str, *, handler_kind: str = HandlerKind.DEPARTMENT) -> Dispatch:
    """Return a dispatch in `status` (a department's unless `handler_kind` says otherwise)."""
    if handler_kind == HandlerKind.DEPARTMENT:
        dispatch = whistled(w)
        worker = w["department_staff"]
    else:
        case = accepted_case(w)
        dispatch = services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind=handler_kind)
        worker = w["property_staff"] if handler_kind == HandlerKind.PROPERTY else w["secretary"]
    D = DispatchStatus
    if status == D.RETURNED:
        services.dispatch_return(dispatch=dispatch, actor=worker, reason="不归我们管", belongs_to=w["other_department"])
    elif status == D.WITHDRAWN:
        Dispatch.objects.filter(pk=dispatch.pk).update(status=D.WITHDRAWN)  # no service withdraws yet
    elif status != D.PENDING:
        services.dispatch_acknowledge(dispatch=dispatch, actor=worker)
        if status == D.EXTENSION_REQUESTED:
            services.dispatch_request_extension(dispatch=dispatch, actor=worker, hours=48, reason="等配件")
        elif status == D.RESOLVED:
            services.dispatch_resolve(dispatch=dispatch, actor=worker, result="已修好")
        elif status == D.PARKED:
            services.dispatch_park(dispatch=dispatch, actor=worker, plan="列入明年改造计划")
    dispatch.refresh_from_db()
    assert dispatch.status == status, (dispatch.status, status)
    return dispatch


def with_neighbour(case_world) -> dict:
    """Add a neighbour in the same compound (a verified owner of the second unit); the conftest's
    "neighbour" lives in the other community and so is an outsider resident here."""
    from tests import factories

    neighbour = factories.OwnershipFactory(unit=case_world["units"][1]).user
    return {**case_world, "neighbour": neighbour, "outsider_resident": case_world["neighbour"]}

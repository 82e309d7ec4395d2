"""Every allowed and every forbidden transition, by state and by role, driven by services.ALLOWED.

A case (or a dispatch) is put in each state through the services; each action must succeed exactly
in the states its table row names and be refused with code "conflict" in all others. Each role may
act exactly where the rules say; everyone else is refused with code "forbidden".
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import (
    Answer,
    Complaint,
    Dispatch,
    DispatchStatus,
    HandlerKind,
    Rating,
    Status,
    TimelineEvent,
)
from core.errors import ApplicationError

from .builders import case_in, dispatch_in, file_case, with_neighbour

pytestmark = pytest.mark.django_db

ROLES = (
    "resident", "neighbour", "community_staff", "street_staff", "grid_worker", "property_staff", "secretary",
    "department_staff", "other_department_staff", "outsider_staff", "outsider_resident",
)
MANAGERS = frozenset({"community_staff", "street_staff"})
COMPOUND_PEOPLE = frozenset({"resident", "neighbour", "grid_worker", "property_staff", "secretary"}) | MANAGERS


@pytest.fixture
def w(case_world):
    return with_neighbour(case_world)


def _merge(w, case, actor):
    survivor = file_case(w, title="同一个问题")
    return services.complaint_merge(complaint=case, into=survivor, actor=actor)


# action → how to run it on a case; the case actions of services.ALLOWED.
CASE_ACTIONS = {
    "accept": lambda w, c, a: services.complaint_accept(complaint=c, actor=a),
    "reject": lambda w, c, a: services.complaint_reject(complaint=c, actor=a, reason="不属于受理范围"),
    "request_info": lambda w, c, a: services.complaint_request_info(complaint=c, actor=a, question="是哪一层？"),
    "provide_info": lambda w, c, a: services.complaint_provide_info(complaint=c, actor=a, answer="三楼"),
    "merge": _merge,
    "recategorize": lambda w, c, a: services.complaint_recategorize(complaint=c, actor=a, category="parking", urgency="utilities"),
    "dispatch": lambda w, c, a: services.complaint_dispatch(
        complaint=c, actor=a, handler_kind=HandlerKind.DEPARTMENT, department=w["other_department"]
    ),
    "verify": lambda w, c, a: services.complaint_verify(complaint=c, actor=a, passed=True),
    "confirm": lambda w, c, a: services.complaint_confirm(complaint=c, actor=a, answer=Answer.SOLVED, rating=Rating.SATISFIED),
    "me_too": lambda w, c, a: services.complaint_me_too(complaint=c, actor=a),
    "comment": lambda w, c, a: services.complaint_comment(complaint=c, actor=a, text="请尽快处理"),
}
# action → (the state it is tried in, the roles that may do it).
CASE_RULES = {
    "accept": (Status.SUBMITTED, MANAGERS),
    "reject": (Status.SUBMITTED, MANAGERS),
    "request_info": (Status.SUBMITTED, MANAGERS),
    "provide_info": (Status.NEEDS_INFO, {"resident"}),
    "merge": (Status.SUBMITTED, MANAGERS),
    "recategorize": (Status.ACCEPTED, MANAGERS),
    "dispatch": (Status.ACCEPTED, MANAGERS),
    "verify": (Status.RESOLVED, MANAGERS),
    "confirm": (Status.AWAITING_CONFIRMATION, {"resident"}),
    # "我也遇到": anyone whose compound it is (the reporter already follows it).
    "me_too": (Status.SUBMITTED, frozenset({"resident", "neighbour"})),  # households of the compound only
    # Followers, the compound's staff, and the department the case was whistled to.
    "comment": (Status.HANDLING, (COMPOUND_PEOPLE - {"neighbour"}) | {"department_staff"}),
}
CASE_ACTOR = {"provide_info": "resident", "confirm": "resident", "me_too": "neighbour"}

DISPATCH_ACTIONS = {
    "acknowledge": lambda w, d, a: services.dispatch_acknowledge(dispatch=d, actor=a),
    "record_contact": lambda w, d, a: services.dispatch_record(dispatch=d, actor=a, what="contact"),
    "record_arrival": lambda w, d, a: services.dispatch_record(dispatch=d, actor=a, what="arrival"),
    "resolve": lambda w, d, a: services.dispatch_resolve(dispatch=d, actor=a, result="已修好"),
    "return": lambda w, d, a: services.dispatch_return(
        dispatch=d, actor=a, reason="不归我们管", belongs_to=w["other_department"]
    ),
    "request_extension": lambda w, d, a: services.dispatch_request_extension(dispatch=d, actor=a, hours=24, reason="等配件"),
    "decide_extension": lambda w, d, a: services.dispatch_decide_extension(dispatch=d, actor=a, approve=True),
    "park": lambda w, d, a: services.dispatch_park(dispatch=d, actor=a, plan="列入明年计划"),
    "rate": lambda w, d, a: services.dispatch_rate(dispatch=d, actor=a, score=5),
}
D = DispatchStatus
DISPATCH_RULES = {
    "acknowledge": (D.PENDING, {"department_staff"}),
    "record_contact": (D.ACKNOWLEDGED, {"department_staff"}),
    "record_arrival": (D.ACKNOWLEDGED, {"department_staff"}),
    "resolve": (D.ACKNOWLEDGED, {"department_staff"}),
    "return": (D.PENDING, {"department_staff"}),
    "request_extension": (D.ACKNOWLEDGED, {"department_staff"}),
    "decide_extension": (D.EXTENSION_REQUESTED, {"street_staff"}),
    "park": (D.ACKNOWLEDGED, {"department_staff"}),
    "rate": (D.RESOLVED, MANAGERS),
}
DISPATCH_ACTOR = {"decide_extension": "street_staff", "rate": "community_staff"}


def test_every_action_of_the_tables_is_tried():
    # "dispatch_work" guards the handler's settling actions (see test_a_paused_case_cannot_be_settled_by_its_handler);
    # "close_unconfirmed" is the sweeper's (see test_only_a_case_awaiting_confirmation_closes_unconfirmed);
    # "reopen_from_survey" is a follow-up answer's (tests/complaints/test_surveys.py).
    assert set(services.ALLOWED) == set(CASE_ACTIONS) | {"dispatch_work", "close_unconfirmed", "reopen_from_survey"}
    assert set(CASE_RULES) == set(CASE_ACTIONS)
    assert set(services.DISPATCH_ALLOWED) == set(DISPATCH_ACTIONS) == set(DISPATCH_RULES)


def _timeline_rows(case) -> int:
    return TimelineEvent.objects.filter(complaint_id=case.pk).count()


@pytest.mark.parametrize("action", sorted(CASE_ACTIONS))
def test_a_case_action_succeeds_exactly_in_its_allowed_states(w, action):
    actor = w[CASE_ACTOR.get(action, "community_staff")]
    for status in Status.values:
        case = case_in(w, status)
        before = (case.version, _timeline_rows(case))
        if status in services.ALLOWED[action]:
            CASE_ACTIONS[action](w, case, actor)
            assert _timeline_rows(case) > before[1], f"{action} in {status} left no timeline row"
        else:
            with pytest.raises(ApplicationError) as refused:
                CASE_ACTIONS[action](w, case, actor)
            assert refused.value.code == "conflict", (action, status, refused.value.message)
            assert case.number in refused.value.message
            case.refresh_from_db()
            assert (case.status, case.version, _timeline_rows(case)) == (status, *before)


@pytest.mark.parametrize("action", sorted(DISPATCH_ACTIONS))
def test_a_dispatch_action_succeeds_exactly_in_its_allowed_states(w, action):
    actor = w[DISPATCH_ACTOR.get(action, "department_staff")]
    for status in DispatchStatus.values:
        dispatch = dispatch_in(w, status)
        rows = dispatch.timeline.count()
        if status in services.DISPATCH_ALLOWED[action]:
            DISPATCH_ACTIONS[action](w, dispatch, actor)
            assert dispatch.timeline.count() > rows, f"{action} on a {status} dispatch left no timeline row"
        else:
            with pytest.raises(ApplicationError) as refused:
                DISPATCH_ACTIONS[action](w, dispatch, actor)
            assert refused.value.code == "conflict", (action, status, refused.value.message)
            dispatch.refresh_from_db()
            assert (dispatch.status, dispatch.timeline.count()) == (status, rows)


def test_only_a_case_awaiting_confirmation_closes_unconfirmed(w):
    later = timezone.now() + timedelta(days=30)
    for status in Status.values:
        case = case_in(w, status)
        closed = services.complaint_close_unconfirmed(complaint=case, now=later)
        case.refresh_from_db()
        if status in services.ALLOWED["close_unconfirmed"]:
            assert closed is not None and case.status == Status.CLOSED_UNCONFIRMED
        else:
            assert closed is None and case.status == status


def _check_roles(w, action, build, run, allowed):
    """Try `action` as every role; a refusal changes nothing, so one object serves until someone succeeds."""
    obj = None
    for role in ROLES:
        obj = obj or build()
        if role in allowed:
            run(w, obj, w[role])
            obj = None
        else:
            with pytest.raises(ApplicationError) as refused:
                run(w, obj, w[role])
            assert refused.value.code == "forbidden", (action, role, refused.value.message)


@pytest.mark.parametrize("action", sorted(CASE_RULES))
def test_only_the_right_roles_may_act_on_a_case(w, action):
    status, allowed = CASE_RULES[action]
    _check_roles(w, action, lambda: case_in(w, status), CASE_ACTIONS[action], allowed)


@pytest.mark.parametrize("action", sorted(DISPATCH_RULES))
def test_only_the_right_roles_may_act_on_a_department_dispatch(w, action):
    status, allowed = DISPATCH_RULES[action]
    _check_roles(w, action, lambda: dispatch_in(w, status), DISPATCH_ACTIONS[action], allowed)


@pytest.mark.parametrize(
    ("handler_kind", "worker"), [(HandlerKind.PROPERTY, "property_staff"), (HandlerKind.PARTY_BRANCH, "secretary")]
)
def test_a_compound_dispatch_is_worked_by_its_own_handler_only(w, handler_kind, worker):
    for action in ("acknowledge", "return"):
        _check_roles(w, action, lambda: dispatch_in(w, D.PENDING, handler_kind=handler_kind),
                     DISPATCH_ACTIONS[action], {worker})
    for action in ("record_arrival", "resolve", "request_extension"):
        _check_roles(w, action, lambda: dispatch_in(w, D.ACKNOWLEDGED, handler_kind=handler_kind),
                     DISPATCH_ACTIONS[action], {worker})
    # Only a department parks a case (挂账); the compound's own handlers must solve it or give it back.
    _check_roles(w, "park", lambda: dispatch_in(w, D.ACKNOWLEDGED, handler_kind=handler_kind), DISPATCH_ACTIONS["park"], set())
    # The community rates departments' 报到, not the compound's own handlers.
    _check_roles(w, "rate", lambda: dispatch_in(w, D.RESOLVED, handler_kind=handler_kind), DISPATCH_ACTIONS["rate"], set())


def test_a_paused_case_cannot_be_settled_by_its_handler(w):
    """While the case waits for its reporter, a handler may not resolve, return or park its dispatch."""
    assert services.ALLOWED["dispatch_work"] == {Status.HANDLING}
    dispatch = dispatch_in(w, D.ACKNOWLEDGED)
    case = dispatch.complaint
    services.complaint_request_info(complaint=case, actor=w["community_staff"], question="是哪一层？")
    for action in ("resolve", "return", "park"):
        with pytest.raises(ApplicationError) as refused:
            DISPATCH_ACTIONS[action](w, dispatch, w["department_staff"])
        assert refused.value.code == "conflict"
    dispatch.refresh_from_db()
    case.refresh_from_db()
    assert dispatch.status == D.ACKNOWLEDGED and case.status == Status.NEEDS_INFO and case.is_paused
    services.complaint_provide_info(complaint=case, actor=w["resident"], answer="三楼")
    DISPATCH_ACTIONS["resolve"](w, dispatch, w["department_staff"])
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and not case.is_paused


def test_a_stale_version_is_a_conflict(w):
    case = file_case(w)
    stale = case.version
    services.complaint_recategorize(complaint=case, actor=w["community_staff"], category="parking", urgency="general")
    with pytest.raises(ApplicationError) as refused:
        services.complaint_accept(complaint=case, actor=w["street_staff"], version=stale)
    assert refused.value.code == "conflict" and case.number in refused.value.message
    assert Complaint.objects.get(pk=case.pk).status == Status.SUBMITTED
    assert not Dispatch.objects.filter(complaint=case).exists()

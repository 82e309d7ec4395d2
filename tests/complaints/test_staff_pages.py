"""The staff side in the browser: each button moves the case for the right role, 404 out of scope,
stale pages get the conflict message, queues show exactly the right cases in constant queries."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from complaints import services, staff_actions
from complaints.models import Complaint, Dispatch, DispatchStatus, Escalation, HandlerKind, Status
from complaints.staff_views import PAGE_SIZE

from .conftest import jpeg_upload

pytestmark = pytest.mark.django_db


# --- helpers -------------------------------------------------------------------------------------


def file_case(w, title="楼道灯坏了", category="facilities", compound=None, reporter=None):
    return services.complaint_file(
        actor=reporter or w["resident"], compound=compound or w["compound"], category=category, urgency="general",
        title=title, description="3栋2单元楼道灯坏了一周", place_kind="public_area",
    )


def accepted_case(w, **kwargs):
    case = file_case(w, **kwargs)
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    return case


def department_dispatch(w, case=None, acknowledged=False):
    case = case or accepted_case(w)
    dispatch = services.complaint_dispatch(
        complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT, department=w["department"]
    )
    if acknowledged:
        services.dispatch_acknowledge(dispatch=dispatch, actor=w["department_staff"])
    return dispatch


def version_of(case) -> int:
    return Complaint.objects.values_list("version", flat=True).get(pk=case.pk)


def post(client, user, name, pk, data=None, **extra):
    client.force_login(user)
    return client.post(reverse(f"casestaff:{name}", args=[pk]), data or {}, **extra)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def kinds(case) -> list[str]:
    return list(case.timeline.order_by("id").values_list("kind", flat=True))


def step_data(dispatch, version):
    return {f"d{dispatch.pk}-step-version": version}


# --- case managers ---------------------------------------------------------------------------------


def test_community_staff_accepts_a_case_with_a_category_fix(client, case_world):
    w = case_world
    case = file_case(w)
    response = post(client, w["community_staff"], "accept", case.pk, {
        "accept-version": case.version, "accept-category": "sanitation", "accept-urgency": "utilities",
    })
    assert response.status_code == 302 and response.url == reverse("complaints:detail", args=[case.pk])
    case.refresh_from_db()
    assert (case.status, case.category, case.urgency) == (Status.ACCEPTED, "sanitation", "utilities")
    assert kinds(case)[-1] == "accepted"
    assert texts(response) == [gettext("Case accepted. Now decide who handles it.")]


@pytest.mark.parametrize("who", ["outsider_staff", "neighbour", "other_department_staff"])
def test_actions_on_a_case_out_of_scope_answer_404(client, case_world, who):
    w = case_world
    case = file_case(w)
    data = {"accept-version": case.version, "accept-category": "facilities", "accept-urgency": "general"}
    assert post(client, w[who], "accept", case.pk, data).status_code == 404
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and kinds(case) == ["filed"]


def test_a_handler_who_sees_the_case_may_still_not_accept_it(client, case_world):
    w = case_world
    case = file_case(w)
    response = post(client, w["resident"], "accept", case.pk, {
        "accept-version": case.version, "accept-category": "facilities", "accept-urgency": "general",
    })
    assert texts(response) == [gettext("You may not do this on this case.")]
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_a_stale_version_shows_the_conflict_message_and_changes_nothing(client, case_world):
    w = case_world
    case = file_case(w)
    stale = case.version
    services.complaint_recategorize(complaint=case, actor=w["street_staff"], category="parking", urgency="general")
    before = kinds(case)
    response = post(client, w["community_staff"], "accept", case.pk, {
        "accept-version": stale, "accept-category": "facilities", "accept-urgency": "general",
    })
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.category == "parking" and kinds(case) == before
    [message] = texts(response)
    assert gettext("Someone else has just acted on case %(number)s. Reload the page to see what changed.") % {
        "number": case.number} in message
    assert gettext("Refresh the page and try again.") in message


def test_a_stale_version_on_a_dispatch_button_changes_nothing(client, case_world):
    w = case_world
    dispatch = department_dispatch(w)
    stale = version_of(dispatch.complaint) - 1
    response = post(client, w["department_staff"], "acknowledge", dispatch.pk, step_data(dispatch, stale))
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.PENDING
    assert "Refresh" in texts(response)[0] or "刷新" in texts(response)[0]


def test_reject_needs_a_reason_and_then_closes_the_case(client, case_world):
    w = case_world
    case = file_case(w)
    response = post(client, w["community_staff"], "reject", case.pk, {"reject-version": case.version, "reject-reason": ""})
    assert texts(response) == [gettext("Tell the resident why the case is not accepted.")]
    assert Complaint.objects.get(pk=case.pk).status == Status.SUBMITTED
    post(client, w["community_staff"], "reject", case.pk, {"reject-version": case.version, "reject-reason": "属于私人纠纷"})
    case.refresh_from_db()
    assert case.status == Status.REJECTED and case.reject_reason == "属于私人纠纷"
    assert kinds(case)[-1] == "rejected"


def test_request_info_pauses_the_case(client, case_world):
    w = case_world
    case = file_case(w)
    post(client, w["community_staff"], "request-info", case.pk, {"ask-version": case.version, "ask-question": "哪一层？"})
    case.refresh_from_db()
    assert case.status == Status.NEEDS_INFO and case.paused_at is not None
    assert kinds(case)[-1] == "info_requested"


def test_merge_into_another_open_case_of_the_compound(client, case_world):
    w = case_world
    survivor = file_case(w, title="灯坏了")
    duplicate = file_case(w, title="楼道灯不亮")
    response = post(client, w["community_staff"], "merge", duplicate.pk, {
        "merge-version": duplicate.version, "merge-into": survivor.pk,
    })
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.merged_into_id == survivor.pk
    assert kinds(duplicate)[-1] == "merged" and kinds(survivor)[-1] == "absorbed"


def test_merge_refuses_a_case_of_another_compound(client, case_world, two_communities):
    w = case_world
    duplicate = file_case(w)
    elsewhere = file_case(w, compound=two_communities["b"]["compound"], reporter=w["neighbour"])
    post(client, w["community_staff"], "merge", duplicate.pk, {"merge-version": duplicate.version, "merge-into": elsewhere.pk})
    assert Complaint.objects.get(pk=duplicate.pk).status == Status.SUBMITTED


def test_recategorize(client, case_world):
    w = case_world
    case = file_case(w)
    post(client, w["community_staff"], "recategorize", case.pk, {
        "recat-version": case.version, "recat-category": "parking", "recat-urgency": "complex",
    })
    case.refresh_from_db()
    assert (case.category, case.urgency) == ("parking", "complex")
    assert kinds(case)[-1] == "recategorized"


def test_whistle_to_a_department(client, case_world):
    w = case_world
    case = accepted_case(w)
    post(client, w["community_staff"], "dispatch", case.pk, {
        "dispatch-version": version_of(case), "dispatch-handler_kind": "department",
        "dispatch-department": w["department"].pk, "dispatch-instructions": "请尽快处理",
    })
    case.refresh_from_db()
    assert case.status == Status.HANDLING and kinds(case)[-1] == "whistled"
    dispatch = case.dispatches.get()
    assert (dispatch.department, dispatch.instructions) == (w["department"], "请尽快处理")


def test_assign_to_the_property_company_with_a_deadline_in_hours(client, case_world):
    w = case_world
    case = accepted_case(w)
    before = timezone.now()
    post(client, w["community_staff"], "dispatch", case.pk, {
        "dispatch-version": version_of(case), "dispatch-handler_kind": "property", "dispatch-handle_hours": "6",
    })
    dispatch = Dispatch.objects.get(complaint=case)
    assert dispatch.property_company == w["company"] and kinds(case)[-1] == "assigned"
    assert before + timedelta(hours=6) <= dispatch.handle_due_at <= timezone.now() + timedelta(hours=6)


def test_dispatch_to_a_department_needs_the_department(client, case_world):
    w = case_world
    case = accepted_case(w)
    response = post(client, w["community_staff"], "dispatch", case.pk, {
        "dispatch-version": version_of(case), "dispatch-handler_kind": "department",
    })
    assert texts(response) == [gettext("Choose the department.")]
    assert not Dispatch.objects.filter(complaint=case).exists()


def test_verification_passed_and_failed(client, case_world):
    w = case_world
    dispatch = department_dispatch(w, acknowledged=True)
    services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="已修好")
    case = dispatch.complaint
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    response = post(client, w["community_staff"], "verify", case.pk, {"verify-version": case.version, "verify-passed": "0"})
    assert texts(response) == [gettext("Write what is still wrong.")]
    post(client, w["community_staff"], "verify", case.pk, {"verify-version": case.version, "verify-passed": "1"})
    case.refresh_from_db()
    assert case.status == Status.AWAITING_CONFIRMATION and kinds(case)[-1] == "verified"


def test_rating_a_department_report_once(client, case_world):
    w = case_world
    dispatch = department_dispatch(w, acknowledged=True)
    services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="已修好")
    data = {f"d{dispatch.pk}-rate-version": version_of(dispatch.complaint), f"d{dispatch.pk}-rate-score": "4"}
    assert post(client, w["outsider_staff"], "rate", dispatch.pk, data).status_code == 404
    post(client, w["community_staff"], "rate", dispatch.pk, data)
    dispatch.refresh_from_db()
    assert dispatch.community_score == 4 and kinds(dispatch.complaint)[-1] == "dispatch_rated"
    data[f"d{dispatch.pk}-rate-version"] = version_of(dispatch.complaint)
    response = post(client, w["community_staff"], "rate", dispatch.pk, data)
    assert gettext("This 报到 is already rated.") in texts(response)[-1]


# --- handlers -------------------------------------------------------------------------------------


def test_department_acknowledges_contacts_arrives_and_resolves_with_photos(client, case_world):
    w = case_world
    dispatch = department_dispatch(w)
    case = dispatch.complaint
    staff = w["department_staff"]
    post(client, staff, "acknowledge", dispatch.pk, step_data(dispatch, version_of(case)))
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.ACKNOWLEDGED
    assert kinds(case)[-1] == "acknowledged"
    post(client, staff, "contact", dispatch.pk, step_data(dispatch, version_of(case)))
    post(client, staff, "arrival", dispatch.pk, step_data(dispatch, version_of(case)))
    dispatch.refresh_from_db()
    assert dispatch.contacted_at and dispatch.arrived_at
    assert kinds(case)[-2:] == ["contact_recorded", "arrival_recorded"]
    response = post(client, staff, "resolve", dispatch.pk, {
        f"d{dispatch.pk}-resolve-version": version_of(case), f"d{dispatch.pk}-resolve-result": "已更换灯泡",
        "photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg")],
    })
    assert texts(response)[-1] == gettext("The result is submitted.")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and kinds(case)[-2:] == ["dispatch_resolved", "resolved"]
    assert case.attachments.filter(is_evidence=True).count() == 2


def test_a_bad_photo_refuses_the_result_and_saves_nothing(client, case_world):
    w = case_world
    dispatch = department_dispatch(w, acknowledged=True)
    case = dispatch.complaint
    before = kinds(case)
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = post(client, w["department_staff"], "resolve", dispatch.pk, {
        f"d{dispatch.pk}-resolve-version": version_of(case), f"d{dispatch.pk}-resolve-result": "已处理",
        "photos": [jpeg_upload(), fake],
    })
    assert texts(response) == [gettext("%(name)s is not a photo (JPEG, PNG or WebP).") % {"name": "evil.jpg"}]
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.ACKNOWLEDGED and not case.attachments.exists() and kinds(case) == before


@pytest.mark.parametrize("who", ["other_department_staff", "property_staff", "community_staff", "outsider_staff"])
def test_another_handler_cannot_touch_the_dispatch(client, case_world, who):
    w = case_world
    dispatch = department_dispatch(w)
    response = post(client, w[who], "acknowledge", dispatch.pk, step_data(dispatch, version_of(dispatch.complaint)))
    assert response.status_code == 404
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.PENDING


def test_a_department_return_must_name_a_department(client, case_world):
    w = case_world
    dispatch = department_dispatch(w, acknowledged=True)
    case = dispatch.complaint
    prefix = f"d{dispatch.pk}-return"
    response = post(client, w["department_staff"], "return", dispatch.pk, {
        f"{prefix}-version": version_of(case), f"{prefix}-reason": "不归我们管",
    })
    with translation.override("zh-hans"):
        expected = gettext("Name the department this case belongs to.")
    assert texts(response) == [expected]
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.ACKNOWLEDGED
    post(client, w["department_staff"], "return", dispatch.pk, {
        f"{prefix}-version": version_of(case), f"{prefix}-reason": "不归我们管",
        f"{prefix}-belongs_to": w["other_department"].pk,
    })
    dispatch.refresh_from_db()
    case.refresh_from_db()
    assert dispatch.status == DispatchStatus.RETURNED and dispatch.return_to == w["other_department"]
    assert case.status == Status.ACCEPTED and kinds(case)[-2:] == ["returned", "back_to_community"]


def test_property_company_returns_without_naming_a_department(client, case_world):
    w = case_world
    case = accepted_case(w)
    dispatch = services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.PROPERTY)
    post(client, w["property_staff"], "return", dispatch.pk, {
        f"d{dispatch.pk}-return-version": version_of(case), f"d{dispatch.pk}-return-reason": "属于市政管网",
    })
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.RETURNED


def test_extension_requested_by_the_department_and_approved_by_the_street(client, case_world):
    w = case_world
    dispatch = department_dispatch(w, acknowledged=True)
    case = dispatch.complaint
    due = Dispatch.objects.get(pk=dispatch.pk).handle_due_at
    post(client, w["department_staff"], "extension", dispatch.pk, {
        f"d{dispatch.pk}-extension-version": version_of(case), f"d{dispatch.pk}-extension-hours": "48",
        f"d{dispatch.pk}-extension-reason": "需要采购配件",
    })
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.EXTENSION_REQUESTED
    decide = {f"d{dispatch.pk}-decide-version": version_of(case), f"d{dispatch.pk}-decide-approve": "1"}
    assert post(client, w["outsider_staff"], "decide-extension", dispatch.pk, decide).status_code == 404
    response = post(client, w["community_staff"], "decide-extension", dispatch.pk, decide)
    assert texts(response)[-1] == gettext("You may not do this on this case.")
    post(client, w["street_staff"], "decide-extension", dispatch.pk, decide)
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.ACKNOWLEDGED and dispatch.handle_due_at == due + timedelta(hours=48)
    assert kinds(case)[-1] == "extension_approved"


def test_a_department_parks_a_case_with_a_plan(client, case_world):
    w = case_world
    dispatch = department_dispatch(w, acknowledged=True)
    post(client, w["department_staff"], "park", dispatch.pk, {
        f"d{dispatch.pk}-park-version": version_of(dispatch.complaint), f"d{dispatch.pk}-park-plan": "列入明年改造计划",
    })
    case = Complaint.objects.get(pk=dispatch.complaint_id)
    assert case.status == Status.PARKED and kinds(case)[-2:] == ["parked", "parked"]


def test_party_secretary_acknowledges_a_party_branch_dispatch(client, case_world):
    w = case_world
    case = accepted_case(w)
    dispatch = services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.PARTY_BRANCH)
    post(client, w["secretary"], "acknowledge", dispatch.pk, step_data(dispatch, version_of(case)))
    assert Dispatch.objects.get(pk=dispatch.pk).status == DispatchStatus.ACKNOWLEDGED


def test_actions_only_accept_post(client, case_world):
    w = case_world
    case = file_case(w)
    client.force_login(w["community_staff"])
    assert client.get(reverse("casestaff:accept", args=[case.pk])).status_code == 405


# --- the panel on the case page ---------------------------------------------------------------------


def test_panel_gives_each_role_its_buttons(client, case_world):
    w = case_world
    case = file_case(w)
    client.force_login(w["community_staff"])
    page = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert reverse("casestaff:accept", args=[case.pk]) in page
    assert reverse("casestaff:reject", args=[case.pk]) in page
    client.force_login(w["resident"])
    page = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert "staff-panel" not in page
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    dispatch = department_dispatch(w, case=case)
    client.force_login(w["department_staff"])
    page = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert reverse("casestaff:acknowledge", args=[dispatch.pk]) in page
    assert reverse("casestaff:accept", args=[case.pk]) not in page


def test_panel_context_flags_follow_the_state(case_world):
    w = case_world
    dispatch = department_dispatch(w, acknowledged=True)
    case = Complaint.objects.get(pk=dispatch.complaint_id)
    manager = staff_actions.panel_context(w["community_staff"], case)["staff_panel"]
    assert manager["can"]["dispatch"] and not manager["can"]["accept"] and manager["handler_cards"] == []
    handler = staff_actions.panel_context(w["department_staff"], case)["staff_panel"]
    [card] = handler["handler_cards"]
    assert card["can_resolve"] and card["can_park"] and not card["can_acknowledge"]
    assert staff_actions.panel_context(w["resident"], case) == {}
    assert staff_actions.panel_context(w["other_department_staff"], case) == {}


def test_panel_context_costs_the_same_with_many_dispatches(case_world, make_staff):
    w = case_world
    case = accepted_case(w)
    department_dispatch(w, case=case)
    with CaptureQueriesContext(connection) as one:
        staff_actions.panel_context(w["community_staff"], Complaint.objects.get(pk=case.pk))
    services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT,
                                department=w["other_department"])
    services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.PROPERTY)
    with CaptureQueriesContext(connection) as three:
        staff_actions.panel_context(w["community_staff"], Complaint.objects.get(pk=case.pk))
    assert len(one) == len(three) <= 6


# --- queues ------------------------------------------------------------------------------------------


def queue(client, user, name, **params):
    client.force_login(user)
    response = client.get(reverse(f"casestaff:{name}"), params)
    assert response.status_code == 200
    return response


def shown(response) -> set[str]:
    return {row["case"].number for row in response.context["rows"]}


def test_triage_queue_shows_the_cases_waiting_for_the_community(client, case_world, two_communities):
    w = case_world
    new = file_case(w, title="新案件")
    handling = department_dispatch(w).complaint
    returned = department_dispatch(w, acknowledged=True)
    services.dispatch_return(dispatch=returned, actor=w["department_staff"], reason="不归我们",
                             belongs_to=w["other_department"])
    to_verify = department_dispatch(w, acknowledged=True)
    services.dispatch_resolve(dispatch=to_verify, actor=w["department_staff"], result="好了")
    rejected = file_case(w)
    services.complaint_reject(complaint=rejected, actor=w["community_staff"], reason="重复")
    elsewhere = file_case(w, compound=two_communities["b"]["compound"], reporter=w["neighbour"])
    overdue = file_case(w, title="超时")
    Complaint.objects.filter(pk=overdue.pk).update(accept_due_at=timezone.now() - timedelta(hours=3))

    response = queue(client, w["community_staff"], "triage")
    expected = {new.number, returned.complaint.number, to_verify.complaint.number, overdue.number}
    assert shown(response) == expected
    assert handling.number not in shown(response) and rejected.number not in shown(response)
    rows = response.context["rows"]
    assert rows[0]["case"].number == overdue.number and rows[0]["countdown"].overdue
    assert "3" in rows[0]["countdown"].text
    assert shown(queue(client, w["outsider_staff"], "triage")) == {elsewhere.number}
    assert shown(queue(client, w["department_staff"], "triage")) == set()
    assert shown(queue(client, w["community_staff"], "triage", overdue="on")) == {overdue.number}
    assert shown(queue(client, w["community_staff"], "triage", status="resolved")) == {to_verify.complaint.number}


def test_work_queue_and_department_inbox_show_each_handler_their_own(client, case_world):
    w = case_world
    to_department = department_dispatch(w)
    to_other = services.complaint_dispatch(
        complaint=accepted_case(w), actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT,
        department=w["other_department"],
    )
    to_company = services.complaint_dispatch(
        complaint=accepted_case(w), actor=w["community_staff"], handler_kind=HandlerKind.PROPERTY
    )
    to_branch = services.complaint_dispatch(
        complaint=accepted_case(w), actor=w["community_staff"], handler_kind=HandlerKind.PARTY_BRANCH
    )
    done = department_dispatch(w, acknowledged=True)
    services.dispatch_resolve(dispatch=done, actor=w["department_staff"], result="好了")

    inbox = queue(client, w["department_staff"], "inbox")
    assert shown(inbox) == {to_department.complaint.number}
    [row] = inbox.context["rows"]
    assert row["acknowledge_countdown"] and not row["acknowledge_countdown"].overdue
    assert shown(queue(client, w["other_department_staff"], "inbox")) == {to_other.complaint.number}
    assert shown(queue(client, w["property_staff"], "work")) == {to_company.complaint.number}
    assert shown(queue(client, w["secretary"], "work")) == {to_branch.complaint.number}
    assert shown(queue(client, w["community_staff"], "work")) == set()
    Dispatch.objects.filter(pk=to_department.pk).update(acknowledge_due_at=timezone.now() - timedelta(hours=2))
    [row] = queue(client, w["department_staff"], "inbox", overdue="on").context["rows"]
    assert row["overdue"] and row["acknowledge_countdown"].overdue


def test_supervision_shows_overdue_cases_escalations_and_extensions_of_the_street(client, case_world, two_communities):
    from complaints.escalation import escalations_sweep

    w = case_world
    late = file_case(w, title="超时未受理")
    Complaint.objects.filter(pk=late.pk).update(accept_due_at=timezone.now() - timedelta(days=3))
    on_time = file_case(w)
    elsewhere = file_case(w, compound=two_communities["b"]["compound"], reporter=w["neighbour"])
    Complaint.objects.filter(pk=elsewhere.pk).update(accept_due_at=timezone.now() - timedelta(days=3))
    late_dispatch = department_dispatch(w)
    Dispatch.objects.filter(pk=late_dispatch.pk).update(acknowledge_due_at=timezone.now() - timedelta(days=2))
    extension = department_dispatch(w, acknowledged=True)
    services.dispatch_request_extension(dispatch=extension, actor=w["department_staff"], hours=24, reason="等配件")
    escalations_sweep()

    street = w["street_staff"]
    # A case is overdue by its own deadline or by one of its open dispatches.
    assert shown(queue(client, street, "supervision")) == {late.number, late_dispatch.complaint.number}
    assert on_time.number not in shown(queue(client, street, "supervision"))
    assert shown(queue(client, street, "supervision", show="dispatches")) == {late_dispatch.complaint.number}
    extensions = queue(client, street, "supervision", show="extensions")
    assert shown(extensions) == {extension.complaint.number}
    assert reverse("casestaff:decide-extension", args=[extension.pk]) in extensions.content.decode()
    escalations = queue(client, street, "supervision", show="escalations")
    assert {row["escalation"].level for row in escalations.context["rows"]} <= {"supervision"}
    assert shown(escalations) <= {late.number, late_dispatch.complaint.number}
    assert shown(queue(client, w["community_staff"], "supervision")) == set()


@pytest.mark.parametrize("role", ["community_staff", "street_staff", "department_staff", "property_staff", "secretary"])
def test_workbench_sends_each_role_to_its_queue(client, case_world, role):
    expected = {
        "community_staff": "triage", "street_staff": "supervision", "department_staff": "inbox",
        "property_staff": "work", "secretary": "work",
    }[role]
    client.force_login(case_world[role])
    response = client.get(reverse("casestaff:home"))
    assert response.status_code == 302 and response.url == reverse(f"casestaff:{expected}")


def _fill(w, n, start=0):
    """Per step (rows written directly, for speed): an overdue new case, and a case with an overdue
    department dispatch, a property extension request and two 督办 escalations."""
    past = timezone.now() - timedelta(hours=1)
    for i in range(start, start + n):
        common = {
            "compound": w["compound"], "place_kind": "public_area", "category": "facilities", "title": f"案件{i}",
            "description": "楼道灯坏了", "reporter": w["resident"], "filed_by": w["resident"], "accept_due_at": past,
        }
        new = Complaint.objects.create(number=f"QN{i:06d}", **common)
        case = Complaint.objects.create(number=f"QH{i:06d}", status=Status.HANDLING, handle_due_at=past, **common)
        late = Dispatch.objects.create(
            complaint=case, handler_kind=HandlerKind.DEPARTMENT, department=w["department"], tier="general",
            dispatched_by=w["community_staff"], acknowledge_due_at=past, handle_due_at=past,
        )
        Dispatch.objects.create(
            complaint=case, handler_kind=HandlerKind.PROPERTY, property_company=w["company"], tier="general",
            status=DispatchStatus.EXTENSION_REQUESTED, extension_hours=5, extension_reason="等配件",
            dispatched_by=w["community_staff"], acknowledge_due_at=past, handle_due_at=past,
        )
        Escalation.objects.create(complaint=new, step="accept", level="supervision", key=f"n{i}", due_at=past)
        Escalation.objects.create(complaint=case, dispatch=late, step="acknowledge", level="supervision", key=f"d{i}",
                                  due_at=past)


QUEUES = [
    ("triage", "community_staff", {}),
    ("work", "property_staff", {}),
    ("inbox", "department_staff", {}),
    ("supervision", "street_staff", {}),
    ("supervision", "street_staff", {"show": "dispatches"}),
    ("supervision", "street_staff", {"show": "escalations"}),
    ("supervision", "street_staff", {"show": "extensions"}),
]


@pytest.mark.parametrize(("name", "role", "params"), QUEUES)
def test_queue_query_count_is_the_same_at_1_and_50_cases(client, case_world, django_assert_num_queries, name, role,
                                                         params):
    w = case_world
    client.force_login(w[role])
    url = reverse(f"casestaff:{name}")

    def count(at_least: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, params)
        assert response.status_code == 200
        assert min(at_least, PAGE_SIZE) <= len(response.context["rows"]) <= PAGE_SIZE, name
        return len(ctx)

    _fill(w, 1)
    at_one = count(1)
    _fill(w, 49, start=1)
    with django_assert_num_queries(at_one):
        assert client.get(url, params).status_code == 200
    assert count(50) == at_one

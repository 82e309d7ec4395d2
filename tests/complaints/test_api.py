"""The case API: same services and permissions as the pages, the one error shape, constant query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from complaints import services
from complaints.models import Complaint, Dispatch, HandlerKind, Status
from core.models import Notification

from .. import factories
from .conftest import jpeg_upload

CASES = "/api/v1/cases/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def file_case(w, *, actor=None, **fields) -> Complaint:
    values = {
        "category": "facilities", "urgency": "general", "title": "楼道灯坏了", "description": "3栋楼道灯坏了一周",
        "place_kind": "building", "building": w["building"], "compound": w["compound"],
    }
    values.update(fields)
    return services.complaint_file(actor=actor or w["resident"], **values)


def whistled_case(w) -> tuple[Complaint, Dispatch]:
    case = file_case(w)
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    dispatch = services.complaint_dispatch(
        complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT, department=w["department"]
    )
    case.refresh_from_db()
    return case, dispatch


def assert_error(response, status_code: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field:
        assert field in body["error"]["fields"], body
    return body["error"]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


# --- create --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resident_files_a_case_with_a_photo_and_its_gps_is_stripped(case_world):
    w = case_world
    response = api(w["resident"]).post(
        CASES,
        {
            "compound": w["compound"].pk, "category": "facilities", "title": "楼道灯坏了", "description": "一周了",
            "place_kind": "building", "building": w["building"].pk, "photos": [jpeg_upload(), jpeg_upload("b.jpg")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == Status.SUBMITTED and body["number"].startswith("TS") and body["version"] == 1
    assert body["hide_name"] is True  # the default, even when a multipart form leaves it out
    assert len(body["attachments"]) == 2
    case = Complaint.objects.get(pk=body["id"])
    photo = case.attachments.first()
    assert f"/cases/{case.pk}/photos/{photo.pk}/" in body["attachments"][0]["url"]
    with Image.open(photo.image.path) as image:
        assert not image.getexif()
    assert [e["kind"] for e in body["timeline"]] == ["filed"]


@pytest.mark.django_db
def test_a_file_named_jpg_that_is_not_an_image_is_refused_naming_photos(case_world):
    w = case_world
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
    response = api(w["resident"]).post(
        CASES,
        {"compound": w["compound"].pk, "category": "other", "title": "t", "description": "d",
         "place_kind": "public_area", "photos": [fake]},
        format="multipart",
    )
    assert_error(response, 400, "invalid", "photos")
    assert not Complaint.objects.exists()


@pytest.mark.django_db
def test_more_than_nine_photos_are_refused(case_world):
    w = case_world
    response = api(w["resident"]).post(
        CASES,
        {"compound": w["compound"].pk, "category": "other", "title": "t", "description": "d",
         "place_kind": "public_area", "photos": [jpeg_upload(f"{i}.jpg") for i in range(10)]},
        format="multipart",
    )
    assert_error(response, 400, "invalid", "photos")


@pytest.mark.django_db
def test_a_resident_cannot_report_in_another_compound(case_world, two_communities):
    w = case_world
    response = api(w["resident"]).post(
        CASES,
        {"compound": two_communities["b"]["compound"].pk, "category": "other", "title": "t", "description": "d",
         "place_kind": "public_area"},
        format="json",
    )
    assert_error(response, 400, "invalid", "compound")


# --- the whole journey -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_whole_journey_through_the_api(case_world, django_capture_on_commit_callbacks):
    w = case_world
    resident, staff, dept = api(w["resident"]), api(w["community_staff"]), api(w["department_staff"])
    with django_capture_on_commit_callbacks(execute=True):
        pk = _journey(w, resident, staff, dept)
    assert Complaint.objects.get(pk=pk).counts_as_solved

    notes = resident.get("/api/v1/notifications/").json()
    assert notes["count"] >= 3
    first = notes["results"][0]
    read = resident.post(f"/api/v1/notifications/{first['id']}/read/")
    assert read.status_code == 200 and read.json()["is_read"] is True
    assert resident.post("/api/v1/notifications/read-all/").json()["updated"] == notes["count"] - 1
    assert resident.get("/api/v1/notifications/", {"unread": "true"}).json()["count"] == 0


def _journey(w, resident, staff, dept) -> int:
    created = resident.post(
        CASES,
        {"compound": w["compound"].pk, "category": "facilities", "title": "楼道灯坏了", "description": "一周了",
         "place_kind": "building", "building": w["building"].pk, "photos": [jpeg_upload()]},
        format="multipart",
    ).json()
    pk, url = created["id"], f"{CASES}{created['id']}/"

    body = staff.post(f"{url}accept/", {"version": created["version"]}, format="json").json()
    assert body["status"] == Status.ACCEPTED
    body = staff.post(
        f"{url}dispatch/",
        {"version": body["version"], "handler_kind": "department", "department": w["department"].pk,
         "instructions": "请尽快处理"},
        format="json",
    ).json()
    assert body["status"] == Status.HANDLING
    dispatch_id = body["dispatches"][0]["id"]
    d_url = f"/api/v1/dispatches/{dispatch_id}/"

    inbox = dept.get("/api/v1/dispatches/").json()
    assert [item["id"] for item in inbox["results"]] == [dispatch_id]
    version = inbox["results"][0]["case_version"]
    item = dept.post(f"{d_url}acknowledge/", {"version": version}, format="json").json()
    assert item["status"] == "acknowledged"
    item = dept.post(f"{d_url}contact/", {"version": item["case_version"], "note": "已电话联系"}, format="json").json()
    item = dept.post(f"{d_url}arrival/", {"version": item["case_version"]}, format="json").json()
    response = dept.post(
        f"{d_url}resolve/", {"version": item["case_version"], "result": "已更换灯泡", "photos": [jpeg_upload("after.jpg")]},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"

    body = staff.get(url).json()
    assert body["status"] == Status.RESOLVED
    assert [a["is_evidence"] for a in body["attachments"]] == [False, True]
    body = staff.post(f"{url}verify/", {"version": body["version"], "passed": True, "note": "现场已核查"}, format="json").json()
    assert body["status"] == Status.AWAITING_CONFIRMATION
    staff_rating = staff.post(f"{d_url}rate/", {"score": 5, "comment": "报到及时"}, format="json")
    assert staff_rating.status_code == 200 and staff_rating.json()["community_score"] == 5

    body = resident.get(url).json()
    body = resident.post(
        f"{url}confirm/", {"version": body["version"], "answer": "solved", "rating": "satisfied"}, format="json"
    ).json()
    assert body["status"] == Status.CLOSED
    assert [e["kind"] for e in body["timeline"]] == [
        "filed", "accepted", "whistled", "acknowledged", "contact_recorded", "arrival_recorded",
        "dispatch_resolved", "resolved", "verified", "dispatch_rated", "confirmed",
    ]
    return pk


@pytest.mark.django_db
def test_triage_actions_request_info_provide_info_recategorize_reject_merge_and_me_too(case_world):
    w = case_world
    staff, resident = api(w["community_staff"]), api(w["resident"])
    case = file_case(w)
    url = f"{CASES}{case.pk}/"
    body = staff.post(f"{url}request-info/", {"question": "是哪一层？"}, format="json").json()
    assert body["status"] == Status.NEEDS_INFO and body["info_request"] == "是哪一层？"
    response = resident.post(f"{url}provide-info/", {"answer": "三楼", "photos": [jpeg_upload()]}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.SUBMITTED and len(response.json()["attachments"]) == 1
    body = staff.post(f"{url}recategorize/", {"category": "sanitation", "urgency": "utilities"}, format="json").json()
    assert (body["category"], body["urgency"]) == ("sanitation", "utilities")

    duplicate = file_case(w, actor=w["grid_worker"], source="grid_patrol")
    body = staff.post(f"{CASES}{duplicate.pk}/merge/", {"into": case.pk}, format="json").json()
    assert body["status"] == Status.MERGED and body["merged_into"] == case.pk

    other = file_case(w)
    body = staff.post(f"{CASES}{other.pk}/reject/", {"reason": "不属于受理范围"}, format="json").json()
    assert body["status"] == Status.REJECTED and body["reject_reason"] == "不属于受理范围"

    neighbour = factories.OwnershipFactory(unit=w["units"][1]).user
    assert api(neighbour).get(url).status_code == 404
    body = api(neighbour).post(f"{url}me-too/", {}, format="json").json()
    assert body["id"] == case.pk
    assert api(neighbour).get(url).status_code == 200


# --- scope ---------------------------------------------------------------------------------------

IN_SCOPE = ["resident", "community_staff", "street_staff", "property_staff", "secretary", "grid_worker", "department_staff"]
OUT_OF_SCOPE = ["outsider_staff", "neighbour", "other_department_staff"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", IN_SCOPE + OUT_OF_SCOPE)
def test_each_role_sees_a_case_only_in_scope(case_world, two_communities, who):
    w = case_world
    case, _ = whistled_case(w)
    b = two_communities["b"]
    elsewhere = services.complaint_file(
        actor=b["owner"], compound=b["compound"], category="parking", urgency="general", title="乱停车",
        description="消防通道被占", place_kind="public_area",
    )
    client = api(w[who])
    detail = client.get(f"{CASES}{case.pk}/")
    listed = [c["id"] for c in client.get(CASES).json()["results"]]
    if who in IN_SCOPE:
        assert detail.status_code == 200
        assert case.pk in listed
    else:
        assert_error(detail, 404, "not_found")
        assert case.pk not in listed
    if who not in ("neighbour", "outsider_staff"):  # the reporter and the staff of the case elsewhere
        assert_error(client.get(f"{CASES}{elsewhere.pk}/"), 404, "not_found")
        assert elsewhere.pk not in listed


@pytest.mark.django_db
def test_actions_on_out_of_scope_cases_answer_404(case_world):
    w = case_world
    case, dispatch = whistled_case(w)
    outsider = api(w["outsider_staff"])
    assert_error(outsider.post(f"{CASES}{case.pk}/comment/", {"text": "x"}, format="json"), 404, "not_found")
    assert_error(outsider.post(f"/api/v1/dispatches/{dispatch.pk}/acknowledge/", {}, format="json"), 404, "not_found")


@pytest.mark.django_db
def test_a_forbidden_action_answers_403_in_the_error_shape(case_world):
    w = case_world
    case = file_case(w)
    error = assert_error(api(w["resident"]).post(f"{CASES}{case.pk}/accept/", {}, format="json"), 403, "forbidden")
    assert error["fields"] == {}
    _, dispatch = whistled_case(w)
    assert_error(
        api(w["other_department_staff"]).post(f"/api/v1/dispatches/{dispatch.pk}/acknowledge/", {}, format="json"),
        404, "not_found",
    )
    assert_error(
        api(w["community_staff"]).post(f"/api/v1/dispatches/{dispatch.pk}/acknowledge/", {}, format="json"),
        403, "forbidden",
    )


@pytest.mark.django_db
def test_a_stale_version_answers_409_and_changes_nothing(case_world):
    w = case_world
    case = file_case(w)
    stale = case.version
    services.complaint_recategorize(complaint=case, actor=w["street_staff"], category="parking", urgency="general")
    response = api(w["community_staff"]).post(f"{CASES}{case.pk}/accept/", {"version": stale}, format="json")
    assert_error(response, 409, "conflict")
    assert Complaint.objects.get(pk=case.pk).status == Status.SUBMITTED

    case, dispatch = whistled_case(w)
    response = api(w["department_staff"]).post(
        f"/api/v1/dispatches/{dispatch.pk}/acknowledge/", {"version": case.version - 1}, format="json"
    )
    assert_error(response, 409, "conflict")
    assert Dispatch.objects.get(pk=dispatch.pk).status == "pending"
    response = api(w["resident"]).post(f"{CASES}{case.pk}/comment/", {"version": 1, "text": "怎么样了"}, format="json")
    assert_error(response, 409, "conflict")


@pytest.mark.django_db
def test_a_department_cannot_return_a_case_without_naming_where_it_belongs(case_world):
    w = case_world
    _, dispatch = whistled_case(w)
    dept = api(w["department_staff"])
    url = f"/api/v1/dispatches/{dispatch.pk}/return/"
    assert_error(dept.post(url, {"reason": "不归我们管"}, format="json"), 400, "invalid", "belongs_to")
    assert Dispatch.objects.get(pk=dispatch.pk).status == "pending"
    body = dept.post(url, {"reason": "不归我们管", "belongs_to": w["other_department"].pk}, format="json").json()
    assert body["status"] == "returned" and body["return_to_name"] == "住建局"


@pytest.mark.django_db
def test_extension_requested_by_the_department_and_decided_by_the_street_then_parked(case_world):
    w = case_world
    _, dispatch = whistled_case(w)
    dept, street = api(w["department_staff"]), api(w["street_staff"])
    url = f"/api/v1/dispatches/{dispatch.pk}/"
    dept.post(f"{url}acknowledge/", {}, format="json")
    before = Dispatch.objects.get(pk=dispatch.pk).handle_due_at
    body = dept.post(f"{url}request-extension/", {"hours": 24, "reason": "需要采购配件"}, format="json").json()
    assert body["status"] == "extension_requested"
    assert_error(dept.post(f"{url}decide-extension/", {"approve": True}, format="json"), 403, "forbidden")
    body = street.post(f"{url}decide-extension/", {"approve": True}, format="json").json()
    assert body["status"] == "acknowledged"
    assert Dispatch.objects.get(pk=dispatch.pk).handle_due_at == before + timedelta(hours=24)
    body = dept.post(f"{url}park/", {"plan": "列入明年改造计划"}, format="json").json()
    assert body["status"] == "parked" and body["case_status"] == Status.PARKED


# --- privacy -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_internal_notes_and_the_hidden_name_are_for_staff_only(case_world):
    w = case_world
    case = file_case(w, hide_name=True)
    staff = api(w["community_staff"])
    staff.post(f"{CASES}{case.pk}/comment/", {"text": "该住户多次投诉", "internal": True}, format="json")
    staff.post(f"{CASES}{case.pk}/comment/", {"text": "已安排人员查看"}, format="json")
    response = api(w["resident"]).post(f"{CASES}{case.pk}/comment/", {"text": "x", "internal": True}, format="json")
    assert_error(response, 400, "invalid", "internal")

    seen_by_staff = staff.get(f"{CASES}{case.pk}/").json()
    assert [e["note"] for e in seen_by_staff["timeline"] if e["kind"] == "comment"] == ["该住户多次投诉", "已安排人员查看"]
    assert seen_by_staff["reporter_name"] == w["resident"].real_name
    assert seen_by_staff["reporter_phone"]

    seen_by_resident = api(w["resident"]).get(f"{CASES}{case.pk}/").json()
    assert [e["note"] for e in seen_by_resident["timeline"] if e["kind"] == "comment"] == ["已安排人员查看"]
    assert all(not e["internal"] for e in seen_by_resident["timeline"])
    assert seen_by_resident["reporter_name"] == w["resident"].real_name  # one's own name

    neighbour = factories.OwnershipFactory(unit=w["units"][1]).user
    seen_by_neighbour = api(neighbour).post(f"{CASES}{case.pk}/me-too/", {}, format="json").json()
    assert seen_by_neighbour["reporter_name"] != w["resident"].real_name
    assert seen_by_neighbour["reporter_name"].startswith(w["resident"].real_name[0]) and "*" in seen_by_neighbour["reporter_name"]
    assert seen_by_neighbour["reporter_phone"] == ""
    assert "该住户多次投诉" not in str(seen_by_neighbour)


# --- filters -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_case_list_filters_by_status_overdue_mine_and_place(case_world):
    w = case_world
    staff = api(w["community_staff"])
    submitted = file_case(w)
    accepted = file_case(w, category="parking", place_kind="public_area", building=None)
    services.complaint_accept(complaint=accepted, actor=w["community_staff"])
    late = file_case(w)
    Complaint.objects.filter(pk=late.pk).update(accept_due_at=timezone.now() - timedelta(hours=1))
    by_grid = file_case(w, actor=w["grid_worker"], source="grid_patrol")

    def ids(**params):
        return {c["id"] for c in staff.get(CASES, params).json()["results"]}

    assert ids(status=["submitted"]) == {submitted.pk, late.pk, by_grid.pk}
    assert ids(status=["submitted", "accepted"]) == {submitted.pk, accepted.pk, late.pk, by_grid.pk}
    assert ids(overdue="true") == {late.pk}
    assert ids(category="parking") == {accepted.pk}
    assert ids(building=w["building"].pk) == {submitted.pk, late.pk, by_grid.pk}
    assert ids(created_after=timezone.localdate().isoformat()) == {submitted.pk, accepted.pk, late.pk, by_grid.pk}
    assert ids(created_before=(timezone.localdate() - timedelta(days=1)).isoformat()) == set()
    mine = api(w["grid_worker"]).get(CASES, {"mine": "true"}).json()["results"]
    assert [c["id"] for c in mine] == [by_grid.pk]
    ordered = staff.get(CASES, {"ordering": "created_at"}).json()["results"]
    assert [c["id"] for c in ordered] == [submitted.pk, accepted.pk, late.pk, by_grid.pk]
    assert_error(staff.get(CASES, {"status": "nonsense"}), 400, "invalid", "status")


# --- query counts --------------------------------------------------------------------------------


def _bulk_cases(w, n: int) -> list[Complaint]:
    now = timezone.now()
    start = Complaint.objects.count()
    return Complaint.objects.bulk_create(
        [
            Complaint(
                number=f"TS2026010{start + i:05d}", compound=w["compound"], building=w["building"], place_kind="building",
                category="facilities", title=f"问题{i}", description="d", reporter=w["resident"], filed_by=w["resident"],
                status=Status.HANDLING, accept_due_at=now, handle_due_at=now + timedelta(hours=48 + i),
            )
            for i in range(n)
        ]
    )


def _count(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


def _assert_constant(client, url, grow) -> None:
    client.get(url)  # warm per-process caches (content types)
    few, count = _count(client, url)
    grow()
    many, more = _count(client, url)
    assert more >= count + 49
    assert few == many, (few, many)


@pytest.mark.django_db
def test_the_case_list_runs_a_constant_number_of_queries(case_world):
    w = case_world
    _bulk_cases(w, 1)
    _assert_constant(api(w["community_staff"]), CASES, lambda: _bulk_cases(w, 49))


@pytest.mark.django_db
def test_the_case_list_of_a_resident_runs_a_constant_number_of_queries(case_world):
    w = case_world
    _bulk_cases(w, 1)
    _assert_constant(api(w["resident"]), f"{CASES}?mine=true&overdue=false", lambda: _bulk_cases(w, 49))


@pytest.mark.django_db
def test_the_dispatch_inbox_runs_a_constant_number_of_queries(case_world):
    w = case_world

    def dispatch_all(cases):
        now = timezone.now()
        Dispatch.objects.bulk_create(
            [
                Dispatch(
                    complaint=c, handler_kind=HandlerKind.DEPARTMENT, department=w["department"], tier="general",
                    dispatched_by=w["community_staff"], acknowledge_due_at=now, handle_due_at=now + timedelta(hours=1),
                )
                for c in cases
            ]
        )

    dispatch_all(_bulk_cases(w, 1))
    _assert_constant(api(w["department_staff"]), "/api/v1/dispatches/", lambda: dispatch_all(_bulk_cases(w, 49)))
    inbox = api(w["department_staff"]).get("/api/v1/dispatches/", {"overdue": "true"}).json()
    assert inbox["count"] == 50
    assert api(w["other_department_staff"]).get("/api/v1/dispatches/").json()["count"] == 0


@pytest.mark.django_db
def test_the_inbox_runs_a_constant_number_of_queries(case_world):
    w = case_world
    user = w["resident"]

    def notify(n):
        start = Notification.objects.count()
        Notification.objects.bulk_create(
            [Notification(user=user, key=f"k{start + i}", title=f"消息{i}", url="/cases/1/") for i in range(n)]
        )

    notify(1)
    _assert_constant(api(user), "/api/v1/notifications/", lambda: notify(49))
    assert api(w["community_staff"]).get("/api/v1/notifications/").json()["count"] == 0
    other = Notification.objects.create(user=w["community_staff"], key="x", title="x")
    assert_error(api(user).post(f"/api/v1/notifications/{other.pk}/read/"), 404, "not_found")


# --- schema --------------------------------------------------------------------------------------

CASE_ACTIONS = ["accept", "reject", "request-info", "provide-info", "merge", "recategorize", "dispatch", "verify",
                "confirm", "me-too", "comment"]
DISPATCH_ACTIONS = ["acknowledge", "contact", "arrival", "resolve", "return", "request-extension",
                    "decide-extension", "park", "rate"]


@pytest.mark.django_db
def test_the_schema_documents_every_case_endpoint(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    expected = [
        "/api/v1/cases/", "/api/v1/cases/{id}/", "/api/v1/dispatches/", "/api/v1/notifications/",
        "/api/v1/notifications/{id}/read/", "/api/v1/notifications/read-all/",
        *(f"/api/v1/cases/{{id}}/{name}/" for name in CASE_ACTIONS),
        *(f"/api/v1/dispatches/{{id}}/{name}/" for name in DISPATCH_ACTIONS),
    ]
    missing = [p for p in expected if p not in paths]
    assert not missing
    assert {"get", "post"} <= set(paths["/api/v1/cases/"])
    for name in CASE_ACTIONS:
        assert set(paths[f"/api/v1/cases/{{id}}/{name}/"]) == {"post"}, name
    create = paths["/api/v1/cases/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in create

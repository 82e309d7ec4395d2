"""The meetings API: the whole assembly by API, the same permissions as the pages, the one error shape,
choices hidden until the close, and list endpoints in a constant number of queries.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from rest_framework.test import APIClient

from committees import explain, selectors, services
from committees.models import AgendaItem, Ballot, Elector, Meeting

from .conftest import end_now, open_now, published_assembly

API = "/api/v1"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


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


def iso(dt) -> str:
    return dt.isoformat()


def elector_of(meeting, user) -> Elector:
    return Elector.objects.get(meeting=meeting, user=user)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


# --- the whole assembly, by API -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_assembly_from_draft_to_published_result_by_api(meeting_world):
    w = meeting_world
    chair, owners = api(w["chair"]), w["owners"]
    now = timezone.now()

    created = chair.post(f"{API}/meetings/", {
        "compound": w["compound"].pk, "kind": "assembly", "title": "2026年第一次业主大会", "convener": "committee",
        "starts_at": iso(now + timedelta(days=20)), "place": "小区活动室",
        "vote_opens_at": iso(now + timedelta(days=5)), "vote_closes_at": iso(now + timedelta(days=12)),
    }, format="json")
    assert created.status_code == 201, created.content
    meeting = created.json()
    assert meeting["status"] == "draft" and meeting["viewer"]["can_manage"] is True
    mid = meeting["id"]

    question = chair.post(f"{API}/meetings/{mid}/items/", {
        "title": "续聘物业公司", "proposer": "committee", "matter": 4,
    }, format="json")
    assert question.status_code == 201, question.content
    assert question.json()["rule"] == "majority"
    election = chair.post(f"{API}/meetings/{mid}/items/", {
        "title": "选举业委会委员", "proposer": "committee", "kind": "election", "seats": 5,
    }, format="json")
    assert election.status_code == 201, election.content
    qid, eid = question.json()["id"], election.json()["id"]
    candidate_ids = []
    for owner in owners[:6]:
        response = chair.post(f"{API}/items/{eid}/candidates/", {"user": owner.pk}, format="json")
        assert response.status_code == 201, response.content
        candidate_ids.append(response.json()["id"])
    tellers = chair.post(f"{API}/meetings/{mid}/tellers/", {"phones": [t.phone for t in w["tellers"]]}, format="json")
    assert tellers.status_code == 200, tellers.content
    assert {t["name"] for t in tellers.json()["tellers"]} == {"计票员甲", "计票员乙"}

    # Five days' notice is too little for an assembly: refused, naming the field to change.
    assert_error(chair.post(f"{API}/meetings/{mid}/publish/", {}, format="json"), 400, "invalid", "vote_opens_at")
    version = chair.get(f"{API}/meetings/{mid}/").json()["version"]
    moved = chair.patch(f"{API}/meetings/{mid}/", {
        "vote_opens_at": iso(now + timedelta(days=16)), "vote_closes_at": iso(now + timedelta(days=23)),
        "version": version,
    }, format="json")
    assert moved.status_code == 200, moved.content
    published = chair.post(f"{API}/meetings/{mid}/publish/", {"version": moved.json()["version"]}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "noticed"
    meeting_obj = open_now(Meeting.objects.get(pk=mid))

    # Online votes: five owners, the owner of two units and the developer yes; two owners no.
    voters = {**{o: "yes" for o in owners[:5]}, w["double_owner"]: "yes", w["developer"]: "yes",
              owners[5]: "no", owners[6]: "no"}
    receipts = {}
    for user, choice in voters.items():
        response = api(user).post(f"{API}/items/{qid}/vote/", {"choice": choice}, format="json")
        assert response.status_code == 201, response.content
        (ballot,) = response.json()["ballots"]
        assert ballot["status"] == "valid" and len(ballot["receipt_code"]) == 10
        assert "choice" not in ballot
        receipts[user] = ballot["receipt_code"]
        marked = api(user).post(f"{API}/items/{eid}/vote/", {"candidates": candidate_ids[:5]}, format="json")
        assert marked.status_code == 201, marked.content

    # A second vote on the same item: 409, in the one error shape.
    assert_error(api(owners[0]).post(f"{API}/items/{qid}/vote/", {"choice": "no"}, format="json"), 409, "conflict")
    assert Ballot.objects.filter(item_id=qid, elector__user=owners[0]).count() == 1

    # Live participation: counts and areas only, never a sum by choice.
    live = chair.get(f"{API}/meetings/{mid}/participation/").json()
    assert (live["total_count"], Decimal(live["total_area"])) == (12, Decimal("1450.00"))
    row = next(r for r in live["items"] if r["item"] == qid)
    assert (row["count"], Decimal(row["area"])) == (9, Decimal("1162.00"))
    assert (row["needed_count"], Decimal(row["needed_area"]), row["met"]) == (8, Decimal("966.67"), True)
    assert not {"yes", "no", "abstain"} & set(row)
    assert "yes" not in json.dumps(live)

    # Another owner cannot read someone's choice off a receipt before the close; the voter can.
    peek = api(owners[9]).get(f"{API}/meetings/{mid}/receipts/{receipts[owners[5]]}/").json()
    assert peek["status"] == "valid" and peek["choice"] is None
    assert api(owners[5]).get(f"{API}/meetings/{mid}/receipts/{receipts[owners[5]]}/").json()["choice"] == "no"

    # A paper sheet of owners[7], entered by both tellers.
    sheet = {"elector": elector_of(meeting_obj, owners[7]).pk, "choices": {str(qid): "yes", str(eid): candidate_ids[:5]}}
    first = api(w["tellers"][0]).post(f"{API}/meetings/{mid}/paper-entries/", sheet, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["status"] == "waiting"
    second = api(w["tellers"][1]).post(f"{API}/meetings/{mid}/paper-entries/", sheet, format="json")
    assert second.json()["status"] == "matched"
    entries = api(w["tellers"][1]).get(f"{API}/meetings/{mid}/paper-entries/").json()["results"]
    assert [e["choices"] is None for e in entries] == [True, False]  # only one's own reading is shown
    assert Ballot.objects.filter(item_id=qid, elector__user=owners[7], channel="paper", status="valid").exists()

    # Before the close there is no result.
    assert_error(chair.get(f"{API}/meetings/{mid}/result/"), 409, "conflict")
    assert_error(chair.post(f"{API}/meetings/{mid}/close/"), 409, "conflict", "vote_closes_at")
    end_now(meeting_obj)
    closed = chair.post(f"{API}/meetings/{mid}/close/")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    english = api(w["chair"])
    english.credentials(HTTP_ACCEPT_LANGUAGE="en")
    result = english.get(f"{API}/meetings/{mid}/result/").json()
    item = next(i for i in result["items"] if i["item"] == qid)
    assert item["passed"] is True
    stored = item["result"]
    assert stored["reason"] == "passed"
    assert (stored["participation"]["count"], stored["participation"]["area"]) == (10, "1256.00")
    assert (stored["yes"]["count"], stored["yes"]["area"]) == (8, "1074.00")
    assert (stored["no"]["count"], stored["no"]["area"]) == (2, "182.00")
    assert item["explanation"].startswith("Passed: 8 of 10 owners")
    assert "1074.00" in item["explanation"]
    vote = next(i for i in result["items"] if i["item"] == eid)
    assert vote["passed"] is True and len(vote["result"]["elected"]) == 5
    assert "5 of 5 seats" in vote["explanation"]
    # After the close a receipt shows the choice it counted.
    assert api(owners[9]).get(f"{API}/meetings/{mid}/receipts/{receipts[owners[5]]}/").json()["choice"] == "no"


@pytest.mark.django_db
def test_the_result_is_explained_in_chinese_from_the_stored_tally(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.get()
    services.vote_online(item=item, actor=w["owners"][0], choice="yes")
    end_now(meeting)
    services.meeting_close(meeting=meeting)
    (row,) = api(w["owners"][3]).get(f"{API}/meetings/{meeting.pk}/result/").json()["items"]
    assert row["passed"] is False and row["result"]["reason"] == "participation_not_met"
    with translation.override("zh-hans"):
        assert row["explanation"] == explain.explain(selectors.item_outcome(item))
        assert row["rule_summary"] == explain.rule_summary("majority")
    assert row["clause_explanation"] == "" and row["legal_risk"] is False


# --- the rule of an assembly item follows from its matter -------------------------------------------


@pytest.mark.django_db
def test_an_assembly_item_refuses_a_rule_chosen_by_hand(meeting_world):
    w = meeting_world
    now = timezone.now()
    meeting = services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind="assembly", title="大会", convener="committee",
        starts_at=now + timedelta(days=20), vote_opens_at=now + timedelta(days=16), vote_closes_at=now + timedelta(days=23),
    )
    client = api(w["chair"])
    url = f"{API}/meetings/{meeting.pk}/items/"
    error = assert_error(
        client.post(url, {"title": "筹集维修资金", "proposer": "committee", "matter": 6, "rule": "majority"}, format="json"),
        400, "invalid", "rule",
    )
    assert list(error["fields"]) == ["rule"]
    assert not meeting.items.exists()
    created = client.post(url, {"title": "筹集维修资金", "proposer": "committee", "matter": 6}, format="json")
    assert created.json()["rule"] == "supermajority"
    assert_error(client.post(url, {"title": "无事项", "proposer": "committee"}, format="json"), 400, "invalid", "matter")


@pytest.mark.django_db
def test_a_building_meeting_item_needs_a_household_rule(meeting_world):
    w = meeting_world
    now = timezone.now()
    meeting = services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind="building", title="3栋楼宇会", convener="committee",
        starts_at=now + timedelta(days=3), building=w["building"],
        vote_opens_at=now + timedelta(days=1), vote_closes_at=now + timedelta(days=3),
    )
    client = api(w["chair"])
    url = f"{API}/meetings/{meeting.pk}/items/"
    assert_error(client.post(url, {"title": "加装电梯", "proposer": "resident"}, format="json"), 400, "invalid", "rule")
    assert_error(client.post(url, {"title": "加装电梯", "proposer": "resident", "matter": 4}, format="json"),
                 400, "invalid", "matter")
    created = client.post(url, {"title": "加装电梯", "proposer": "resident", "rule": "consensus"}, format="json")
    assert created.status_code == 201 and created.json()["rule"] == "consensus"


@pytest.mark.django_db
def test_bad_input_names_its_field(meeting_world):
    w = meeting_world
    response = api(w["chair"]).post(f"{API}/meetings/", {"compound": w["compound"].pk, "kind": "assembly"}, format="json")
    error = assert_error(response, 400, "invalid", "title")
    assert {"title", "convener", "starts_at"} <= set(error["fields"])
    one = api(w["chair"]).post(f"{API}/meetings/", {
        "compound": w["compound"].pk, "kind": "assembly", "title": "大会", "convener": "committee",
        "starts_at": iso(timezone.now() + timedelta(days=20)),
    }, format="json")
    assert_error(one, 400, "invalid", "vote_opens_at")
    assert not Meeting.objects.exists()


# --- permissions: out of scope is 404, refused is 403 -------------------------------------------------


@pytest.fixture
def busy_meeting(meeting_world):
    """A published, open assembly with an objection, a comment, a task and a petition around it."""
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    item = meeting.items.get()
    objection = services.objection_raise(meeting=meeting, actor=w["owners"][8], text="我家面积不对", unit=w["units"][8])
    services.comment_post(item=item, actor=w["owners"][8], body="支持续聘")
    meeting = open_now(meeting)
    ballot = services.vote_online(item=item, actor=w["owners"][1], choice="yes")[0]
    task = services.action_create(meeting=meeting, actor=w["chair"], title="修楼梯扶手", party="committee",
                                  due_date=timezone.localdate() + timedelta(days=30))
    petition = services.petition_start(compound=w["compound"], actor=w["owners"][9], title="更换物业")
    return {"meeting": meeting, "item": item, "objection": objection, "ballot": ballot, "task": task, "petition": petition}


OBJECT_ENDPOINTS = [
    ("get", "meetings/{m}/"), ("patch", "meetings/{m}/"), ("post", "meetings/{m}/publish/"),
    ("post", "meetings/{m}/cancel/"), ("post", "meetings/{m}/close/"), ("post", "meetings/{m}/tellers/"),
    ("get", "meetings/{m}/items/"), ("post", "meetings/{m}/items/"), ("get", "meetings/{m}/participation/"),
    ("get", "meetings/{m}/electorate/"), ("get", "meetings/{m}/objections/"), ("post", "meetings/{m}/objections/"),
    ("get", "meetings/{m}/corrections/"), ("post", "meetings/{m}/corrections/"),
    ("get", "meetings/{m}/paper-entries/"), ("post", "meetings/{m}/paper-entries/"),
    ("post", "meetings/{m}/proxy-votes/"), ("get", "meetings/{m}/receipts/{code}/"), ("get", "meetings/{m}/result/"),
    ("put", "meetings/{m}/minutes/"), ("get", "meetings/{m}/actions/"), ("post", "meetings/{m}/actions/"),
    ("get", "items/{i}/"), ("delete", "items/{i}/"), ("post", "items/{i}/candidates/"),
    ("post", "items/{i}/documents/"), ("get", "items/{i}/comments/"), ("post", "items/{i}/comments/"),
    ("post", "items/{i}/party-opinion/"), ("post", "items/{i}/vote/"),
    ("get", "objections/{o}/"), ("post", "objections/{o}/answer/"),
    ("get", "actions/{a}/"), ("post", "actions/{a}/complete/"), ("post", "actions/{a}/case/"),
    ("get", "actions/{a}/contributions/"), ("post", "actions/{a}/contributions/"),
    ("get", "petitions/{p}/"), ("post", "petitions/{p}/sign/"), ("post", "petitions/{p}/convened/"),
]


@pytest.mark.django_db
def test_an_outsider_gets_404_on_every_object_endpoint(meeting_world, busy_meeting):
    b = busy_meeting
    outsider = api(meeting_world["outsider"])
    ids = {"m": b["meeting"].pk, "i": b["item"].pk, "o": b["objection"].pk, "a": b["task"].pk,
           "p": b["petition"].pk, "code": b["ballot"].receipt_code}
    for method, path in OBJECT_ENDPOINTS:
        response = getattr(outsider, method)(f"{API}/{path.format(**ids)}", {}, format="json")
        assert_error(response, 404, "not_found")
    assert outsider.get(f"{API}/meetings/").json()["count"] == 0
    assert outsider.get(f"{API}/petitions/").json()["count"] == 0


@pytest.mark.django_db
def test_a_resident_cannot_take_convener_actions(meeting_world, busy_meeting):
    w, b = meeting_world, busy_meeting
    resident = api(w["owners"][8])  # raised the objection: sees it, may not answer it
    m, i = b["meeting"].pk, b["item"].pk
    refused = [
        ("post", f"meetings/{m}/publish/", {}), ("post", f"meetings/{m}/cancel/", {"reason": "不开了"}),
        ("post", f"meetings/{m}/close/", {}), ("post", f"meetings/{m}/tellers/", {"users": [w["owners"][7].pk, w["owners"][8].pk]}),
        ("post", f"meetings/{m}/items/", {"title": "x", "proposer": "resident", "matter": 4}),
        ("post", f"items/{i}/party-opinion/", {"text": "同意"}),
        ("post", f"objections/{b['objection'].pk}/answer/", {"accept": True, "response": "已核实"}),
        ("put", f"meetings/{m}/minutes/", {"text": "会议纪要"}),
        ("post", f"meetings/{m}/actions/", {"title": "x", "party": "committee", "due_date": "2030-01-01"}),
        ("post", f"actions/{b['task'].pk}/complete/", {}),
        ("post", f"meetings/{m}/paper-entries/", {"elector": 1, "choices": {}}),
        ("get", f"meetings/{m}/paper-entries/", None),
    ]
    for method, path, body in refused:
        response = getattr(resident, method)(f"{API}/{path}", body, format="json")
        assert_error(response, 403, "forbidden")
    # Drafts are not even visible to residents; creating one in their compound is refused.
    draft = services.meeting_create(actor=w["chair"], compound=w["compound"], kind="committee", title="业委会例会",
                                    convener="committee", starts_at=timezone.now() + timedelta(days=2))
    assert_error(resident.get(f"{API}/meetings/{draft.pk}/"), 404, "not_found")
    assert draft.pk not in [row["id"] for row in resident.get(f"{API}/meetings/").json()["results"]]
    created = resident.post(f"{API}/meetings/", {
        "compound": w["compound"].pk, "kind": "committee", "title": "我来开会", "convener": "committee",
        "starts_at": iso(timezone.now() + timedelta(days=2)),
    }, format="json")
    assert_error(created, 403, "forbidden")
    b["meeting"].refresh_from_db()
    assert b["meeting"].status == "noticed"


@pytest.mark.django_db
def test_objection_answer_and_logged_correction(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    owner, chair = api(w["owners"][8]), api(w["chair"])
    raised = owner.post(f"{API}/meetings/{meeting.pk}/objections/", {"text": "面积应为100平", "unit": w["units"][8].pk},
                        format="json")
    assert raised.status_code == 201, raised.content
    oid = raised.json()["id"]
    assert [o["id"] for o in api(w["owners"][6]).get(f"{API}/meetings/{meeting.pk}/objections/").json()["results"]] == []
    assert [o["id"] for o in chair.get(f"{API}/meetings/{meeting.pk}/objections/").json()["results"]] == [oid]
    answered = chair.post(f"{API}/objections/{oid}/answer/", {"accept": True, "response": "已核实，更正"}, format="json")
    assert answered.json()["status"] == "accepted"
    assert_error(chair.post(f"{API}/objections/{oid}/answer/", {"accept": False, "response": "x"}, format="json"),
                 409, "conflict")
    corrected = chair.post(f"{API}/meetings/{meeting.pk}/corrections/", {
        "unit": w["units"][8].pk, "reason": "按不动产登记更正", "area_m2": "100.00", "objection": oid,
    }, format="json")
    assert corrected.status_code == 201, corrected.content
    assert corrected.json()["after"]["area_m2"] == "100.00"
    assert elector_of(meeting, w["owners"][8]).area_m2 == Decimal("100.00")
    log = owner.get(f"{API}/meetings/{meeting.pk}/corrections/").json()["results"]
    assert [c["reason"] for c in log] == ["按不动产登记更正"]
    assert_error(chair.post(f"{API}/meetings/{meeting.pk}/corrections/", {"unit": w["units"][8].pk, "reason": "x",
                                                                         "area_m2": "0"}, format="json"),
                 400, "invalid", "area_m2")


@pytest.mark.django_db
def test_a_proxy_votes_with_an_uploaded_mandate(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.get()
    elector = elector_of(meeting, w["owners"][4])
    url = f"{API}/meetings/{meeting.pk}/proxy-votes/"
    teller = api(w["tellers"][0])
    without = teller.post(url, {"elector": elector.pk, "proxy_name": "王五", "choices": json.dumps({str(item.pk): "yes"})},
                          format="multipart")
    assert_error(without, 400, "invalid", "mandate")
    mandate = SimpleUploadedFile("mandate.pdf", b"%PDF-1.4 signed", content_type="application/pdf")
    response = teller.post(url, {"elector": elector.pk, "proxy_name": "王五", "mandate": mandate,
                                 "choices": json.dumps({str(item.pk): "maybe"})}, format="multipart")
    assert_error(response, 400, "invalid", "choices")
    mandate.seek(0)
    response = teller.post(url, {"elector": elector.pk, "proxy_name": "王五", "mandate": mandate,
                                 "choices": json.dumps({str(item.pk): "yes"})}, format="multipart")
    assert response.status_code == 201, response.content
    (ballot,) = response.json()["ballots"]
    assert ballot["channel"] == "proxy" and ballot["status"] == "valid"
    assert Ballot.objects.get(receipt_code=ballot["receipt_code"]).mandate.name.endswith(".pdf")


@pytest.mark.django_db
def test_minutes_tasks_contributions_and_a_petition(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    end_now(meeting)
    services.meeting_close(meeting=meeting)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    chair, resident = api(w["chair"]), api(w["owners"][6])
    minutes = chair.put(f"{API}/meetings/{meeting.pk}/minutes/", {"text": "到会业主12户。", "publish": True}, format="json")
    assert minutes.status_code == 200, minutes.content
    assert minutes.json()["minutes_published_at"]
    assert resident.get(f"{API}/meetings/{meeting.pk}/").json()["minutes"] == "到会业主12户。"
    assert_error(chair.put(f"{API}/meetings/{meeting.pk}/minutes/", {"text": "改"}, format="json"), 409, "conflict")

    task = chair.post(f"{API}/meetings/{meeting.pk}/actions/", {
        "title": "更换楼梯扶手", "party": "committee", "due_date": "2030-06-30", "assignee": w["owners"][1].pk,
    }, format="json")
    assert task.status_code == 201, task.content
    aid = task.json()["id"]
    pledged = chair.post(f"{API}/actions/{aid}/contributions/", {"contributor": "3栋201", "pledged": "200.00",
                                                                 "paid": "50.00", "unit": w["units"][0].pk}, format="json")
    assert pledged.status_code == 201, pledged.content
    assert_error(chair.post(f"{API}/actions/{aid}/contributions/", {"contributor": "3栋202", "pledged": "-1"},
                            format="json"), 400, "invalid", "pledged")
    ledger = resident.get(f"{API}/actions/{aid}/contributions/").json()["results"]
    assert [(r["contributor"], r["paid"]) for r in ledger] == [("3栋201", "50.00")]
    done = api(w["owners"][1]).post(f"{API}/actions/{aid}/complete/", {"note": "已完成"}, format="json")
    assert done.json()["status"] == "done"

    started = resident.post(f"{API}/petitions/", {"compound": w["compound"].pk, "title": "召开临时业主大会"}, format="json")
    assert started.status_code == 201, started.content
    petition = started.json()
    assert (petition["signatures"], petition["signed_by_me"], petition["signatures_needed"]) == (1, True, 3)
    pid = petition["id"]
    signed = api(w["owners"][7]).post(f"{API}/petitions/{pid}/sign/")
    assert signed.json()["signatures"] == 2 and signed.json()["status"] == "open"
    assert_error(api(w["owners"][7]).post(f"{API}/petitions/{pid}/sign/"), 409, "conflict")
    triggered = api(w["owners"][8]).post(f"{API}/petitions/{pid}/sign/").json()
    assert triggered["status"] == "triggered"
    assert_error(api(w["tellers"][0]).post(f"{API}/petitions/", {"compound": w["compound"].pk, "title": "x"},
                                           format="json"), 400, "invalid", "compound")


# --- constant query counts ---------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_meeting_list_runs_in_constant_queries(meeting_world):
    w = meeting_world
    client = api(w["owners"][3])
    published_assembly(w, open_voting=False)
    one = _queries(client, f"{API}/meetings/")
    for _ in range(3):
        published_assembly(w, matters=(4, 6), open_voting=False)
    assert client.get(f"{API}/meetings/").json()["count"] == 4
    assert _queries(client, f"{API}/meetings/") == one


@pytest.mark.django_db
def test_items_electorate_comments_and_petitions_list_in_constant_queries(meeting_world):
    w = meeting_world
    small = published_assembly(w, matters=(4,), open_voting=False)
    big = published_assembly(w, matters=(1, 4, 6, 9), election_seats=5, open_voting=False)
    client = api(w["chair"])
    assert _queries(client, f"{API}/meetings/{small.pk}/items/") == _queries(client, f"{API}/meetings/{big.pk}/items/")

    # The electorate of a committee meeting (5 members) against that of the assembly (12 electors).
    now = timezone.now()
    committee = services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind="committee", title="业委会例会", convener="committee",
        starts_at=now + timedelta(days=3), vote_opens_at=now + timedelta(days=1), vote_closes_at=now + timedelta(days=3),
    )
    services.item_add(meeting=committee, actor=w["chair"], title="年度预算", proposer="committee", rule="household_majority")
    services.meeting_publish_notice(meeting=committee, actor=w["chair"])
    assert Elector.objects.filter(meeting=committee).count() == 5
    assert _queries(client, f"{API}/meetings/{committee.pk}/electorate/") == _queries(
        client, f"{API}/meetings/{big.pk}/electorate/"
    )

    item_one, item_many = small.items.get(), big.items.first()
    services.comment_post(item=item_one, actor=w["owners"][1], body="同意")
    for n in range(4):
        services.comment_post(item=item_many, actor=w["owners"][n], body=f"意见{n}")
    assert _queries(client, f"{API}/items/{item_one.pk}/comments/") == _queries(client, f"{API}/items/{item_many.pk}/comments/")

    services.petition_start(compound=w["compound"], actor=w["owners"][9], title="一")
    one = _queries(client, f"{API}/petitions/")
    for n in range(3):
        services.petition_start(compound=w["compound"], actor=w["owners"][n], title=f"再{n}")
    assert _queries(client, f"{API}/petitions/") == one


@pytest.mark.django_db
def test_meeting_detail_shows_the_callers_flags_and_never_a_choice(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.get()
    services.vote_online(item=item, actor=w["owners"][6], choice="no")
    mine = api(w["owners"][6]).get(f"{API}/meetings/{meeting.pk}/").json()
    assert mine["viewer"] == {"can_manage": False, "is_teller": False, "can_vote": True, "can_object": False,
                              "can_take_part": True}
    assert mine["items"][0]["i_voted"] is True and mine["items"][0]["passed"] is None
    assert mine["tellers"] == []  # names of tellers only for those who manage the meeting
    assert api(w["owners"][7]).get(f"{API}/meetings/{meeting.pk}/").json()["items"][0]["i_voted"] is False
    assert AgendaItem.objects.get(pk=item.pk).result is None


@pytest.mark.django_db
def test_documents_discussion_party_opinion_and_removing_a_draft_item(meeting_world):
    w = meeting_world
    now = timezone.now()
    meeting = services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind="assembly", title="大会", convener="committee",
        starts_at=now + timedelta(days=20), vote_opens_at=now + timedelta(days=16), vote_closes_at=now + timedelta(days=23),
    )
    keep = services.item_add(meeting=meeting, actor=w["chair"], title="续聘物业", proposer="committee", matter=4)
    drop = services.item_add(meeting=meeting, actor=w["chair"], title="删掉的", proposer="committee", matter=9)
    chair = api(w["chair"])
    assert chair.delete(f"{API}/items/{drop.pk}/").status_code == 204
    assert list(meeting.items.values_list("pk", flat=True)) == [keep.pk]

    pdf = SimpleUploadedFile("合同.pdf", b"%PDF-1.4 contract", content_type="application/pdf")
    uploaded = chair.post(f"{API}/items/{keep.pk}/documents/", {"name": "物业合同", "file": pdf}, format="multipart")
    assert uploaded.status_code == 201, uploaded.content
    assert uploaded.json()["url"].endswith(f"/meetings/{meeting.pk}/items/{keep.pk}/documents/{uploaded.json()['id']}/")
    exe = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    assert_error(chair.post(f"{API}/items/{keep.pk}/documents/", {"file": exe}, format="multipart"), 400, "invalid", "file")

    opinion = api(w["secretary"]).post(f"{API}/items/{keep.pk}/party-opinion/", {"text": "党支部同意续聘"}, format="json")
    assert opinion.status_code == 200, opinion.content
    assert opinion.json()["party_opinion"] == "党支部同意续聘"
    assert_error(chair.post(f"{API}/items/{keep.pk}/party-opinion/", {"text": "x"}, format="json"), 403, "forbidden")

    # The discussion opens with the notice.
    resident = api(w["owners"][7])
    assert_error(resident.get(f"{API}/items/{keep.pk}/comments/"), 404, "not_found")  # a draft: not visible yet
    services.tellers_set(meeting=meeting, actor=w["chair"], tellers=w["tellers"])
    services.meeting_publish_notice(meeting=meeting, actor=w["chair"])
    posted = resident.post(f"{API}/items/{keep.pk}/comments/", {"body": "物业服务还可以"}, format="json")
    assert posted.status_code == 201 and posted.json()["author_name"] == "业主7"
    seen = api(w["owners"][8]).get(f"{API}/items/{keep.pk}/comments/").json()["results"]
    assert [(c["author_name"], c["body"]) for c in seen] == [("业**", "物业服务还可以")]
    assert chair.get(f"{API}/items/{keep.pk}/comments/").json()["results"][0]["author_name"] == "业主7"
    assert_error(chair.delete(f"{API}/items/{keep.pk}/"), 409, "conflict")

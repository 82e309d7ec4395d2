"""The API of survey templates, revisit campaigns and the resident's surveys: scope, results, answering
with the link's token (bound to the survey and its recipient, once, not after the end)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Campaign, Survey, SurveyTemplate
from complaints.surveys import tokens

from .test_campaign_pages import answer, launched, mixed_template
from .test_campaigns import estate  # noqa: F401 - fixture
from .test_surveys import survey_templates  # noqa: F401 - autouse fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_templates")]
RATINGS = {k: 4 for k in ("front_desk", "security", "cleaning", "greenery", "repairs", "fee_transparency")}


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_campaign_endpoints_are_scoped_and_refused_to_residents(estate):  # noqa: F811
    w = estate
    campaign = launched(w, share=30)
    resident = api(w["resident"])
    assert resident.get("/api/v1/campaigns/").status_code == 403
    assert resident.get("/api/v1/survey-templates/").status_code == 403
    refused = resident.post(f"/api/v1/campaigns/{campaign.pk}/finish/")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    outsider = api(w["outsider_staff"])
    assert outsider.get("/api/v1/campaigns/").json()["count"] == 0
    response = outsider.get(f"/api/v1/campaigns/{campaign.pk}/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert outsider.post(f"/api/v1/campaigns/{campaign.pk}/finish/").status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == "running"
    assert api().get("/api/v1/campaigns/").status_code == 401


def test_staff_create_launch_read_results_and_finish(estate):  # noqa: F811
    w = estate
    staff = api(w["community_staff"])
    starts = timezone.now() + timedelta(hours=1)
    body = {"name": "社区回访", "template": SurveyTemplate.objects.get(key="property-service").pk, "scope": "community",
            "place": w["community"].pk, "sample_share": 50, "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=7)).isoformat()}
    elsewhere = w["neighbour"].ownerships.get().unit.building.compound_id  # the other community's compound
    outside = staff.post("/api/v1/campaigns/", {**body, "scope": "compound", "place": elsewhere}, format="json")
    assert outside.status_code == 400 and outside.json()["error"]["fields"] == {"place": [outside.json()["error"]["message"]]}
    bad = staff.post("/api/v1/campaigns/", {**body, "sample_share": 0}, format="json")
    assert bad.status_code == 400 and "sample_share" in bad.json()["error"]["fields"]
    created = staff.post("/api/v1/campaigns/", body, format="json")
    assert created.status_code == 201
    data = created.json()
    assert (data["status"], data["scope"], data["community"], data["place_name"]) == (
        "draft", "community", w["community"].pk, w["community"].name)
    launched_ = staff.post(f"/api/v1/campaigns/{data['id']}/launch/")
    assert launched_.status_code == 200
    assert launched_.json()["results"]["response"] == {"asked": 9, "invited": 0, "answered": 0, "expired": 0, "rate": 0.0}
    assert staff.post(f"/api/v1/campaigns/{data['id']}/launch/").json()["error"]["code"] == "conflict"
    assert staff.post(f"/api/v1/campaigns/{data['id']}/launch/").status_code == 409
    listing = staff.get("/api/v1/campaigns/", {"status": "running"}).json()
    assert [(c["id"], c["asked"], c["answered"]) for c in listing["results"]] == [(data["id"], 9, 0)]
    finished = staff.post(f"/api/v1/campaigns/{data['id']}/finish/").json()
    assert finished["status"] == "finished" and finished["results"]["response"]["expired"] == 9


def test_results_json_has_the_numbers_and_the_list_keeps_its_queries(estate, django_assert_num_queries):  # noqa: F811
    w = estate
    campaign = launched(w, template=mixed_template(w["community_staff"]))
    surveys = list(campaign.surveys.order_by("id"))
    answer(surveys[0], {"overall": 5, "area": "1", "topics": ["a", "b"], "comment": "好"})
    answer(surveys[1], {"overall": 2, "area": "1"})
    staff = api(w["community_staff"])
    results = staff.get(f"/api/v1/campaigns/{campaign.pk}/").json()["results"]
    assert results["response"] == {"asked": 18, "invited": 18, "answered": 2, "expired": 0, "rate": 11.1}
    by_key = {q["key"]: q for q in results["questions"]}
    assert by_key["overall"]["average"] == 3.5 and by_key["overall"]["count"] == 2
    assert [(d["label"], d["count"], d["share"]) for d in by_key["area"]["distribution"]] == [
        ("楼道", 2, 100.0), ("车库", 0, 0.0)]
    assert [d["count"] for d in by_key["topics"]["distribution"]] == [1, 1, 0]
    assert by_key["comment"]["latest"] == ["好"] and by_key["photo"]["photos"] == []
    assert set(results["case_figures"]) >= {"closed", "solved_rate", "satisfied_rate", "days"}

    with CaptureQueriesContext(connection) as one:
        assert staff.get("/api/v1/campaigns/").json()["count"] == 1
    for place in (w["community"], w["company"]):
        launched(w, share=40, place=place)
    with django_assert_num_queries(len(one.captured_queries)):
        assert staff.get("/api/v1/campaigns/").json()["count"] == 3


def test_template_endpoints_create_and_edit_questions(estate):  # noqa: F811
    w = estate
    staff = api(w["community_staff"])
    created = staff.post("/api/v1/survey-templates/", {"key": "lift", "name": "电梯回访", "intro": "请回答"}, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    q = staff.post(f"/api/v1/survey-templates/{pk}/questions/",
                   {"key": "ok", "kind": "single", "text": "电梯正常吗", "choices": [{"value": "y", "label": "正常"},
                                                                                    {"value": "n", "label": "不正常"}]},
                   format="json")
    assert q.status_code == 201
    question = q.json()["questions"][0]
    assert (question["key"], question["kind"], question["required"]) == ("ok", "single", True)
    one = staff.post(f"/api/v1/survey-templates/{pk}/questions/",
                     {"key": "bad", "kind": "single", "text": "x", "choices": [{"value": "y", "label": "是"}]}, format="json")
    assert one.status_code == 400 and "choices" in one.json()["error"]["fields"]
    patched = staff.patch(f"/api/v1/survey-templates/{pk}/questions/{question['id']}/", {"text": "电梯运行正常吗",
                                                                                         "required": False}, format="json")
    assert patched.json()["questions"][0]["text"] == "电梯运行正常吗" and not patched.json()["questions"][0]["required"]
    assert staff.patch(f"/api/v1/survey-templates/{pk}/", {"is_active": False}, format="json").json()["is_active"] is False
    assert staff.delete(f"/api/v1/survey-templates/{pk}/questions/{question['id']}/").json()["questions"] == []
    listing = staff.get("/api/v1/survey-templates/").json()
    assert "lift" in {t["key"] for t in listing["results"]}
    # Property staff read nothing and edit nothing here.
    company = api(w["property_staff"])
    assert company.post("/api/v1/survey-templates/", {"key": "x", "name": "x"}, format="json").status_code == 403


def test_mine_lists_open_surveys_with_their_token_and_answering_with_it_works_once(estate):  # noqa: F811
    w = estate
    campaign = launched(w)
    survey, other = campaign.surveys.order_by("id")[:2]
    resident = api(survey.recipient)
    mine = resident.get("/api/v1/surveys/mine/").json()
    assert [s["id"] for s in mine["open"]] == [survey.pk] and mine["answered"] == []
    token = mine["open"][0]["token"]
    assert mine["open"][0]["link"] == tokens.survey_path(survey)

    anonymous = api()
    url = f"/api/v1/surveys/{survey.pk}/answer/"
    # Another survey's token, a forged one: 404; a missing required answer: 400 naming the question.
    wrong = anonymous.post(url, {"token": tokens.make_token(other), "answers": RATINGS}, format="json")
    assert wrong.status_code == 404 and wrong.json()["error"]["code"] == "not_found"
    assert anonymous.post(f"/api/v1/surveys/{other.pk}/answer/", {"token": token, "answers": RATINGS},
                          format="json").status_code == 404
    assert anonymous.post(url, {"token": token + "x", "answers": RATINGS}, format="json").status_code == 404
    missing = anonymous.post(url, {"token": token, "answers": {"front_desk": 5}}, format="json")
    assert missing.status_code == 400 and "security" in missing.json()["error"]["fields"]
    # Another logged-in person: 403.
    assert api(other.recipient).post(url, {"token": token, "answers": RATINGS}, format="json").status_code == 403

    done = anonymous.post(url, {"token": token, "answers": {**RATINGS, "comment": "保洁很好"}}, format="json")
    assert done.status_code == 200
    assert done.json()["status"] == "answered" and done.json()["case_reopened"] is False
    survey.refresh_from_db()
    assert survey.status == "answered" and survey.answers["comment"] == "保洁很好" and survey.answers["security"] == 4
    again = anonymous.post(url, {"token": token, "answers": RATINGS}, format="json")
    assert again.status_code == 410 and again.json()["error"]["code"] == "gone"
    mine = resident.get("/api/v1/surveys/mine/").json()
    assert mine["open"] == [] and [s["id"] for s in mine["answered"]] == [survey.pk]
    assert mine["answered"][0]["token"] == ""


def test_an_expired_survey_cannot_be_answered_through_the_api(estate):  # noqa: F811
    w = estate
    campaign = launched(w)
    survey = campaign.surveys.order_by("id").first()
    token = tokens.make_token(survey)
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(minutes=1),
                                               invite_at=timezone.now() - timedelta(days=2))
    response = api().post(f"/api/v1/surveys/{survey.pk}/answer/", {"token": token, "answers": RATINGS}, format="json")
    assert response.status_code == 410
    survey.refresh_from_db()
    assert survey.status == "invited" and survey.answers == {}
    assert Campaign.objects.get(pk=campaign.pk).status == "running"

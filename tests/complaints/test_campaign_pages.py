"""The staff pages of revisit campaigns and survey templates, the case follow-up figures and "my surveys":
scope (404 outside, 403 for people who manage no place), results and export numbers, constant queries."""

import io
import math
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from complaints.models import Campaign, Survey, SurveyQuestion, SurveyTemplate
from complaints.surveys import scheduling, stats, tokens
from complaints.surveys.services import (
    campaign_create,
    campaign_launch,
    survey_answer,
    survey_question_create,
    survey_template_create,
)

from .conftest import jpeg_upload
from .test_campaigns import estate  # noqa: F401 - fixture
from .test_surveys import (
    closed_case,
    survey_templates,  # noqa: F401 - autouse fixture
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_templates")]


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(translation.gettext(text) if isinstance(text, str) else text)


def login(client, user):
    client.force_login(user)
    return client


def mixed_template(actor) -> SurveyTemplate:
    """A survey with every kind of question."""
    template = survey_template_create(actor=actor, key="mixed", name="小区环境回访")
    survey_question_create(template=template, actor=actor, key="overall", kind="rating", text="总体评价")
    survey_question_create(template=template, actor=actor, key="area", kind="single", text="最关心哪里",
                           choices=[{"value": "1", "label": "楼道"}, {"value": "2", "label": "车库"}])
    survey_question_create(template=template, actor=actor, key="topics", kind="multiple", text="哪些要改进",
                           choices=[{"value": "a", "label": "保洁"}, {"value": "b", "label": "绿化"},
                                    {"value": "c", "label": "停车"}], required=False)
    survey_question_create(template=template, actor=actor, key="comment", kind="text", text="意见", required=False)
    survey_question_create(template=template, actor=actor, key="photo", kind="photo", text="照片", required=False)
    return template


def launched(w, *, template=None, share=100, place=None) -> Campaign:
    starts = timezone.now() - timedelta(minutes=5)
    campaign = campaign_create(
        actor=w["community_staff"], name="2026年春季回访", template=template or SurveyTemplate.objects.get(key="property-service"),
        place=place or w["compound"], starts_at=starts, ends_at=starts + timedelta(days=14), sample_share=share, seed=11,
    )
    campaign = campaign_launch(campaign=campaign, actor=w["community_staff"])
    scheduling.surveys_sweep(now=timezone.now())
    return campaign


def answer(survey: Survey, answers: dict, photos=None) -> Survey:
    return survey_answer(survey=survey, answers=answers, photos=photos or {})


# --- who may see what ----------------------------------------------------------------------------


def test_residents_cannot_reach_the_staff_pages_and_out_of_scope_campaigns_are_404(client, estate):  # noqa: F811
    w = estate
    campaign = launched(w, share=30)
    question = SurveyQuestion.objects.filter(template__key="property-service").first()
    login(client, w["resident"])
    for name in ("campaigns:list", "campaigns:new", "campaigns:figures", "campaigns:templates", "campaigns:template-new"):
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("campaigns:template", args=[question.template_id])).status_code == 403
    assert client.get(reverse("campaigns:question", args=[question.pk])).status_code == 403
    for name in ("campaigns:detail", "campaigns:export"):
        assert client.get(reverse(name, args=[campaign.pk])).status_code == 404, name
    assert client.post(reverse("campaigns:finish", args=[campaign.pk])).status_code == 404
    home = client.get(reverse("home"))
    assert b'id="nav-campaigns"' not in home.content

    client.logout()
    login(client, w["outsider_staff"])  # community staff elsewhere
    assert client.get(reverse("campaigns:list")).status_code == 200
    assert campaign.name.encode() not in client.get(reverse("campaigns:list")).content
    for name in ("campaigns:detail", "campaigns:export"):
        assert client.get(reverse(name, args=[campaign.pk])).status_code == 404, name
    assert client.post(reverse("campaigns:finish", args=[campaign.pk])).status_code == 404
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.RUNNING

    client.logout()
    login(client, w["community_staff"])
    assert b'id="nav-campaigns"' in client.get(reverse("home")).content
    assert client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 200


def test_the_list_costs_the_same_queries_for_one_campaign_or_many(client, estate, django_assert_num_queries):  # noqa: F811
    w = estate
    launched(w, share=30)
    login(client, w["community_staff"])
    url = reverse("campaigns:list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
    assert response.status_code == 200
    for place in (w["compound"], w["community"], w["company"]):
        launched(w, share=50, place=place)
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    rows = response.content.decode().count('id="campaign-')
    assert rows == 4


# --- campaigns in the browser's forms ------------------------------------------------------------


def test_staff_create_launch_and_finish_a_campaign_through_the_pages(client, estate):  # noqa: F811
    w = estate
    login(client, w["community_staff"])
    form = client.get(reverse("campaigns:new"))
    assert form.status_code == 200
    assert f'value="compound:{w["compound"].pk}"'.encode() in form.content
    assert f'value="community:{w["community"].pk}"'.encode() in form.content
    elsewhere = w["neighbour"].ownerships.get().unit.building.compound_id  # the other community's compound
    assert f'value="compound:{elsewhere}"'.encode() not in form.content
    starts = timezone.localtime() + timedelta(hours=1)
    data = {
        "name": "物业服务回访", "template": SurveyTemplate.objects.get(key="property-service").pk,
        "place": f"compound:{w['compound'].pk}", "sample_share": 30, "remind_after_days": 3,
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"), "ends_at": (starts + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M"),
    }
    outside = client.post(reverse("campaigns:new"), {**data, "place": f"compound:{elsewhere}"})
    assert outside.status_code == 400 and not Campaign.objects.exists()
    backwards = client.post(reverse("campaigns:new"), {**data, "ends_at": (starts - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")})
    assert backwards.status_code == 400 and not Campaign.objects.exists()
    response = client.post(reverse("campaigns:new"), data)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == reverse("campaigns:detail", args=[campaign.pk])
    assert (campaign.scope, campaign.compound, campaign.sample_share, campaign.status) == (
        "compound", w["compound"], 30, "draft")
    assert campaign.created_by == w["community_staff"]

    detail = client.get(response.url)
    assert b'id="launch"' in detail.content and b'id="export"' not in detail.content
    client.post(reverse("campaigns:launch", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "running"
    assert campaign.surveys.count() == math.ceil(18 * 30 / 100)
    again = client.post(reverse("campaigns:launch", args=[campaign.pk]), follow=True)
    assert campaign.surveys.count() == 6
    assert "alert-danger" in again.content.decode()

    client.post(reverse("campaigns:finish", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.status == "finished"
    assert campaign.surveys.filter(status="expired").count() == 6
    page = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'id="response-expired">6<' in page and 'id="response-asked">6<' in page


def test_results_page_shows_response_rate_and_per_question_numbers_in_tables_and_chart_data(client, estate):  # noqa: F811
    w = estate
    template = mixed_template(w["community_staff"])
    campaign = launched(w, template=template)
    surveys = list(campaign.surveys.order_by("id"))
    assert len(surveys) == 18
    answer(surveys[0], {"overall": 5, "area": "1", "topics": ["a", "b"], "comment": "楼道很干净"},
           photos={"photo": [_photo()]})
    answer(surveys[1], {"overall": 3, "area": "2", "topics": ["b"]})
    answer(surveys[2], {"overall": 4, "area": "1", "comment": "希望多种树"})
    Survey.objects.filter(pk=surveys[3].pk).update(status="expired")

    login(client, w["community_staff"])
    response = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="response-asked">18<' in page
    assert 'id="response-answered">3<' in page
    assert 'id="response-expired">1<' in page
    assert 'id="response-rate">16.7%<' in page
    assert 'id="average-overall">4.0<' in page
    results = {r["key"]: r for r in stats.question_results(campaign.surveys.all(), surveys[0].questions)}
    assert [d["count"] for d in results["area"]["distribution"]] == [2, 1]
    assert [d["count"] for d in results["topics"]["distribution"]] == [1, 2, 0]
    assert '<tr data-value="1"><td>楼道</td><td class="text-end">2</td>' in page
    assert '<tr data-value="b"><td>绿化</td><td class="text-end">2</td>' in page
    assert "楼道很干净" in page and "希望多种树" in page
    # The charts: ECharts only on this page, drawn from the same numbers.
    assert "vendor/echarts/echarts.min.js" in page
    chart = response.context["chart"]
    assert chart["response"]["counts"] == [3, 14, 1]
    assert {"id": "chart-overall", "kind": "rating", "labels": ["1", "2", "3", "4", "5"],
            "counts": [0, 0, 1, 1, 1]} in chart["questions"]
    assert 'id="campaign-chart-data"' in page
    # The photo thumbnail is served after the scope check.
    photo = surveys[0].photos.get()
    assert f'src="{reverse("campaigns:photo", args=[campaign.pk, photo.pk])}"' in page
    thumb = client.get(reverse("campaigns:photo", args=[campaign.pk, photo.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"].startswith("image/")
    assert "vendor/echarts" not in client.get(reverse("campaigns:list")).content.decode()
    client.logout()
    login(client, w["outsider_staff"])
    assert client.get(reverse("campaigns:photo", args=[campaign.pk, photo.pk])).status_code == 404


def _photo():
    from complaints.photos import process_photos

    return process_photos([jpeg_upload()])[0]


def test_export_is_a_valid_xlsx_with_one_row_per_survey_and_a_column_per_question(client, estate):  # noqa: F811
    w = estate
    template = mixed_template(w["community_staff"])
    campaign = launched(w, template=template, share=30)
    surveys = list(campaign.surveys.select_related("unit__building__compound").order_by("id"))
    answer(surveys[0], {"overall": 2, "area": "2", "topics": ["a", "c"], "comment": "停车太乱"})
    login(client, w["community_staff"])
    response = client.get(reverse("campaigns:export", args=[campaign.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][3:] == ("总体评价", "最关心哪里", "哪些要改进", "意见", "照片")
    assert len(rows) == 1 + len(surveys) == 7
    unit = surveys[0].unit
    row = next(r for r in rows[1:] if r[0] == f"{w['compound'].name} {unit.building.name} {unit.label}")
    assert row[1] == zh(Survey.Status.ANSWERED.label)
    assert row[2] == timezone.localtime(Survey.objects.get(pk=surveys[0].pk).answered_at).strftime("%Y-%m-%d %H:%M")
    assert row[3:7] == (2, "车库", "保洁、停车", "停车太乱")
    assert row[7] in ("", None)
    others = [r for r in rows[1:] if r is not row]
    assert all(r[2] in ("", None) and r[3] in ("", None) for r in others)


# --- the case follow-up figures ------------------------------------------------------------------


def test_case_figures_page_shows_solved_and_satisfaction_rates_of_the_staffs_compounds(client, case_world):
    w = case_world
    closed_case(w)  # confirmed solved and satisfied
    closed_case(w, unconfirmed=True)  # no word: not solved, not rated
    login(client, w["community_staff"])
    response = client.get(reverse("campaigns:figures"))
    assert response.status_code == 200
    periods = {p["days"]: p for p in response.context["periods"]}
    assert set(periods) == {30, 90}
    assert (periods[30]["closed"], periods[30]["solved"], periods[30]["solved_rate"]) == (2, 1, 50.0)
    assert (periods[30]["rated"], periods[30]["satisfied_rate"]) == (1, 100.0)
    page = response.content.decode()
    assert 'id="figures-30"' in page and "50.0%" in page and "100.0%" in page
    assert {p["days"] for p in client.get(reverse("campaigns:figures"), {"days": 365}).context["periods"]} == {30, 90, 365}
    client.logout()
    login(client, w["outsider_staff"])
    other = client.get(reverse("campaigns:figures")).context["periods"]
    assert other[0]["closed"] == 0 and other[0]["solved_rate"] is None


# --- survey templates ----------------------------------------------------------------------------


def test_staff_edit_a_template_and_its_questions_through_the_pages(client, case_world):
    w = case_world
    login(client, w["community_staff"])
    response = client.post(reverse("campaigns:template-new"), {"name": "垃圾分类回访", "kind": "custom", "intro": "请回答",
                                                               "key": "garbage"})
    template = SurveyTemplate.objects.get(key="garbage")
    assert response.url == reverse("campaigns:template", args=[template.pk])
    url = reverse("campaigns:question-new", args=[template.pk])
    client.post(url, {"kind": "rating", "text": "分类做得怎么样", "required": "on"})
    client.post(url, {"kind": "single", "text": "每天几点倒垃圾", "choices": "早上\n晚上\n\n不一定", "required": "on"})
    bad = client.post(url, {"kind": "single", "text": "只有一个答案", "choices": "好"})
    assert bad.status_code == 400
    assert zh("Give at least two answers, each with its own value and label.") in bad.content.decode()
    questions = list(template.questions.order_by("position"))
    assert [(q.key, q.kind, q.required) for q in questions] == [("q1", "rating", True), ("q2", "single", True)]
    assert questions[1].choices == [{"value": "1", "label": "早上"}, {"value": "2", "label": "晚上"},
                                    {"value": "3", "label": "不一定"}]
    # Edit: the form shows value|label; wording changes keep the values.
    form = client.get(reverse("campaigns:question", args=[questions[1].pk]))
    assert "1|早上" in form.content.decode()
    client.post(reverse("campaigns:question", args=[questions[1].pk]),
                {"text": "一般几点倒垃圾", "choices": "1|早上7点前\n2|晚上\n3|不一定"})
    questions[1].refresh_from_db()
    assert questions[1].text == "一般几点倒垃圾" and not questions[1].required
    assert questions[1].choices[0] == {"value": "1", "label": "早上7点前"}
    # Reorder and delete.
    client.post(reverse("campaigns:question-move", args=[questions[1].pk]), {"direction": "up"})
    assert list(template.questions.order_by("position").values_list("key", flat=True)) == ["q2", "q1"]
    client.post(reverse("campaigns:question-delete", args=[questions[0].pk]))
    assert list(template.questions.values_list("key", flat=True)) == ["q2"]
    # Name, intro, in use.
    client.post(reverse("campaigns:template", args=[template.pk]), {"name": "垃圾分类调查", "intro": ""})
    template.refresh_from_db()
    assert (template.name, template.intro, template.is_active) == ("垃圾分类调查", "", False)
    listing = client.get(reverse("campaigns:templates")).content.decode()
    assert "垃圾分类调查" in listing and f'id="template-{template.pk}"' in listing
    # A question the figures read cannot be removed.
    solved = SurveyQuestion.objects.get(template__key="case-followup", key="solved")
    refused = client.post(reverse("campaigns:question-delete", args=[solved.pk]), follow=True)
    assert "alert-danger" in refused.content.decode()
    assert SurveyQuestion.objects.filter(pk=solved.pk).exists()
    # Staff who manage no community cannot edit templates.
    client.logout()
    login(client, w["property_staff"])
    assert client.post(url, {"kind": "text", "text": "x"}).status_code == 403


# --- residents ----------------------------------------------------------------------------------


def test_my_surveys_lists_open_ones_with_their_signed_link_and_the_answered_ones(client, estate):  # noqa: F811
    w = estate
    campaign = launched(w)
    survey = campaign.surveys.order_by("id").first()
    resident = survey.recipient
    login(client, resident)
    page = client.get(reverse("surveys:mine")).content.decode()
    assert f'href="{tokens.survey_path(survey)}"' in page
    assert campaign.name in page
    assert 'id="answered-surveys"' in page and f'id="survey-{survey.pk}"' in page.split('id="answered-surveys"')[0]
    assert reverse("surveys:mine") in client.get(reverse("inbox:list")).content.decode()
    answer(survey, {k: 4 for k in ("front_desk", "security", "cleaning", "greenery", "repairs", "fee_transparency")})
    page = client.get(reverse("surveys:mine")).content.decode()
    assert tokens.survey_path(survey) not in page
    assert f'id="survey-{survey.pk}"' in page.split('id="answered-surveys"')[1]
    # Someone else's surveys are not listed.
    client.logout()
    login(client, w["community_staff"])
    assert campaign.name not in client.get(reverse("surveys:mine")).content.decode()

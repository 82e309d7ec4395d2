"""Revisit campaigns (定期回访): a seeded 30% sample of households, one survey each, swept like follow-ups;
response rate and per-question results; finishing expires the rest."""

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Campaign, Survey, SurveyTemplate
from complaints.surveys import scheduling, stats
from complaints.surveys.services import (
    campaign_create,
    campaign_finish,
    campaign_launch,
    households,
    sample,
    survey_answer,
)
from core.errors import ApplicationError
from core.models import AuditEvent, OutboxMessage
from residents.models import Ownership, Tenancy

from .. import factories
from .test_surveys import survey_templates  # noqa: F401 - autouse fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("survey_templates")]


@pytest.fixture
def estate(case_world):
    """The compound of case_world with 22 units: 18 households and 4 units that are not one."""
    w = case_world
    Ownership.objects.filter(unit__building__compound=w["compound"]).delete()
    units = [factories.UnitFactory(building=w["building"], number=f"C{i:02d}") for i in range(22)]
    today, now = timezone.localdate(), timezone.now()
    expected = {}
    for unit in units[:14]:
        expected[unit.pk] = factories.OwnershipFactory(unit=unit).user  # the designated voter
    factories.OwnershipFactory(unit=units[0], is_voter=False)  # a co-owner: the voter is asked
    for unit in units[14:17]:
        expected[unit.pk] = Tenancy.objects.create(unit=unit, user=factories.UserFactory(), start=today - timedelta(days=30),
                                                   verified_at=now).user
    factories.OwnershipFactory(unit=units[17], is_voter=False)
    expected[units[17].pk] = Tenancy.objects.create(unit=units[17], user=factories.UserFactory(), start=today,
                                                    verified_at=now).user  # no voter: the tenant is asked
    factories.OwnershipFactory(unit=units[18], status=Ownership.Status.CLAIMED, verified_at=None)  # not verified
    factories.OwnershipFactory(unit=units[19], is_developer=True)  # unsold
    Tenancy.objects.create(unit=units[21], user=factories.UserFactory(), start=today)  # not verified; 20 is empty
    # A household elsewhere, out of scope.
    other = factories.UnitFactory(building=factories.BuildingFactory(compound=factories.CompoundFactory()))
    factories.OwnershipFactory(unit=other)
    return {**w, "units": units, "expected": expected}


def make(w, *, seed=7, share=30, place=None, starts=None, days=14, template="property-service") -> Campaign:
    starts = starts or timezone.now() - timedelta(minutes=5)
    return campaign_create(actor=w["community_staff"], name="2026年物业服务回访", template=SurveyTemplate.objects.get(key=template),
                           place=place or w["compound"], starts_at=starts, ends_at=starts + timedelta(days=days),
                           sample_share=share, seed=seed)


def test_households_are_units_with_a_verified_owner_or_tenant_asked_through_the_voter_else_a_tenant(estate):
    campaign = make(estate)
    assert households(campaign) == sorted((unit, user.pk) for unit, user in estate["expected"].items())


def test_launch_samples_30_percent_of_households_deterministically_one_survey_each(estate):
    w = estate
    first = campaign_launch(campaign=make(w, seed=2024), actor=w["community_staff"])
    again = campaign_launch(campaign=make(w, seed=2024), actor=w["community_staff"])
    drawn = list(Survey.objects.filter(campaign=first).order_by("unit_id").values_list("unit_id", "recipient_id"))
    assert len(drawn) == math.ceil(18 * 30 / 100) == 6
    assert len({unit for unit, _ in drawn}) == 6
    assert drawn == list(Survey.objects.filter(campaign=again).order_by("unit_id").values_list("unit_id", "recipient_id"))
    assert all(w["expected"][unit].pk == user for unit, user in drawn)
    # Another seed, another draw (over a few seeds at least one differs); the draw is a pure function.
    draws = {tuple(sample(list(range(18)), share=30, seed=seed)) for seed in range(5)}
    assert len(draws) > 1
    assert sample(list(range(18)), share=30, seed=3) == sample(list(range(18)), share=30, seed=3)
    s = Survey.objects.filter(campaign=first).first()
    assert (s.status, s.purpose, s.invite_at, s.expires_at) == ("scheduled", "campaign", first.starts_at, first.ends_at)
    assert s.remind_at == first.starts_at + timedelta(days=3)
    assert s.questions == SurveyTemplate.objects.get(key="property-service").snapshot()
    first.refresh_from_db()
    assert first.status == "running" and first.launched_at is not None
    assert AuditEvent.objects.filter(action="campaign.launch", target_id=str(first.pk), data__households=6).exists()
    with pytest.raises(ApplicationError) as error:
        campaign_launch(campaign=first, actor=w["community_staff"])
    assert error.value.code == "conflict"
    assert Survey.objects.filter(campaign=first).count() == 6


def test_the_whole_place_can_be_asked_and_a_community_or_company_covers_its_compounds(estate):
    w = estate
    for place in (w["community"], w["company"]):
        campaign = campaign_launch(campaign=make(w, share=100, place=place), actor=w["community_staff"])
        assert Survey.objects.filter(campaign=campaign).count() == 18
    # The company's own staff do not survey themselves: the community does.
    with pytest.raises(ApplicationError):
        campaign_launch(campaign=make(w, place=w["company"]), actor=w["property_staff"])


def test_only_staff_managing_the_place_run_a_campaign(estate):
    w = estate
    for outsider in (w["outsider_staff"], w["resident"], w["department_staff"]):
        with pytest.raises(ApplicationError) as error:
            campaign_create(actor=outsider, name="回访", template=SurveyTemplate.objects.get(key="property-service"),
                            place=w["compound"], starts_at=timezone.now(), ends_at=timezone.now() + timedelta(days=7))
        assert error.value.code == "forbidden"
    campaign = make(w)
    with pytest.raises(ApplicationError) as error:
        campaign_launch(campaign=campaign, actor=w["outsider_staff"])
    assert error.value.code == "forbidden"


def test_a_place_without_households_cannot_be_launched_and_bad_windows_are_refused(estate):
    w = estate
    empty = factories.CompoundFactory(community=w["community"])
    with pytest.raises(ApplicationError):
        campaign_launch(campaign=make(w, place=empty), actor=w["community_staff"])
    with pytest.raises(ApplicationError) as error:
        make(w, days=0)
    assert error.value.field == "ends_at"
    with pytest.raises(ApplicationError) as error:
        make(w, share=0)
    assert error.value.field == "sample_share"


def test_a_campaign_runs_response_rate_and_results_come_in_and_finishing_expires_the_rest(estate):
    w = estate
    campaign = campaign_launch(campaign=make(w, share=100), actor=w["community_staff"])
    assert stats.response_rate(campaign) == {"asked": 18, "invited": 0, "answered": 0, "expired": 0, "rate": 0.0}
    assert scheduling.surveys_sweep()["invited"] == 18
    assert OutboxMessage.objects.filter(key__startswith="survey:", key__endswith=":invite", channel="sms").count() == 18
    surveys = list(Survey.objects.filter(campaign=campaign).order_by("unit_id"))
    scores = [(5, 4), (3, 2), (4, 4), (5, 5)]
    keys = ["front_desk", "security", "cleaning", "greenery", "repairs", "fee_transparency"]
    for survey, (first, rest) in zip(surveys, scores, strict=False):
        survey_answer(survey=survey, answers={k: first if k == "front_desk" else rest for k in keys} | {"comment": "挺好"})
    assert stats.response_rate(campaign) == {"asked": 18, "invited": 18, "answered": 4, "expired": 0, "rate": 22.2}
    results = {r["key"]: r for r in stats.question_results(campaign.surveys.all(), campaign.template.snapshot())}
    assert results["front_desk"]["count"] == 4 and results["front_desk"]["average"] == 4.25
    assert [d["count"] for d in results["front_desk"]["distribution"]] == [0, 0, 1, 1, 2]
    assert results["front_desk"]["distribution"][4]["share"] == 50.0
    assert results["security"]["average"] == 3.75
    assert results["comment"] == {"key": "comment", "kind": "text", "text": "您的意见和建议", "count": 4,
                                  "latest": ["挺好"] * 4}

    finished = campaign_finish(campaign=campaign, actor=w["community_staff"])
    assert finished.status == "finished" and finished.finished_at is not None
    assert stats.response_rate(campaign) == {"asked": 18, "invited": 18, "answered": 4, "expired": 14, "rate": 22.2}
    later = campaign.starts_at + timedelta(days=4)
    assert scheduling.surveys_sweep(now=later)["reminded"] == 0  # nothing left open to remind
    with pytest.raises(ApplicationError):
        survey_answer(survey=surveys[10], answers={k: 3 for k in keys})


def test_choice_questions_count_each_choice(estate):
    w = estate
    campaign = campaign_launch(campaign=make(w, share=100, template="case-recheck"), actor=w["community_staff"])
    scheduling.surveys_sweep()
    for survey, answer in zip(campaign.surveys.order_by("id"), ["yes", "yes", "no"], strict=False):
        survey_answer(survey=survey, answers={"still_fixed": answer, "comment": "x"})
    (still_fixed, comment) = stats.question_results(campaign.surveys.all(), campaign.template.snapshot())
    assert [(d["label"], d["count"], d["share"]) for d in still_fixed["distribution"]] == [
        ("仍然解决", 2, 66.7), ("又出现了", 1, 33.3)]


def test_the_sweeper_reminds_campaign_surveys_once_and_finishes_the_campaign_at_its_end(estate):
    w = estate
    campaign = campaign_launch(campaign=make(w), actor=w["community_staff"])
    scheduling.surveys_sweep()
    survey = campaign.surveys.first()
    survey_answer(survey=survey, answers={k: 4 for k in ["front_desk", "security", "cleaning", "greenery", "repairs",
                                                          "fee_transparency"]})
    remind = campaign.starts_at + timedelta(days=3, minutes=1)
    assert scheduling.surveys_sweep(now=remind)["reminded"] == 5
    assert scheduling.surveys_sweep(now=remind)["reminded"] == 0
    counts = scheduling.surveys_sweep(now=campaign.ends_at + timedelta(minutes=1))
    assert counts["campaigns_finished"] == 1
    campaign.refresh_from_db()
    assert campaign.status == "finished"
    assert sorted(campaign.surveys.values_list("status", flat=True)) == ["answered"] + ["expired"] * 5


def test_the_admin_lists_templates_policies_surveys_and_campaigns(client, estate, django_user_model):
    from complaints.models import FollowUpPolicy

    root = django_user_model.objects.filter(is_superuser=True).first()
    client.force_login(root)
    campaign = campaign_launch(campaign=make(estate), actor=estate["community_staff"])
    template = SurveyTemplate.objects.get(key="case-followup")
    FollowUpPolicy.objects.create(category="parking", recheck_after_days=40)
    for url in ("/admin/complaints/surveytemplate/", f"/admin/complaints/surveytemplate/{template.pk}/change/",
                "/admin/complaints/followuppolicy/", "/admin/complaints/survey/", "/admin/complaints/campaign/",
                f"/admin/complaints/campaign/{campaign.pk}/change/", "/admin/complaints/campaign/add/"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/admin/complaints/surveytemplate/{template.pk}/change/").content.decode()
    assert "办理速度（1-5分）" in page
    # The finish action runs the service.
    client.post("/admin/complaints/campaign/", {"action": "finish", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.status == "finished"

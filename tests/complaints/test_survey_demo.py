"""The demo's follow-up surveys, revisit campaign and suggestions: there to be tried, and made by the services."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import models

from complaints.models import Campaign, Suggestion, Survey
from complaints.surveys import stats
from residents.models import User


@pytest.fixture
def seeded(db):
    call_command("seed_demo", scale="tiny", stdout=StringIO())


def test_wang_xiuying_has_a_follow_up_waiting_and_closed_cases_have_theirs(seeded):
    wang = User.objects.get(phone="13800000008")
    waiting = Survey.objects.get(recipient=wang, status=Survey.Status.INVITED)
    assert waiting.purpose == Survey.Purpose.CASE_FOLLOWUP and waiting.complaint.reporter == wang
    # Closed cases of the last 60 days got their follow-ups through the services, in every state.
    followups = Survey.objects.filter(purpose=Survey.Purpose.CASE_FOLLOWUP).exclude(recipient=wang)
    assert followups.count() > 3 and followups.filter(complaint__reporter_id=models.F("recipient_id")).count() == followups.count()
    assert all(s.solved and s.satisfaction for s in followups.filter(status=Survey.Status.ANSWERED))


def test_the_campaign_runs_with_answers_coming_in(seeded):
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.RUNNING
    rate = stats.response_rate(campaign)
    assert rate["invited"] == rate["asked"] > 0  # the window is open: everyone drawn is invited
    assert 0 < rate["answered"] < rate["asked"]


def test_one_suggestion_is_answered_and_published_the_other_is_anonymous_and_open(seeded):
    published, open_ = Suggestion.objects.order_by("id")
    assert published.published and published.answer
    assert open_.anonymous and not open_.answer

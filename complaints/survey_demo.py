"""Demo follow-up surveys, a revisit campaign and suggestions for the seeded district (called by `seed_demo`).

Closed cases of the last 60 days get their follow-up surveys through the services (as if the sweeper had run),
most of them answered; 王秀英 (13800000008) has one waiting under 我的问卷. 八一新村 has a running property-
service campaign with answers coming in, and a few suggestions (one answered and published on the board).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

from django.apps import apps as django_apps
from django.db import transaction
from django.utils import timezone

from governance.demo import SHOWCASE_HOME
from governance.models import Compound, Role, RoleAssignment
from residents.models import User

from . import suggestions
from .models import Complaint, Status, Survey, SurveyTemplate
from .surveys import defaults, scheduling
from .surveys import services as surveys

RATINGS = (5, 5, 4, 4, 4, 3, 2)


def _answers(questions: list[dict], rng: random.Random, *, solved_share: float = 0.8) -> dict:
    answers = {}
    for q in questions:
        if q["kind"] == "rating":
            answers[q["key"]] = rng.choice(RATINGS)
        elif q["key"] == "solved":
            answers[q["key"]] = "solved" if rng.random() < solved_share else "partly"
        elif q["key"] == "satisfaction":
            answers[q["key"]] = rng.choice(["satisfied", "satisfied", "basically", "dissatisfied"])
        elif q["key"] == "still_fixed":
            answers[q["key"]] = "yes"
        elif q["kind"] == "single" and q["choices"]:
            answers[q["key"]] = q["choices"][0]["value"]
    return answers


def seed_surveys(*, seed: int = 2024, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the demo surveys, campaign and suggestions; return counts. Needs the seeded cases."""
    say = progress or (lambda message: None)
    rng = random.Random(f"complaints.survey_demo:{seed}")
    now = timezone.now()
    wang = User.objects.get(phone="13800000008")
    with transaction.atomic():
        defaults.create(django_apps)  # the data migration's rows are gone if a test flushed the tables
        closed = Complaint.objects.filter(
            status__in=[Status.CLOSED, Status.CLOSED_UNCONFIRMED], closed_at__gte=now - timedelta(days=60)
        ).order_by("closed_at", "id")
        for case in closed:
            for survey in surveys.survey_schedule_for_case(complaint=case):
                if survey.invite_at > now:
                    continue
                scheduling.surveys_sweep(now=min(now, survey.invite_at + timedelta(minutes=1)))
                survey.refresh_from_db()
                answerable = survey.status == Survey.Status.INVITED and survey.expires_at > now
                if answerable and survey.recipient_id != wang.pk and rng.random() < 0.7:
                    surveys.survey_answer(survey=survey, answers=_answers(survey.questions, rng))
        # 王秀英's own closed case: its follow-up is waiting for her under 我的问卷 (as if closed a week ago).
        case = Complaint.objects.filter(reporter=wang, status=Status.CLOSED).order_by("-closed_at").first()
        if case is not None:
            surveys.survey_schedule_for_case(complaint=case)
            Survey.objects.filter(complaint=case, purpose=Survey.Purpose.CASE_FOLLOWUP).exclude(
                status=Survey.Status.ANSWERED
            ).update(status=Survey.Status.SCHEDULED, invited_at=None, reminded_at=None, invite_at=now - timedelta(hours=2),
                     remind_at=now + timedelta(days=3), expires_at=now + timedelta(days=12))
            scheduling.surveys_sweep(now=now)
        say("case follow-ups")

        home = Compound.objects.get(name=SHOWCASE_HOME)
        staff = RoleAssignment.objects.active().filter(role=Role.COMMUNITY_STAFF, community=home.community).first().user
        campaign = surveys.campaign_create(
            actor=staff, name="2026年冬季物业服务满意度回访", template=SurveyTemplate.objects.get(key="property-service"),
            place=home, starts_at=now - timedelta(days=5), ends_at=now + timedelta(days=10), seed=seed,
        )
        surveys.campaign_launch(campaign=campaign, actor=staff)
        scheduling.surveys_sweep(now=now)
        for survey in Survey.objects.filter(campaign=campaign, status=Survey.Status.INVITED).order_by("id"):
            if survey.recipient_id != wang.pk and rng.random() < 0.45:
                surveys.survey_answer(survey=survey, answers=_answers(survey.questions, rng))
        say("campaign")

        secretary = RoleAssignment.objects.active().filter(role=Role.PARTY_SECRETARY, compound=home).first().user
        published = suggestions.suggestion_submit(
            actor=wang, compound=home, recipient="party_branch", title="希望组织志愿者帮独居老人买菜",
            text="小区里独居老人多，下雪天出门不方便，能不能组织党员志愿者帮忙代买？",
        )
        suggestions.suggestion_answer(
            suggestion=published, actor=secretary, publish=True,
            answer="谢谢您的建议。党支部已组织12名在职党员结对独居老人，每周二、五代买，联系电话贴在各楼栋公告栏。",
        )
        suggestions.suggestion_submit(
            actor=wang, compound=home, recipient="property_company", title="垃圾分类点晚上太暗", anonymous=True,
            text="3栋旁边的垃圾分类点晚上没有灯，老人倒垃圾容易摔倒，建议加装照明。",
        )
        say("suggestions")
    return {
        "surveys": Survey.objects.count(),
        "surveys_answered": Survey.objects.filter(status=Survey.Status.ANSWERED).count(),
        "suggestions": 2,
    }

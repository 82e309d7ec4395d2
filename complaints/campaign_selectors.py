"""Reads for the campaign and survey-template pages and API: what a person may see, the results of a
campaign, the case follow-up figures and the XLSX export. Writes are in complaints.surveys.services."""

from __future__ import annotations

import io
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Community, Compound, PropertyCompany, ServiceContract

from .models import Campaign, Complaint, QuestionKind, Survey, SurveyPhoto, SurveyTemplate
from .surveys import permissions as survey_permissions
from .surveys import stats
from .surveys.services import SCOPES

PLACE_MODELS = {scope: model for model, scope in SCOPES.items()}
PHOTOS_SHOWN = 12


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    """The campaigns of places the user manages (the same rule as running one)."""
    if not user.is_authenticated or not user.is_active:
        return Campaign.objects.none()
    qs = Campaign.objects.select_related("template", "compound", "community", "property_company", "created_by")
    if user.is_superuser:
        return qs
    return qs.filter(
        Q(compound_id__in=Compound.objects.managed_by(user).values("pk"))
        | Q(community_id__in=Community.objects.managed_by(user).values("pk"))
        | Q(property_company_id__in=PropertyCompany.objects.managed_by(user).values("pk"))
    )


def campaign_places(user) -> list[tuple[str, list]]:
    """The places the user may run a campaign for, by kind: [(scope, [place, ...]), ...] (kinds with none left out)."""
    if not user.is_authenticated or not user.is_active:
        return []
    places = []
    for scope, model in PLACE_MODELS.items():
        rows = list(model.objects.managed_by(user).order_by("name", "pk"))
        if rows:
            places.append((scope, rows))
    return places


def runs_campaigns(user) -> bool:
    """Whether the user manages any place a campaign can be run for (the menu and the list page)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or any(model.objects.managed_by(user).exists() for model in PLACE_MODELS.values())


def may_edit_templates(user) -> bool:
    return survey_permissions.can_edit_templates(user)


def templates_with_counts() -> QuerySet[SurveyTemplate]:
    return SurveyTemplate.objects.annotate(
        question_count=Count("questions", distinct=True), campaign_count=Count("campaigns", distinct=True)
    ).order_by("kind", "name", "id")


def with_response_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Add asked / answered / expired counts to each campaign of a list (in the same query)."""
    not_cancelled = ~Q(surveys__status=Survey.Status.CANCELLED)
    return campaigns.annotate(
        asked=Count("surveys", filter=not_cancelled),
        answered=Count("surveys", filter=Q(surveys__status=Survey.Status.ANSWERED)),
        expired=Count("surveys", filter=Q(surveys__status=Survey.Status.EXPIRED)),
    )


def campaign_questions(campaign: Campaign) -> list[dict]:
    """The questions the campaign's households were asked (their frozen snapshot), else the template's."""
    questions = campaign.surveys.order_by("id").values_list("questions", flat=True).first()
    return questions if questions is not None else campaign.template.snapshot()


def campaign_results(campaign: Campaign) -> dict:
    """Response rate and per-question results; photo questions list their latest thumbnails (ids)."""
    questions = campaign_questions(campaign)
    surveys = campaign.surveys.all()
    results = stats.question_results(surveys, questions)
    photo_keys = [q["key"] for q in questions if q["kind"] == QuestionKind.PHOTO]
    if photo_keys:
        photos: dict[str, list[int]] = {key: [] for key in photo_keys}
        rows = SurveyPhoto.objects.filter(
            survey__campaign=campaign, survey__status=Survey.Status.ANSWERED, question_key__in=photo_keys
        ).order_by("-created_at", "-id").values_list("question_key", "pk")
        for key, pk in rows[: PHOTOS_SHOWN * len(photo_keys)]:
            if len(photos[key]) < PHOTOS_SHOWN:
                photos[key].append(pk)
        for result in results:
            if result["kind"] == QuestionKind.PHOTO:
                result["photos"] = photos[result["key"]]
    return {"response": stats.response_rate(campaign), "questions": results}


def place_cases(campaign: Campaign) -> QuerySet[Complaint]:
    """The cases of the campaign's place."""
    if campaign.scope == Campaign.Scope.COMPOUND:
        return Complaint.objects.filter(compound_id=campaign.compound_id)
    if campaign.scope == Campaign.Scope.COMMUNITY:
        return Complaint.objects.filter(compound__community_id=campaign.community_id)
    served = ServiceContract.objects.active().filter(company_id=campaign.property_company_id).values("compound_id")
    return Complaint.objects.filter(compound_id__in=served)


def staff_cases(user) -> QuerySet[Complaint]:
    """The cases of the compounds in the user's staff scope (not those they see as a resident)."""
    if user.is_superuser:
        return Complaint.objects.all()
    return Complaint.objects.filter(compound_id__in=Compound.objects.visible_to(user, as_staff=True).values("pk"))


def recent_figures(cases: QuerySet[Complaint], days: int, *, now=None) -> dict:
    """解决率 / 满意率 of the cases closed in the last `days` days."""
    now = now or timezone.now()
    figures = stats.case_figures(cases.filter(closed_at__gte=now - timedelta(days=days)))
    return {"days": days, **figures}


def household_label(survey: Survey) -> str:
    unit = survey.unit
    if unit is None:
        return ""
    return f"{unit.building.compound.name} {unit.building.name} {unit.label}"


def _cell(question: dict, value) -> str | int:
    if value in (None, "", []):
        return ""
    labels = {str(c["value"]): c["label"] for c in question.get("choices") or []}
    kind = question["kind"]
    if kind == QuestionKind.RATING:
        return int(value)
    if kind == QuestionKind.SINGLE:
        return labels.get(str(value), str(value))
    if kind == QuestionKind.MULTIPLE:
        return "、".join(labels.get(str(v), str(v)) for v in value)
    if kind == QuestionKind.PHOTO:
        return len(value)
    return str(value)


def campaign_xlsx(campaign: Campaign) -> bytes:
    """One row per survey of the campaign: household, status, answered at, one column per question."""
    from openpyxl import Workbook

    questions = campaign_questions(campaign)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Answers")[:31])
    sheet.append([_("Household"), _("Status"), _("Answered at"), *[q["text"] for q in questions]])
    surveys = (
        campaign.surveys.exclude(status=Survey.Status.CANCELLED)
        .select_related("unit__building__compound").order_by("unit__building__name", "unit_id", "id")
    )
    for survey in surveys.iterator(chunk_size=500):
        answered = timezone.localtime(survey.answered_at).strftime("%Y-%m-%d %H:%M") if survey.answered_at else ""
        sheet.append([
            household_label(survey), survey.get_status_display(), answered,
            *[_cell(q, survey.answers.get(q["key"])) for q in questions],
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def my_surveys(user) -> tuple[list[Survey], list[Survey]]:
    """The user's open surveys (invited, not past their end; soonest end first) and the answered ones."""
    if not user.is_authenticated:
        return [], []
    qs = Survey.objects.filter(recipient_id=user.pk).select_related("template", "campaign", "complaint")
    open_ = list(qs.filter(status=Survey.Status.INVITED, expires_at__gt=timezone.now()).order_by("expires_at", "id"))
    answered = list(qs.filter(status=Survey.Status.ANSWERED).order_by("-answered_at", "-id")[:50])
    return open_, answered


def survey_subject(survey: Survey) -> str:
    """What a survey is about, in a line: the case, else the campaign, else the template."""
    if survey.complaint_id:
        return f"{survey.complaint.number} {survey.complaint.title}"
    if survey.campaign_id:
        return survey.campaign.name
    return survey.template.name

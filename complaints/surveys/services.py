"""Every write to surveys, campaigns and survey templates: one transaction, rows locked, an audit row.

- survey_schedule_for_case: called by the case services in the transaction that closes a case.
- survey_answer: the resident's answer, checked against the survey's frozen questions; "not solved"
  (or a recheck's "又出现了") reopens the case for a new round with the answer as its reason.
- campaign_create / campaign_launch / campaign_finish: revisit campaigns (定期回访).
- survey_template_* / survey_question_*: staff edit templates; surveys already created keep their snapshot.
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ApplicationError
from governance.dashboards import rollup
from governance.models import Community, Compound, PropertyCompany, ServiceContract, Unit

from ..models import (
    Campaign,
    Complaint,
    FollowUpPolicy,
    QuestionKind,
    Source,
    Status,
    Survey,
    SurveyKind,
    SurveyPhoto,
    SurveyQuestion,
    SurveyTemplate,
)
from ..photos import ProcessedPhoto
from . import permissions, tokens

# Cases reported by staff on their rounds have no resident to ask.
STAFF_SOURCES = frozenset({Source.GRID_PATROL, Source.PROPERTY})
MAX_TEXT = 1000
MAX_PHOTOS_PER_QUESTION = 3
# Keys the figures read (Survey.solved / satisfaction / still_fixed); their choice values are fixed.
RESULT_KEYS = {
    "solved": [c.value for c in Survey.Solved],
    "satisfaction": [c.value for c in Survey.Satisfaction],
    "still_fixed": ["yes", "no"],
}
CASE_PURPOSE_KIND = {
    Survey.Purpose.CASE_FOLLOWUP: SurveyKind.CASE_FOLLOWUP,
    Survey.Purpose.CASE_RECHECK: SurveyKind.CASE_RECHECK,
}


def _forbid(condition: bool) -> None:
    if not condition:
        raise ApplicationError(_("You may not do this."), code="forbidden")


def template_for(kind: str) -> SurveyTemplate | None:
    """The template used for a kind of survey: the oldest active one of that kind."""
    return SurveyTemplate.objects.filter(kind=kind, is_active=True).order_by("id").first()


# --- case follow-up ---------------------------------------------------------------------------


def _case_times(invite_at: datetime, remind_days: int, expire_days: int) -> dict:
    remind_at = invite_at + timedelta(days=remind_days) if remind_days < expire_days else None
    return {"invite_at": invite_at, "remind_at": remind_at, "expires_at": invite_at + timedelta(days=expire_days)}


@transaction.atomic
def survey_schedule_for_case(*, complaint: Complaint) -> list[Survey]:
    """Schedule the follow-up of a case that has just closed (and a recheck for categories that recur).

    Called in the transaction that closes the case, with its row locked. Due times come from the
    category's FollowUpPolicy. A case has at most one survey of each purpose: one that was cancelled
    (the case reopened before it went out) is scheduled again; an answered or sent one stays as it is.
    """
    if complaint.closed_at is None or complaint.status not in (Status.CLOSED, Status.CLOSED_UNCONFIRMED):
        return []
    if complaint.source in STAFF_SOURCES:
        return []
    timing = FollowUpPolicy.timing_for(complaint.category)
    plans = [(Survey.Purpose.CASE_FOLLOWUP, complaint.closed_at + timedelta(days=timing.invite_after_days))]
    if timing.recheck_after_days:
        plans.append((Survey.Purpose.CASE_RECHECK, complaint.closed_at + timedelta(days=timing.recheck_after_days)))
    scheduled = []
    for purpose, invite_at in plans:
        template = template_for(CASE_PURPOSE_KIND[purpose])
        if template is None:
            continue
        fields = {
            "template": template, "questions": template.snapshot(), "recipient_id": complaint.reporter_id,
            **_case_times(invite_at, timing.remind_after_days, timing.expire_after_days),
        }
        existing = Survey.objects.select_for_update().filter(complaint=complaint, purpose=purpose).first()
        if existing is None:
            survey = Survey.objects.create(complaint=complaint, purpose=purpose, unit=complaint.unit, **fields)
        elif existing.status == Survey.Status.CANCELLED:
            survey = existing
            for name, value in fields.items():
                setattr(survey, name, value)
            survey.status, survey.invited_at, survey.reminded_at = Survey.Status.SCHEDULED, None, None
            survey.save()
        else:
            continue
        audit(actor=None, action="survey.schedule", target=survey, complaint=complaint.number, purpose=purpose,
              invite_at=survey.invite_at.isoformat())
        scheduled.append(survey)
    return scheduled


def survey_cancel_open_for_case(*, complaint: Complaint, keep: Survey | None = None) -> int:
    """Withdraw a case's surveys not yet answered (it was reopened: asking "still fixed?" would be moot)."""
    open_ = Survey.objects.filter(complaint=complaint, status__in=[Survey.Status.SCHEDULED, Survey.Status.INVITED])
    if keep is not None:
        open_ = open_.exclude(pk=keep.pk)
    return open_.update(status=Survey.Status.CANCELLED, updated_at=timezone.now())


# --- answering ---------------------------------------------------------------------------------


def _choice_values(question: dict) -> list[str]:
    return [str(c["value"]) for c in question.get("choices") or []]


def _choice_label(question: dict, value: str) -> str:
    return next((c["label"] for c in question.get("choices") or [] if str(c["value"]) == value), value)


def _clean(questions: list[dict], answers: Mapping, photos: Mapping[str, Sequence[ProcessedPhoto]]) -> dict:
    """Check answers against the frozen questions; return {key: value}; raise naming the question's key."""
    cleaned: dict = {}
    for q in questions:
        key, kind, raw = q["key"], q["kind"], answers.get(q["key"])
        if kind == QuestionKind.RATING:
            if raw in (None, ""):
                value = None
            else:
                try:
                    value = int(raw)
                except (TypeError, ValueError):
                    value = 0
                if value not in range(1, 6):
                    raise ApplicationError(_("Give 1 to 5 points."), field=key)
        elif kind == QuestionKind.SINGLE:
            value = str(raw) if raw not in (None, "") else None
            if value is not None and value not in _choice_values(q):
                raise ApplicationError(_("Choose one of the answers."), field=key)
        elif kind == QuestionKind.MULTIPLE:
            values = [raw] if isinstance(raw, str) else list(raw or [])
            value = [str(v) for v in values if v not in (None, "")] or None
            if value is not None and not set(value) <= set(_choice_values(q)):
                raise ApplicationError(_("Choose from the answers given."), field=key)
        elif kind == QuestionKind.TEXT:
            value = str(raw or "").strip() or None
            if value is not None and len(value) > MAX_TEXT:
                raise ApplicationError(_("Please write at most %(n)d characters.") % {"n": MAX_TEXT}, field=key)
        else:  # photo
            given = list(photos.get(key) or [])
            if len(given) > MAX_PHOTOS_PER_QUESTION:
                raise ApplicationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS_PER_QUESTION}, field=key)
            value = given or None
        if value is None:
            if q.get("required"):
                raise ApplicationError(_("Please answer this question."), field=key)
            continue
        cleaned[key] = value
    return cleaned


def _reopens(survey: Survey, cleaned: dict) -> bool:
    if survey.purpose == Survey.Purpose.CASE_FOLLOWUP:
        return cleaned.get("solved") == Survey.Solved.NOT_SOLVED
    if survey.purpose == Survey.Purpose.CASE_RECHECK:
        return cleaned.get("still_fixed") == "no"
    return False


@transaction.atomic
def survey_answer(
    *, survey: Survey, answers: Mapping, photos: Mapping[str, Sequence[ProcessedPhoto]] | None = None, actor=None,
) -> Survey:
    """Record the recipient's answer, once, while the survey is open.

    `answers` maps question keys to values (rating: 1–5; single: a choice value; multiple: a list of
    values; text: a string); `photos` maps photo questions' keys to processed photos. `actor` is the
    logged-in person, if any: only the recipient may answer (the link itself is checked by tokens).
    An answer of "not solved" on a follow-up, or "又出现了" on a recheck, reopens a closed case.
    """
    survey = Survey.objects.select_for_update(of=("self",)).select_related("complaint").get(pk=survey.pk)
    if actor is not None and getattr(actor, "is_authenticated", False):
        _forbid(actor.pk == survey.recipient_id)
    tokens.check_open(survey)
    cleaned = _clean(survey.questions, answers, photos or {})
    keys = {q["key"]: q for q in survey.questions}
    reopen = _reopens(survey, cleaned)
    if reopen and "comment" in keys and not cleaned.get("comment"):
        raise ApplicationError(_("Tell us what is still wrong, so it can be handled again."), field="comment")
    now = timezone.now()
    stored = {}
    for key, value in cleaned.items():
        if keys[key]["kind"] == QuestionKind.PHOTO:
            rows = [
                SurveyPhoto.objects.create(survey=survey, question_key=key, image=p.image, thumbnail=p.thumbnail,
                                           width=p.width, height=p.height)
                for p in value
            ]
            stored[key] = [row.pk for row in rows]
        else:
            stored[key] = value
    survey.answers = stored
    survey.status, survey.answered_at = Survey.Status.ANSWERED, now
    survey.solved = stored.get("solved", "") if "solved" in keys else ""
    survey.satisfaction = stored.get("satisfaction", "") if "satisfaction" in keys else ""
    if "still_fixed" in stored:
        survey.still_fixed = stored["still_fixed"] == "yes"
    survey.save()
    if survey.complaint_id is not None:
        rollup.enqueue([survey.complaint_id])  # the resident's word counts in the dashboards' figures
    reopened = False
    if reopen and survey.complaint is not None:
        reopened = _reopen_case(survey, cleaned, keys)
    audit(actor=survey.recipient, action="survey.answer", target=survey, purpose=survey.purpose,
          solved=survey.solved, satisfaction=survey.satisfaction, reopened=reopened)
    return survey


def _reopen_case(survey: Survey, cleaned: dict, keys: dict) -> bool:
    from .. import services as case_services

    complaint = Complaint.objects.select_for_update().get(pk=survey.complaint_id)
    if complaint.status not in case_services.ALLOWED["reopen_from_survey"]:
        return False  # already reopened another way: the answer still counts in the figures
    answer_key = "solved" if survey.purpose == Survey.Purpose.CASE_FOLLOWUP else "still_fixed"
    reason = cleaned.get("comment") or _choice_label(keys[answer_key], cleaned[answer_key])
    survey.complaint = case_services.complaint_reopen_from_survey(complaint=complaint, survey=survey, reason=reason)
    survey_cancel_open_for_case(complaint=complaint, keep=survey)
    return True


# --- campaigns ---------------------------------------------------------------------------------


SCOPES = {Compound: Campaign.Scope.COMPOUND, Community: Campaign.Scope.COMMUNITY,
          PropertyCompany: Campaign.Scope.PROPERTY_COMPANY}


@transaction.atomic
def campaign_create(
    *, actor, name: str, template: SurveyTemplate, place, starts_at: datetime, ends_at: datetime,
    sample_share: int = 30, remind_after_days: int = 3, seed: int | None = None,
) -> Campaign:
    """Create a draft campaign for a compound, a community or a property company the actor manages."""
    scope = SCOPES.get(type(place))
    if scope is None:
        raise ApplicationError(_("Choose a compound, a community or a property company."), field="place")
    _forbid(permissions.can_run_campaign(actor, place))
    if not name.strip():
        raise ApplicationError(_("Give the campaign a name."), field="name")
    if not template.is_active:
        raise ApplicationError(_("This survey is not in use."), field="template")
    if not 1 <= sample_share <= 100:
        raise ApplicationError(_("Ask between 1 and 100 percent of the households."), field="sample_share")
    if ends_at <= starts_at:
        raise ApplicationError(_("The end must come after the start."), field="ends_at")
    if ends_at <= timezone.now():
        raise ApplicationError(_("The end must be in the future."), field="ends_at")
    campaign = Campaign.objects.create(
        name=name.strip(), template=template, scope=scope, **{scope.value: place}, sample_share=sample_share,
        starts_at=starts_at, ends_at=ends_at, remind_after_days=remind_after_days,
        seed=secrets.randbits(48) if seed is None else seed, created_by=actor,
    )
    audit(actor=actor, action="campaign.create", target=campaign, scope=scope, place=str(place), seed=campaign.seed)
    return campaign


def campaign_units(campaign: Campaign):
    """The units in the campaign's place."""
    units = Unit.objects.all()
    if campaign.scope == Campaign.Scope.COMPOUND:
        return units.filter(building__compound_id=campaign.compound_id)
    if campaign.scope == Campaign.Scope.COMMUNITY:
        return units.filter(building__compound__community_id=campaign.community_id)
    served = ServiceContract.objects.active().filter(company_id=campaign.property_company_id).values("compound_id")
    return units.filter(building__compound_id__in=served)


def households(campaign: Campaign) -> list[tuple[int, int]]:
    """(unit id, recipient id) for each household in the place, by unit id.

    A household is a unit with a verified current owner or tenant. It is asked through its designated
    voter; else a verified tenant; else another verified owner. Developers' unsold units are not households.
    """
    from residents.models import Ownership, Tenancy

    units = campaign_units(campaign).values("pk")
    chosen: dict[int, tuple[int, int]] = {}  # unit -> (rank, user)
    owners = Ownership.objects.current().verified().filter(unit_id__in=units, is_developer=False, user__is_active=True)
    for unit_id, user_id, is_voter in owners.order_by("id").values_list("unit_id", "user_id", "is_voter"):
        rank = 0 if is_voter else 2
        if unit_id not in chosen or rank < chosen[unit_id][0]:
            chosen[unit_id] = (rank, user_id)
    tenants = Tenancy.objects.current().filter(unit_id__in=units, verified_at__isnull=False, user__is_active=True)
    for unit_id, user_id in tenants.order_by("start", "id").values_list("unit_id", "user_id"):
        if unit_id not in chosen or 1 < chosen[unit_id][0]:
            chosen[unit_id] = (1, user_id)
    return [(unit_id, chosen[unit_id][1]) for unit_id in sorted(chosen)]


def sample(items: Sequence, *, share: int, seed: int) -> list:
    """share% of `items` (rounded up), drawn by a generator seeded with `seed`: the same seed, the same draw."""
    if not items:
        return []
    k = min(len(items), math.ceil(len(items) * share / 100))
    picked = random.Random(seed).sample(range(len(items)), k)  # noqa: S311 - a sample, not a secret
    return [items[i] for i in sorted(picked)]


@transaction.atomic
def campaign_launch(*, campaign: Campaign, actor) -> Campaign:
    """Draw the households and schedule their surveys (invited when the campaign starts, expiring at its end)."""
    campaign = Campaign.objects.select_for_update().select_related("template").get(pk=campaign.pk)
    _forbid(permissions.can_run_campaign(actor, campaign.place))
    if campaign.status != Campaign.Status.DRAFT:
        raise ApplicationError(_("This campaign has already been launched."), code="conflict")
    if campaign.ends_at <= timezone.now():
        raise ApplicationError(_("The campaign's end has passed."), field="ends_at")
    if not campaign.template.is_active:
        raise ApplicationError(_("This survey is not in use."), field="template")
    drawn = sample(households(campaign), share=campaign.sample_share, seed=campaign.seed)
    if not drawn:
        raise ApplicationError(_("No household in this place can be asked yet (no verified owner or tenant)."))
    questions = campaign.template.snapshot()
    remind_at = campaign.starts_at + timedelta(days=campaign.remind_after_days)
    Survey.objects.bulk_create([
        Survey(template=campaign.template, questions=questions, recipient_id=user_id, purpose=Survey.Purpose.CAMPAIGN,
               campaign=campaign, unit_id=unit_id, invite_at=campaign.starts_at,
               remind_at=remind_at if remind_at < campaign.ends_at else None, expires_at=campaign.ends_at)
        for unit_id, user_id in drawn
    ])
    campaign.status, campaign.launched_at = Campaign.Status.RUNNING, timezone.now()
    campaign.save(update_fields=["status", "launched_at", "updated_at"])
    audit(actor=actor, action="campaign.launch", target=campaign, households=len(drawn), seed=campaign.seed)
    return campaign


@transaction.atomic
def campaign_finish(*, campaign: Campaign, actor=None, now: datetime | None = None) -> Campaign:
    """End a running campaign (staff, or the sweeper at its end): the surveys not answered expire."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if actor is not None:
        _forbid(permissions.can_run_campaign(actor, campaign.place))
    if campaign.status != Campaign.Status.RUNNING:
        raise ApplicationError(_("Only a running campaign can be finished."), code="conflict")
    now = now or timezone.now()
    expired = Survey.objects.filter(
        campaign=campaign, status__in=[Survey.Status.SCHEDULED, Survey.Status.INVITED]
    ).update(status=Survey.Status.EXPIRED, updated_at=now)
    campaign.status, campaign.finished_at = Campaign.Status.FINISHED, now
    campaign.save(update_fields=["status", "finished_at", "updated_at"])
    audit(actor=actor, action="campaign.finish", target=campaign, expired=expired)
    return campaign


# --- templates ---------------------------------------------------------------------------------


@transaction.atomic
def survey_template_create(*, actor, key: str, name: str, kind: str = SurveyKind.CUSTOM, intro: str = "") -> SurveyTemplate:
    _forbid(permissions.can_edit_templates(actor))
    if kind not in SurveyKind.values:
        raise ApplicationError(_("Unknown kind of survey."), field="kind")
    if not name.strip():
        raise ApplicationError(_("Give the survey a name."), field="name")
    if not key or SurveyTemplate.objects.filter(key=key).exists():
        raise ApplicationError(_("Choose another key: this one is taken."), field="key")
    template = SurveyTemplate.objects.create(key=key, name=name.strip(), kind=kind, intro=intro.strip(), created_by=actor)
    audit(actor=actor, action="survey_template.create", target=template, key=key)
    return template


@transaction.atomic
def survey_template_update(
    *, template: SurveyTemplate, actor, name: str | None = None, intro: str | None = None, is_active: bool | None = None
) -> SurveyTemplate:
    _forbid(permissions.can_edit_templates(actor))
    template = SurveyTemplate.objects.select_for_update().get(pk=template.pk)
    if name is not None:
        if not name.strip():
            raise ApplicationError(_("Give the survey a name."), field="name")
        template.name = name.strip()
    if intro is not None:
        template.intro = intro.strip()
    if is_active is not None:
        template.is_active = is_active
    template.save()
    audit(actor=actor, action="survey_template.update", target=template, name=template.name, is_active=template.is_active)
    return template


def _check_question(template: SurveyTemplate, *, key: str, kind: str, text: str, choices: list) -> list[dict]:
    if kind not in QuestionKind.values:
        raise ApplicationError(_("Unknown kind of question."), field="kind")
    if not text.strip():
        raise ApplicationError(_("Write the question."), field="text")
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        clean = [{"value": str(c.get("value", "")).strip(), "label": str(c.get("label", "")).strip()} for c in choices or []]
        values = [c["value"] for c in clean]
        if len(clean) < 2 or not all(values) or not all(c["label"] for c in clean) or len(set(values)) != len(values):
            raise ApplicationError(_("Give at least two answers, each with its own value and label."), field="choices")
    else:
        clean = []
    if key in RESULT_KEYS and template.kind in (SurveyKind.CASE_FOLLOWUP, SurveyKind.CASE_RECHECK):
        if kind != QuestionKind.SINGLE or sorted(c["value"] for c in clean) != sorted(RESULT_KEYS[key]):
            raise ApplicationError(
                _("The figures read this question: keep it one choice with the values %(values)s.")
                % {"values": ", ".join(RESULT_KEYS[key])}, field="choices",
            )
    return clean


@transaction.atomic
def survey_question_create(
    *, template: SurveyTemplate, actor, key: str, kind: str, text: str, choices: list | None = None,
    required: bool = True, position: int | None = None,
) -> SurveyQuestion:
    _forbid(permissions.can_edit_templates(actor))
    template = SurveyTemplate.objects.select_for_update().get(pk=template.pk)
    if not key or template.questions.filter(key=key).exists():
        raise ApplicationError(_("Choose another key: this one is taken."), field="key")
    clean = _check_question(template, key=key, kind=kind, text=text, choices=choices or [])
    if position is None:
        position = (template.questions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    question = SurveyQuestion.objects.create(template=template, key=key, kind=kind, text=text.strip(), choices=clean,
                                             required=required, position=position)
    audit(actor=actor, action="survey_question.create", target=question, template=template.key, key=key)
    return question


@transaction.atomic
def survey_question_update(
    *, question: SurveyQuestion, actor, text: str | None = None, choices: list | None = None,
    required: bool | None = None, position: int | None = None,
) -> SurveyQuestion:
    _forbid(permissions.can_edit_templates(actor))
    question = SurveyQuestion.objects.select_for_update().select_related("template").get(pk=question.pk)
    question.choices = _check_question(
        question.template, key=question.key, kind=question.kind, text=question.text if text is None else text,
        choices=question.choices if choices is None else choices,
    )
    if text is not None:
        question.text = text.strip()
    if required is not None:
        question.required = required
    if position is not None:
        question.position = position
    question.save()
    audit(actor=actor, action="survey_question.update", target=question, template=question.template.key, key=question.key)
    return question


@transaction.atomic
def survey_question_delete(*, question: SurveyQuestion, actor) -> None:
    _forbid(permissions.can_edit_templates(actor))
    question = SurveyQuestion.objects.select_for_update().select_related("template").get(pk=question.pk)
    if question.key in RESULT_KEYS and question.template.kind in (SurveyKind.CASE_FOLLOWUP, SurveyKind.CASE_RECHECK):
        raise ApplicationError(_("The figures read this question: it cannot be removed."), code="conflict")
    audit(actor=actor, action="survey_question.delete", target=question, template=question.template.key, key=question.key)
    question.delete()

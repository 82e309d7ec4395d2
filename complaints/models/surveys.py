"""Follow-up surveys (回访) and revisit campaigns (定期回访).

A template is a list of questions staff edit; a Survey is one invitation to one person, with the
questions frozen at creation (editing a template never changes a survey already sent). Every due time
is a column (invite_at, remind_at, expires_at) that the beat sweeper reads (complaints.surveys.scheduling).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import Community, Compound, PropertyCompany, Unit

from .cases import Category, Complaint


class SurveyKind(models.TextChoices):
    CASE_FOLLOWUP = "case_followup", _("case follow-up")
    CASE_RECHECK = "case_recheck", _("case recheck (still fixed?)")
    PROPERTY_SERVICE = "property_service", _("property service survey")
    CUSTOM = "custom", _("other survey")


class QuestionKind(models.TextChoices):
    RATING = "rating", _("rating 1–5")
    SINGLE = "single", _("one choice")
    MULTIPLE = "multiple", _("several choices")
    TEXT = "text", _("text")
    PHOTO = "photo", _("photo")


class SurveyTemplate(TimeStampedModel):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=SurveyKind.choices, default=SurveyKind.CUSTOM)
    intro = models.TextField(_("introduction"), max_length=500, blank=True)
    is_active = models.BooleanField(_("in use"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        ordering = ["kind", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def snapshot(self) -> list[dict]:
        """The questions as frozen into a survey."""
        return [q.as_dict() for q in self.questions.order_by("position", "id")]


class SurveyQuestion(models.Model):
    template = models.ForeignKey(SurveyTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.SlugField(_("key"), max_length=40, help_text=_("Stays the same when the wording changes."))
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=200)
    choices = models.JSONField(_("choices"), default=list, blank=True, help_text='[{"value": "...", "label": "..."}]')
    required = models.BooleanField(_("required"), default=True)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["template_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["template", "key"], name="uniq_survey_question_key")]

    def __str__(self) -> str:
        return self.text

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "text": self.text, "choices": list(self.choices or []),
                "required": self.required}


# Categories whose problems tend to come back: a second "still fixed?" check after the follow-up.
RECURRING_CATEGORIES = frozenset({Category.FACILITIES, Category.NEIGHBOURS, Category.SANITATION, Category.PARKING})


@dataclass(frozen=True)
class Timing:
    invite_after_days: int
    remind_after_days: int
    expire_after_days: int
    recheck_after_days: int | None


class FollowUpPolicy(models.Model):
    """When a closed case's follow-up goes out, per category. Without a row: 7 / +3 / +14, recheck at 28 days
    for categories that recur."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices, unique=True)
    invite_after_days = models.PositiveSmallIntegerField(_("invite after (days after closing)"), default=7)
    remind_after_days = models.PositiveSmallIntegerField(_("remind after (days after the invitation)"), default=3)
    expire_after_days = models.PositiveSmallIntegerField(_("expires after (days after the invitation)"), default=14)
    recheck_after_days = models.PositiveSmallIntegerField(
        _("recheck after (days after closing)"), null=True, blank=True, help_text=_("Empty: no recheck.")
    )

    class Meta:
        verbose_name = _("follow-up policy")
        verbose_name_plural = _("follow-up policies")
        ordering = ["category"]
        constraints = [
            models.CheckConstraint(condition=Q(expire_after_days__gt=models.F("remind_after_days")),
                                   name="followup_expiry_after_reminder"),
            models.CheckConstraint(condition=Q(expire_after_days__gte=1), name="followup_expiry_positive"),
        ]

    def __str__(self) -> str:
        return self.get_category_display()

    @classmethod
    def timing_for(cls, category: str) -> Timing:
        row = cls.objects.filter(category=category).first()
        if row is not None:
            return Timing(row.invite_after_days, row.remind_after_days, row.expire_after_days, row.recheck_after_days)
        return Timing(7, 3, 14, 28 if category in RECURRING_CATEGORIES else None)


class Campaign(TimeStampedModel):
    """A revisit campaign (定期回访): a random sample of households in a scope asked one survey in a window."""

    class Scope(models.TextChoices):
        COMPOUND = "compound", _("compound")
        COMMUNITY = "community", _("community")
        PROPERTY_COMPANY = "property_company", _("property company")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")

    name = models.CharField(_("name"), max_length=80)
    template = models.ForeignKey(SurveyTemplate, verbose_name=_("survey"), on_delete=models.PROTECT, related_name="campaigns")
    scope = models.CharField(_("kind of place"), max_length=20, choices=Scope.choices)
    compound = models.ForeignKey(Compound, verbose_name=_("compound"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    community = models.ForeignKey(Community, verbose_name=_("community"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    property_company = models.ForeignKey(PropertyCompany, verbose_name=_("property company"), null=True, blank=True,
                                         on_delete=models.PROTECT, related_name="+")
    sample_share = models.PositiveSmallIntegerField(_("households asked (%)"), default=30)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    remind_after_days = models.PositiveSmallIntegerField(_("remind after (days)"), default=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    seed = models.BigIntegerField(_("random seed"), help_text=_("The same seed draws the same households."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
                                   related_name="+")
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("revisit campaign")
        verbose_name_plural = _("revisit campaigns")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="compound", compound__isnull=False, community__isnull=True, property_company__isnull=True)
                           | Q(scope="community", compound__isnull=True, community__isnull=False,
                               property_company__isnull=True)
                           | Q(scope="property_company", compound__isnull=True, community__isnull=True,
                               property_company__isnull=False)),
                name="campaign_scope_names_one_place",
            ),
            models.CheckConstraint(condition=Q(sample_share__gte=1, sample_share__lte=100), name="campaign_share_1_100"),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="campaign_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        named = {scope: getattr(self, f"{scope}_id") for scope in self.Scope.values}
        if self.scope and (not named[self.scope] or any(v for k, v in named.items() if k != self.scope)):
            raise ValidationError(_("Choose the one place the campaign is for, of the kind of place chosen."))
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must come after the start.")})

    @property
    def place(self):
        return self.compound or self.community or self.property_company


class Survey(TimeStampedModel):
    """One invitation to one person. scheduled → invited → answered | expired; cancelled when moot."""

    class Purpose(models.TextChoices):
        CASE_FOLLOWUP = "case_followup", _("case follow-up")
        CASE_RECHECK = "case_recheck", _("case recheck")
        CAMPAIGN = "campaign", _("revisit campaign")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        INVITED = "invited", _("invited")
        ANSWERED = "answered", _("answered")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")

    class Solved(models.TextChoices):
        SOLVED = "solved", _("solved")
        PARTLY = "partly", _("partly solved")
        NOT_SOLVED = "not_solved", _("not solved")

    class Satisfaction(models.TextChoices):
        # The same values as a case's confirmation (complaints.models.Rating), so the figures combine them.
        SATISFIED = "satisfied", _("satisfied")
        BASICALLY = "basically", _("basically satisfied")
        DISSATISFIED = "dissatisfied", _("dissatisfied")

    template = models.ForeignKey(SurveyTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="surveys")
    questions = models.JSONField(_("questions"), default=list, help_text="The template's questions when it was created.")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT,
                                  related_name="surveys")
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    complaint = models.ForeignKey(Complaint, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="surveys")
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="surveys")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    invite_at = models.DateTimeField(_("invite at"))
    remind_at = models.DateTimeField(_("remind at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    solved = models.CharField(_("solved?"), max_length=12, choices=Solved.choices, blank=True)
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    still_fixed = models.BooleanField(_("still fixed?"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-invite_at", "-id"]
        indexes = [
            models.Index(fields=["status", "invite_at"]),
            models.Index(fields=["status", "remind_at"]),
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["recipient", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "purpose"], condition=Q(complaint__isnull=False),
                                    name="one_survey_per_case_purpose"),
            models.UniqueConstraint(fields=["campaign", "unit"], condition=Q(campaign__isnull=False),
                                    name="one_survey_per_campaign_unit"),
            models.CheckConstraint(
                condition=(Q(status="answered") & Q(answered_at__isnull=False))
                | (~Q(status="answered") & Q(answered_at__isnull=True)),
                name="survey_answered_iff_answered_at",
            ),
            models.CheckConstraint(
                condition=~Q(purpose="campaign") | Q(campaign__isnull=False, unit__isnull=False),
                name="campaign_survey_names_campaign_and_unit",
            ),
            models.CheckConstraint(
                condition=~Q(purpose__in=["case_followup", "case_recheck"]) | Q(complaint__isnull=False),
                name="case_survey_names_case",
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("invite_at")), name="survey_expires_after_invite"),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.INVITED


class SurveyPhoto(models.Model):
    """A photo given as an answer; processed like case photos (EXIF stripped, shrunk, thumbnail)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="photos")
    question_key = models.SlugField(max_length=40)
    image = models.ImageField(_("photo"), upload_to="surveys/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="surveys/%Y/%m/thumbs/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey photo")
        verbose_name_plural = _("survey photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image.name

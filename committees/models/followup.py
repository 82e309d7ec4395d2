"""What a meeting decided, carried out: tasks with an owner and a due date, and a ledger of contributions."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import Unit

from .meetings import AgendaItem, Meeting


class ActionItem(TimeStampedModel):
    class Party(models.TextChoices):
        PARTY_BRANCH = "party_branch", _("party branch")
        COMMITTEE = "committee", _("owners' committee")
        PROPERTY_COMPANY = "property_company", _("property company")
        COMMUNITY = "community", _("community")
        RESIDENTS = "residents", _("residents")

    class Status(models.TextChoices):
        OPEN = "open", _("to do")
        DONE = "done", _("done")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="actions")
    item = models.ForeignKey(
        AgendaItem, verbose_name=_("agenda item"), null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    title = models.CharField(_("what is to be done"), max_length=120)
    description = models.TextField(_("details"), blank=True)
    party = models.CharField(_("who does it"), max_length=20, choices=Party.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person responsible"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    complaint = models.ForeignKey(
        "complaints.Complaint", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("resolution task")
        verbose_name_plural = _("resolution tasks")
        ordering = ["meeting_id", "due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status="open", done_at__isnull=True) | Q(status="done", done_at__isnull=False),
                                   name="action_done_has_time"),
        ]

    def __str__(self) -> str:
        return self.title


class Contribution(TimeStampedModel):
    """A household's pledged and paid share of a task's cost (e.g. W compound's stair railings)."""

    action = models.ForeignKey(ActionItem, verbose_name=_("task"), on_delete=models.CASCADE, related_name="contributions")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    contributor = models.CharField(_("household or party"), max_length=64)
    pledged = models.DecimalField(
        _("pledged (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    paid = models.DecimalField(
        _("paid (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    note = models.CharField(_("note"), max_length=120, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["action_id", "contributor", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(pledged__gte=0) & Q(paid__gte=0), name="contribution_not_negative"),
            models.UniqueConstraint(fields=["action", "contributor"], name="uniq_contribution_per_contributor"),
        ]

    def __str__(self) -> str:
        return self.contributor

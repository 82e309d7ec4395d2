"""The electorate of a meeting: a snapshot of verified ownership taken when the notice is published."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import AreaSource, Unit

from .meetings import Meeting


class Elector(models.Model):
    """One vote of the electorate: an owner (all their units), the developer (all unsold units),
    or a household (building meetings), or a committee member (committee meetings).

    `key` is stable inside the meeting ("u:<user id>", "developer", "unit:<unit id>") so ballots
    and corrections can refer to it; `area_m2` and `unit_count` are the sums of its units.
    """

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="electors")
    key = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("voter"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(_("name"), max_length=64, help_text=_("As posted: the surname and the units."))
    units_label = models.CharField(_("units"), max_length=200, blank=True)
    is_developer = models.BooleanField(_("developer (unsold units)"), default=False)
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=2, default=Decimal("0"))
    unit_count = models.PositiveIntegerField(_("units"), default=0)

    class Meta:
        verbose_name = _("elector")
        verbose_name_plural = _("electorate")
        ordering = ["meeting_id", "units_label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "key"], name="uniq_elector_key"),
            models.CheckConstraint(condition=models.Q(area_m2__gte=0), name="elector_area_not_negative"),
        ]
        indexes = [models.Index(fields=["meeting", "user"])]

    def __str__(self) -> str:
        return f"{self.label} {self.units_label}"


class ElectorateUnit(models.Model):
    """One unit in the snapshot, with the area that counts and where it came from."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="electorate_units")
    elector = models.ForeignKey(Elector, verbose_name=_("elector"), on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=8, decimal_places=2)
    area_source = models.CharField(_("area from"), max_length=12, choices=AreaSource.choices, blank=True)

    class Meta:
        verbose_name = _("unit in the electorate")
        verbose_name_plural = _("units in the electorate")
        ordering = ["meeting_id", "unit_id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "unit"], name="uniq_electorate_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.area_m2}"


class ElectorateObjection(TimeStampedModel):
    """An owner's objection to the posted electorate (wrong area, missing owner, wrong voter)."""

    class Status(models.TextChoices):
        OPEN = "open", _("awaiting an answer")
        ACCEPTED = "accepted", _("accepted, corrected")
        REJECTED = "rejected", _("not accepted")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="objections")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("raised by"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("objection"), max_length=1000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    response = models.TextField(_("answer"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("objection to the electorate")
        verbose_name_plural = _("objections to the electorate")
        ordering = ["meeting_id", "-created_at"]

    def __str__(self) -> str:
        return self.text[:40]


class ElectorateCorrection(models.Model):
    """A logged change to the snapshot: what it was, what it became, why and by whom. Insert-only."""

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="corrections")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    objection = models.ForeignKey(
        ElectorateObjection, verbose_name=_("objection"), null=True, blank=True, on_delete=models.SET_NULL, related_name="corrections"
    )
    before = models.JSONField(_("before"))
    after = models.JSONField(_("after"))
    reason = models.CharField(_("reason"), max_length=200)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("made by"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction to the electorate")
        verbose_name_plural = _("corrections to the electorate")
        ordering = ["meeting_id", "-created_at"]

    def __str__(self) -> str:
        return self.reason

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import Compound


class OwnersCommitteeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=OwnersCommittee.Status.ACTIVE)


class OwnersCommittee(TimeStampedModel):
    """A compound's owners' committee (业委会) for one term (5–11 members, term <= 5 years)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("in office")
        ENDED = "ended", _("term ended")

    compound = models.ForeignKey(Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="committees")
    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    term_start = models.DateField(_("term start"), default=timezone.localdate)
    term_end = models.DateField(_("term end"))
    filed_at = models.DateField(_("filed with the street office"), null=True, blank=True)

    objects = OwnersCommitteeQuerySet.as_manager()

    class Meta:
        verbose_name = _("owners' committee")
        verbose_name_plural = _("owners' committees")
        ordering = ["compound_id", "-term_start"]
        constraints = [
            models.UniqueConstraint(fields=["compound"], condition=Q(status="active"), name="one_active_committee_per_compound"),
            models.CheckConstraint(condition=Q(term_end__gt=models.F("term_start")), name="committee_term_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.name


class CommitteeMemberQuerySet(models.QuerySet):
    def current(self):
        return self.filter(end__isnull=True, committee__status=OwnersCommittee.Status.ACTIVE)


class CommitteeMember(TimeStampedModel):
    class Position(models.TextChoices):
        CHAIR = "chair", _("chair")
        VICE_CHAIR = "vice_chair", _("vice-chair")
        MEMBER = "member", _("member")

    committee = models.ForeignKey(OwnersCommittee, verbose_name=_("owners' committee"), on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT, related_name="committee_seats")
    position = models.CharField(_("position"), max_length=12, choices=Position.choices, default=Position.MEMBER)
    start = models.DateField(_("start"), default=timezone.localdate)
    end = models.DateField(_("end"), null=True, blank=True)

    objects = CommitteeMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["committee_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "user"], condition=Q(end__isnull=True), name="uniq_current_committee_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_position_display()}"

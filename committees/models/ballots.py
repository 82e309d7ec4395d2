"""Ballots: one valid ballot per elector per item, whatever the channel (a database constraint)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import tally
from .electorate import Elector
from .meetings import AgendaItem, Candidate, Meeting


def _mandate_upload_to(instance, filename: str) -> str:
    return f"mandates/{timezone.now():%Y/%m}/{filename}"


class Ballot(models.Model):
    """A ballot as received. Set-aside ballots keep their row and the reason (the precedence log)."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper ballot (entered by two tellers)")
        PROXY = "proxy", _("proxy with a written mandate")

    class Status(models.TextChoices):
        VALID = "valid", _("counted")
        SUPERSEDED = "superseded", _("replaced by a later ballot")
        REJECTED = "rejected", _("not counted: a ballot was already counted")

    class Choice(models.TextChoices):
        YES = tally.YES, _("yes")
        NO = tally.NO, _("no")
        ABSTAIN = tally.ABSTAIN, _("abstain")

    item = models.ForeignKey(AgendaItem, verbose_name=_("agenda item"), on_delete=models.PROTECT, related_name="ballots")
    elector = models.ForeignKey(Elector, verbose_name=_("elector"), on_delete=models.PROTECT, related_name="ballots")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VALID)
    status_reason = models.CharField(_("why"), max_length=200, blank=True)
    # Empty for elections: the marked candidates are BallotMark rows.
    choice = models.CharField(_("choice"), max_length=8, choices=Choice.choices, blank=True)
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("cast by"), on_delete=models.PROTECT, related_name="+")
    proxy_name = models.CharField(_("proxy"), max_length=64, blank=True)
    mandate = models.FileField(_("written mandate"), upload_to=_mandate_upload_to, blank=True)
    receipt_code = models.CharField(_("receipt code"), max_length=12, unique=True)
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)
    candidates = models.ManyToManyField(Candidate, through="BallotMark", blank=True, related_name="+")

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["item_id", "cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "elector"], condition=Q(status="valid"), name="one_valid_ballot_per_elector_item"),
            models.CheckConstraint(condition=~Q(channel="proxy") | ~Q(mandate=""), name="proxy_ballot_has_mandate"),
        ]
        indexes = [models.Index(fields=["item", "status"])]

    def __str__(self) -> str:
        return self.receipt_code


class BallotMark(models.Model):
    """A candidate marked on an election ballot."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="marks")
    candidate = models.ForeignKey(Candidate, on_delete=models.PROTECT, related_name="marks")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ballot", "candidate"], name="uniq_ballot_mark")]

    def __str__(self) -> str:
        return f"{self.ballot_id} → {self.candidate_id}"


class PaperEntry(models.Model):
    """One teller's reading of one paper ballot sheet (all items of the meeting).

    Two tellers enter each sheet; only when their readings agree do ballots get cast.
    `choices` maps item id (as a string) to "yes"/"no"/"abstain" or to a list of candidate ids.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting for the second teller")
        MATCHED = "matched", _("both tellers agree: counted")
        MISMATCH = "mismatch", _("the tellers disagree: check the sheet again")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="paper_entries")
    elector = models.ForeignKey(Elector, verbose_name=_("elector"), on_delete=models.PROTECT, related_name="paper_entries")
    teller = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("teller"), on_delete=models.PROTECT, related_name="+")
    choices = models.JSONField(_("choices"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.WAITING)
    entered_at = models.DateTimeField(_("entered at"), auto_now=True)

    class Meta:
        verbose_name = _("paper ballot entry")
        verbose_name_plural = _("paper ballot entries")
        ordering = ["meeting_id", "elector_id", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "elector", "teller"], name="uniq_paper_entry_per_teller")]

    def __str__(self) -> str:
        return f"{self.elector} · {self.teller}"

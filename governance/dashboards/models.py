"""Rollup tables behind the dashboards, kept current as cases move (see rollup.py).

Every case adds one row of counters to (its filing day, its compound, its category) and one row per
dispatch to the same key plus its handler. The same counters are kept per day and per month: a date
range reads whole months from the monthly table and the days at its two edges from the daily one.
`ComplaintFact` remembers what each case added last, so a change applies only the difference.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Counters of one case (0 or 1, or seconds). Their meaning is in kpis.py and docs/dashboards.md.
CASE_COUNTERS = (
    "filed",                # every case filed (merged and rejected ones included)
    "rejected",             # not accepted
    "merged",               # merged into another case (a duplicate)
    "accepted",             # accepted by the community
    "accepted_on_time",     # accepted by its accept-by deadline
    "accept_seconds",       # seconds from filing to acceptance (accepted cases)
    "whistled",             # dispatched to at least one functional department (社区吹哨)
    "closed",               # closed, confirmed or unconfirmed
    "closed_unconfirmed",   # closed without the resident's word (never solved by itself)
    "closed_on_time",       # closed cases resolved by their handle-by deadline
    "close_seconds",        # seconds from filing to closing (closed cases)
    "solved",               # closed cases whose resident's latest word is "solved"
    "rated",                # closed cases with a satisfaction word from the resident
    "satisfied",            # ... whose latest word is 满意
    "basically",            # ... 基本满意
    "dissatisfied",         # ... 不满意
    "reopened",             # cases reopened at least once (redo)
    "followup_sent",        # closed cases whose follow-up survey was sent
    "followup_answered",    # ... and answered
    "repeat",               # same unit and category as another case filed in the 30 days before
)

# Counters of one dispatch (one handler's part of a case).
DISPATCH_COUNTERS = (
    "dispatched",           # every dispatch
    "acknowledged",         # acknowledged (报到)
    "ack_on_time",          # acknowledged by its acknowledge-by deadline
    "ack_seconds",          # seconds from dispatch to acknowledgement
    "resolved",             # resolved by the handler
    "resolved_on_time",     # resolved by its handle-by deadline
    "handle_seconds",       # seconds from dispatch to resolution
    "returned",             # returned as wrongly routed (退回)
    "parked",               # parked with a plan (挂账)
    "extended",             # an extension was asked
    "redo",                 # a redo: the case was reopened against this handler
    "score_sum",            # sum of the community's 1–5 ratings of the 报到
    "score_count",          # number of those ratings
    "cases",                # 1 on the latest dispatch of each (case, handler): the case outcome below counts once
    "closed",               # ... of which the case is closed (confirmed or not)
    "solved",               # ... solved (resident's latest word)
    "rated",                # ... rated
    "satisfied",            # ... 满意 or 基本满意
)


def _counters(names):
    return {name: models.BigIntegerField(default=0) for name in names}


class _Stats(models.Model):
    compound = models.ForeignKey("governance.Compound", on_delete=models.PROTECT, related_name="+", db_index=False)
    category = models.CharField(max_length=20)

    class Meta:
        abstract = True


def _stats_model(name: str, period: str, counters, extra: dict, key: tuple, verbose: str):
    attrs = {
        "__module__": __name__,
        period: models.DateField(),
        **extra,
        **_counters(counters),
        "Meta": type("Meta", (), {
            "verbose_name": verbose,
            "verbose_name_plural": verbose,
            "constraints": [models.UniqueConstraint(fields=[period, *key], name=f"uniq_{name.lower()}")],
            "indexes": [models.Index(fields=["compound", period], name=f"{name.lower()[:20]}_cp")],
        }),
        "__str__": lambda self: f"{getattr(self, period)} {self.compound_id} {self.category}",
    }
    return type(name, (_Stats,), attrs)


def _handler_fields():
    return {
        "handler_kind": models.CharField(max_length=12),
        # Department id or property company id by handler_kind; 0 for the party branch.
        "handler_id": models.BigIntegerField(default=0),
    }


DailyComplaintStats = _stats_model(
    "DailyComplaintStats", "day", CASE_COUNTERS, {}, ("compound", "category"), _("daily case figures"))
MonthlyComplaintStats = _stats_model(
    "MonthlyComplaintStats", "month", CASE_COUNTERS, {}, ("compound", "category"), _("monthly case figures"))
DailyDispatchStats = _stats_model(
    "DailyDispatchStats", "day", DISPATCH_COUNTERS, _handler_fields(),
    ("compound", "category", "handler_kind", "handler_id"), _("daily dispatch figures"))
MonthlyDispatchStats = _stats_model(
    "MonthlyDispatchStats", "month", DISPATCH_COUNTERS, _handler_fields(),
    ("compound", "category", "handler_kind", "handler_id"), _("monthly dispatch figures"))


class ComplaintFact(models.Model):
    """What one case last added to the rollups, so the next change applies only the difference."""

    complaint_id = models.BigIntegerField(primary_key=True)
    rows = models.JSONField(default=dict)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case rollup record")
        verbose_name_plural = _("case rollup records")

    def __str__(self) -> str:
        return f"fact {self.complaint_id}"


class RollupQueue(models.Model):
    """A case changed and its rollup rows must be brought up to date.

    Inserted in the transaction that changes the case, so no change is ever missed; drained right
    after the commit and, for anything left over, by the beat sweeper. One row per change (not
    unique per case): a change made while a drain is working on the case gets a row of its own.
    """

    complaint_id = models.BigIntegerField(db_index=True)
    queued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rollup queue entry")
        verbose_name_plural = _("rollup queue entries")

    def __str__(self) -> str:
        return f"queue {self.complaint_id}"


class RankingList(models.Model):
    """A month's published red and black lists (红黑榜) of one district's departments or property companies.

    A snapshot: the figures as they stood when published (rankings.py), never recomputed. Published once
    per (district, month, kind); the rows JSON holds {"red": [...], "black": [...], "left_out": [...],
    "eligible": n, "min_dispatches": n, "weights": {...}}, each row with the handler's id, name and figures.
    """

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("functional departments")
        PROPERTY = "property", _("property companies")

    district = models.ForeignKey(
        "governance.District", verbose_name=_("district"), on_delete=models.PROTECT, related_name="ranking_lists")
    month = models.DateField(_("month"), help_text=_("The first day of the month ranked."))
    kind = models.CharField(_("ranked"), max_length=12, choices=Kind.choices)
    rows = models.JSONField(_("lists"), default=dict)
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ranking list")
        verbose_name_plural = _("ranking lists")
        ordering = ["-month", "district_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["district", "month", "kind"], name="uniq_ranking_list")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id} {self.kind}"

"""Every KPI of the dashboards, defined once from the rollup counters (domain.md §3.1).

A KPI is a ratio of two sums of counters (or a count, or an average of seconds). `compute()` turns
the summed counters of one scope and period into values; the pages show each KPI's definition next
to it, from `Kpi.definition`. The weights of the composite score and of 满意率 are settings:

    KPI_SATISFACTION_WEIGHTS = {"satisfied": 1, "basically": 1, "dissatisfied": 0}  # 满意率 as in domain.md
    KPI_SCORE_WEIGHTS = {"response_rate": 10, "solved_rate": 45, "satisfied_rate": 45}  # 接诉即办 考核

Rates are percentages with one decimal; None where the denominator is 0 (shown as "—").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import CASE_COUNTERS, DISPATCH_COUNTERS

DEFAULT_SATISFACTION_WEIGHTS = {"satisfied": 1, "basically": 1, "dissatisfied": 0}
DEFAULT_SCORE_WEIGHTS = {"response_rate": 10, "solved_rate": 45, "satisfied_rate": 45}

RATE, COUNT, HOURS, PER_1000, SCORE = "rate", "count", "hours", "per_1000", "score"


@dataclass(frozen=True)
class Kpi:
    key: str
    label: Promise
    definition: Promise
    kind: str  # RATE, COUNT, HOURS, PER_1000 or SCORE
    higher_is_better: bool | None = True  # None: neither (a volume)
    three_rates: bool = False  # one of the 12345 三率

    @property
    def unit(self) -> str:
        """What follows a value: "%" for rates, hours for times; counts and per-1,000 figures have none
        (the label says "per 1,000 households")."""
        return {RATE: "%", HOURS: str(pgettext_lazy("unit of time", " h"))}.get(self.kind, "")


KPIS: tuple[Kpi, ...] = (
    Kpi("cases", _("Cases"), _("Cases filed in the period, duplicates merged into another case left out."),
        COUNT, higher_is_better=None),
    Kpi("per_1000", _("Cases per 1,000 households"),
        _("Cases ÷ households (units) of the place × 1,000."), PER_1000, higher_is_better=False),
    Kpi("response_rate", pgettext_lazy("12345 KPI", "Response rate"),
        _("Dispatches acknowledged (报到) within their time limit ÷ all dispatches."), RATE, three_rates=True),
    Kpi("solved_rate", _("Resolution rate"),
        _("Closed cases whose resident's latest word (confirmation or follow-up) is “solved” ÷ closed cases. "
          "A case closed without the resident's confirmation never counts as solved by itself."),
        RATE, three_rates=True),
    Kpi("satisfied_rate", _("Satisfaction rate"),
        _("(Satisfied + basically satisfied) ÷ cases the resident rated, by the resident's latest rating; "
          "the weights of each answer are configurable."), RATE, three_rates=True),
    Kpi("score", _("Composite score"),
        _("Response rate, resolution rate and satisfaction rate weighted as configured (default 10 : 45 : 45)."), SCORE),
    Kpi("accepted_on_time_rate", _("On-time acceptance rate"),
        _("Cases accepted by the community within the acceptance limit ÷ cases accepted."), RATE),
    Kpi("closed_on_time_rate", _("On-time closure rate"),
        _("Closed cases whose handling finished by the handle-by deadline ÷ closed cases."), RATE),
    Kpi("unconfirmed_rate", _("Closed unconfirmed"),
        _("Cases closed without the resident's answer ÷ closed cases."), RATE, higher_is_better=False),
    Kpi("return_rate", _("Return rate"),
        _("Dispatches returned as wrongly routed (退回) ÷ all dispatches."), RATE, higher_is_better=False),
    Kpi("redo_rate", _("Redo rate"),
        _("Cases reopened at least once (resident not satisfied or not solved) ÷ cases accepted."), RATE,
        higher_is_better=False),
    Kpi("followup_rate", _("Follow-up rate"),
        _("Follow-up surveys answered ÷ follow-up surveys sent after closing."), RATE),
    Kpi("repeat_rate", _("Repeat-complaint rate"),
        _("Cases about the same home and category as another case filed in the 30 days before ÷ cases."), RATE,
        higher_is_better=False),
    Kpi("whistle_rate", _("Whistle rate"),
        _("Cases whistled to a functional department (社区吹哨) ÷ cases accepted."), RATE, higher_is_better=None),
    Kpi("accept_hours", _("Average time to accept"),
        _("Hours from filing to acceptance, averaged over accepted cases."), HOURS, higher_is_better=False),
    Kpi("ack_hours", _("Average time to acknowledge"),
        _("Hours from dispatch to 报到, averaged over acknowledged dispatches."), HOURS, higher_is_better=False),
    Kpi("handle_hours", _("Average time to handle"),
        _("Hours from dispatch to the handler's result, averaged over resolved dispatches."), HOURS, higher_is_better=False),
    Kpi("close_hours", _("Average time to close"),
        _("Hours from filing to closing, averaged over closed cases."), HOURS, higher_is_better=False),
)
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}
THREE_RATES = tuple(kpi for kpi in KPIS if kpi.three_rates)

# The KPIs of one handler (a department or a property company), from the dispatch counters only.
HANDLER_KPIS: tuple[Kpi, ...] = (
    Kpi("dispatched", _("Dispatches"), _("Cases dispatched to the handler in the period."), COUNT, higher_is_better=None),
    KPI_BY_KEY["response_rate"],
    Kpi("handler_solved_rate", _("Resolution rate"),
        _("Of the handler's closed cases, those the resident says are solved ÷ closed cases."), RATE, three_rates=True),
    Kpi("handler_satisfied_rate", _("Satisfaction rate"),
        _("Of the handler's rated cases, satisfied or basically satisfied ÷ rated cases."), RATE, three_rates=True),
    Kpi("handler_score", _("Composite score"),
        _("Response rate, resolution rate and satisfaction rate weighted as configured (default 10 : 45 : 45)."), SCORE),
    Kpi("resolved_on_time_rate", _("On-time handling rate"),
        _("Dispatches resolved by their handle-by deadline ÷ dispatches resolved."), RATE),
    KPI_BY_KEY["return_rate"],
    Kpi("handler_redo_rate", _("Redo rate"), _("Dispatches that are redos of a reopened case ÷ all dispatches."), RATE,
        higher_is_better=False),
    Kpi("community_score", _("Community's rating"), _("Average of the community's 1–5 ratings of the 报到."), SCORE),
    KPI_BY_KEY["ack_hours"],
    KPI_BY_KEY["handle_hours"],
)
HANDLER_KPI_BY_KEY = {kpi.key: kpi for kpi in HANDLER_KPIS}


def satisfaction_weights() -> dict[str, Fraction]:
    weights = getattr(settings, "KPI_SATISFACTION_WEIGHTS", DEFAULT_SATISFACTION_WEIGHTS)
    return {name: Fraction(str(weights.get(name, 0))) for name in DEFAULT_SATISFACTION_WEIGHTS}


def score_weights() -> dict[str, Fraction]:
    weights = getattr(settings, "KPI_SCORE_WEIGHTS", DEFAULT_SCORE_WEIGHTS)
    return {name: Fraction(str(weights.get(name, 0))) for name in DEFAULT_SCORE_WEIGHTS}


def _pct(part, whole) -> float | None:
    return round(float(100 * Fraction(part) / whole), 1) if whole else None


def _avg_hours(seconds, count) -> float | None:
    return round(seconds / count / 3600, 1) if count else None


def _score(rates: Mapping[str, float | None]) -> float | None:
    """Weighted mean of the three rates present (a rate without data leaves the weights of the others)."""
    weights = score_weights()
    present = {key: rates[key] for key in weights if rates.get(key) is not None and weights[key]}
    total = sum(weights[key] for key in present)
    if not total:
        return None
    return round(float(sum(Fraction(str(value)) * weights[key] for key, value in present.items()) / total), 1)


def empty_case_sums() -> dict[str, int]:
    return dict.fromkeys(CASE_COUNTERS, 0)


def empty_dispatch_sums() -> dict[str, int]:
    return dict.fromkeys(DISPATCH_COUNTERS, 0)


def compute(case: Mapping[str, int], dispatch: Mapping[str, int], households: int | None = None) -> dict[str, float | int | None]:
    """Return {kpi key: value} for the summed counters of one scope and period."""
    c = {**empty_case_sums(), **case}
    d = {**empty_dispatch_sums(), **dispatch}
    w = satisfaction_weights()
    cases = c["filed"] - c["merged"]
    weighted = w["satisfied"] * c["satisfied"] + w["basically"] * c["basically"] + w["dissatisfied"] * c["dissatisfied"]
    values: dict[str, float | int | None] = {
        "cases": cases,
        "per_1000": round(1000 * cases / households, 1) if households else None,
        "response_rate": _pct(d["ack_on_time"], d["dispatched"]),
        "solved_rate": _pct(c["solved"], c["closed"]),
        "satisfied_rate": _pct(weighted, c["rated"]),
        "accepted_on_time_rate": _pct(c["accepted_on_time"], c["accepted"]),
        "closed_on_time_rate": _pct(c["closed_on_time"], c["closed"]),
        "unconfirmed_rate": _pct(c["closed_unconfirmed"], c["closed"]),
        "return_rate": _pct(d["returned"], d["dispatched"]),
        "redo_rate": _pct(c["reopened"], c["accepted"]),
        "followup_rate": _pct(c["followup_answered"], c["followup_sent"]),
        "repeat_rate": _pct(c["repeat"], cases),
        "whistle_rate": _pct(c["whistled"], c["accepted"]),
        "accept_hours": _avg_hours(c["accept_seconds"], c["accepted"]),
        "ack_hours": _avg_hours(d["ack_seconds"], d["acknowledged"]),
        "handle_hours": _avg_hours(d["handle_seconds"], d["resolved"]),
        "close_hours": _avg_hours(c["close_seconds"], c["closed"]),
    }
    values["score"] = _score(values)
    return values


def compute_handler(dispatch: Mapping[str, int]) -> dict[str, float | int | None]:
    """Return {kpi key: value} of HANDLER_KPIS for one handler's summed dispatch counters."""
    d = {**empty_dispatch_sums(), **dispatch}
    values: dict[str, float | int | None] = {
        "dispatched": d["dispatched"],
        "response_rate": _pct(d["ack_on_time"], d["dispatched"]),
        "handler_solved_rate": _pct(d["solved"], d["closed"]),
        "handler_satisfied_rate": _pct(d["satisfied"], d["rated"]),
        "resolved_on_time_rate": _pct(d["resolved_on_time"], d["resolved"]),
        "return_rate": _pct(d["returned"], d["dispatched"]),
        "handler_redo_rate": _pct(d["redo"], d["dispatched"]),
        "community_score": round(d["score_sum"] / d["score_count"], 2) if d["score_count"] else None,
        "ack_hours": _avg_hours(d["ack_seconds"], d["acknowledged"]),
        "handle_hours": _avg_hours(d["handle_seconds"], d["resolved"]),
    }
    values["handler_score"] = _score({
        "response_rate": values["response_rate"], "solved_rate": values["handler_solved_rate"],
        "satisfied_rate": values["handler_satisfied_rate"],
    })
    return values


def change(kpi: Kpi, now: float | int | None, before: float | int | None) -> dict | None:
    """Return the change against the same period a year before: relative % for counts, points for rates.

    {"value": signed number, "unit": "%" or "pt", "better": True/False/None}; None when either side is missing.
    """
    if now is None or before is None:
        return None
    if kpi.kind in (COUNT, PER_1000):
        if not before:
            return None
        value, unit = round(100 * (now - before) / before, 1), "%"
    else:
        value, unit = round(now - before, 1), ("pt" if kpi.kind == RATE else "")
    better = None if kpi.higher_is_better is None or value == 0 else (value > 0) == kpi.higher_is_better
    return {"value": value, "unit": unit, "better": better}

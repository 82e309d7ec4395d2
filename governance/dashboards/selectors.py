"""The figures of an area dashboard (district, street, community or compound), read from the rollups only.

`area_dashboard()` costs a fixed number of queries whatever the number of cases: the compounds of the
place (one), the names of its children (one, none for a community or a compound), nine `query.sums`
calls (at most two queries each: whole months and edge days), the department names (one) and the
households (cached; one query on a miss). The cases table is never read here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.functional import lazy
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Category, HandlerKind
from governance.models import Community, Compound, Department, District, Street

from . import kpis as K
from . import query
from .forms import Period
from .permissions import level_of, user_grants

capfirst_lazy = lazy(capfirst, str)

CHILD_LEVEL = {"district": "street", "street": "community", "community": "compound", "compound": None}
# The models' own names (区, 街道, 社区, 小区, 类别).
LEVEL_LABELS = {
    "district": capfirst_lazy(District._meta.verbose_name),
    "street": capfirst_lazy(Street._meta.verbose_name),
    "community": capfirst_lazy(Community._meta.verbose_name),
    "compound": capfirst_lazy(Compound._meta.verbose_name),
    "category": gettext_lazy("Category"),
}
# On a rollup row: the field that holds the place of each level.
ROW_FIELD = {
    "district": "compound__community__street__district_id",
    "street": "compound__community__street_id",
    "community": "compound__community_id",
    "compound": "compound_id",
}
# On a compound: the field that holds the place of each level.
COMPOUND_FIELD = {
    "district": "community__street__district_id",
    "street": "community__street_id",
    "community": "community_id",
    "compound": "id",
}
CHILD_MODELS = {"street": (Street, "district_id"), "community": (Community, "street_id")}
HOTSPOTS = 10  # compounds shown as hotspots
TOP_SHARE = 0.10  # "the top 10% of compounds produce N% of the cases"


def _category_label(key: str) -> str:
    try:
        return str(Category(key).label)
    except ValueError:
        return key


def month_label(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


def area_url(level: str, pk: int, period: Period) -> str:
    return f"{reverse('dashboards:area', args=[level, pk])}?{urlencode(period.as_params())}"


def ledger_url(level: str, pk: int, period: Period, **filters) -> str | None:
    """Return the case ledger (台账) of a place with the filters, or None while the ledger is not installed."""
    try:
        base = reverse("dashboards:ledger", args=[level, pk])
    except NoReverseMatch:
        return None
    return f"{base}?{urlencode({**period.as_params(), **filters})}"


# --- formatting shared by the page and the export ----------------------------------------------------


def display(kpi: K.Kpi, value) -> str:
    """Return a KPI value as shown: "93.5%", "12", "4.2h", "—" for no data."""
    if value is None:
        return "—"
    if kpi.kind == K.COUNT:
        return str(value)
    return f"{value}{kpi.unit}"


def change_text(change: dict | None, kpi: K.Kpi | None = None) -> str:
    """Return a change in words, e.g. "+3.2 个百分点，好转" (never colour alone)."""
    if change is None:
        return _("no comparison")
    value = change["value"]
    sign = "+" if value > 0 else ""
    unit = {"%": "%", "pt": " " + _("percentage points"), "": kpi.unit if kpi is not None else ""}[change["unit"]]
    verdict = {True: _("better"), False: _("worse"), None: _("no change") if value == 0 else ""}[change["better"]]
    text = f"{sign}{value}{unit}"
    return _("%(change)s, %(verdict)s") % {"change": text, "verdict": verdict} if verdict else text


def change_arrow(change: dict | None) -> str:
    if change is None or change["value"] == 0:
        return "→"
    return "↑" if change["value"] > 0 else "↓"


def change_class(change: dict | None) -> str:
    if change is None or change["better"] is None:
        return "text-body-secondary"
    return "text-success" if change["better"] else "text-danger"


# --- the figures ---------------------------------------------------------------------------------------


@dataclass
class AreaDashboard:
    level: str
    place: object
    period: Period
    last_period: Period
    households: int
    values: dict
    last_year_values: dict
    kpis: list[dict] = field(default_factory=list)  # every KPI: value, last year, change, texts
    three_rates: list[dict] = field(default_factory=list)
    child_level: str = ""
    children: list[dict] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    monthly: list[dict] = field(default_factory=list)
    hotspots: dict = field(default_factory=dict)
    departments: list[dict] = field(default_factory=list)
    compound_ids: list[int] = field(default_factory=list)

    @property
    def cases_row(self) -> dict:
        return next(row for row in self.kpis if row["key"] == "cases")

    @property
    def per_1000_row(self) -> dict:
        return next(row for row in self.kpis if row["key"] == "per_1000")


def _kpi_row(kpi: K.Kpi, value, last_year) -> dict:
    delta = K.change(kpi, value, last_year)
    return {
        "key": kpi.key, "kpi": kpi, "label": str(kpi.label), "definition": str(kpi.definition), "unit": kpi.unit,
        "value": value, "last_year": last_year, "change": delta,
        "display": display(kpi, value), "last_year_display": display(kpi, last_year),
        "change_text": change_text(delta, kpi), "arrow": change_arrow(delta), "css": change_class(delta),
    }


def _add(total: dict, part: dict) -> None:
    for name, value in part.items():
        total[name] = total.get(name, 0) + value


def _cells(values: dict) -> list[str]:
    return [display(kpi, values[kpi.key]) for kpi in K.KPIS]


def _total(rows: dict) -> dict:
    total: dict = {}
    for part in rows.values():
        _add(total, part)
    return total


def area_dashboard(place, period: Period) -> AreaDashboard:
    """Return every figure of the dashboard of `place` over `period` and the same period a year before.

    Fixed query count (see the module docstring): no query depends on the number of cases, compounds
    or departments.
    """
    level = level_of(place)
    child_level = CHILD_LEVEL[level]
    last = period.last_year
    where = Q(**{ROW_FIELD[level]: place.pk})

    # The place's compounds and, for each, the child it falls in (one query).
    child_of_compound = {"district": "community__street_id", "street": "community_id"}.get(level, "id")
    compounds = list(
        Compound.objects.filter(**{COMPOUND_FIELD[level]: place.pk}).order_by("name").values_list("id", "name", child_of_compound)
    )
    compound_ids = [row[0] for row in compounds]
    compound_names = {row[0]: row[1] for row in compounds}
    per_compound_households = query.households_by_compound()
    households = sum(per_compound_households.get(pk, 0) for pk in compound_ids)

    case_by_compound = query.sums("case", period.start, period.end, where=where, group_by=["compound_id"])
    dispatch_by_compound = query.sums("dispatch", period.start, period.end, where=where, group_by=["compound_id"])
    case_by_category = query.sums("case", period.start, period.end, where=where, group_by=["category"])
    dispatch_by_category = query.sums("dispatch", period.start, period.end, where=where, group_by=["category"])
    case_by_month = query.sums("case", period.start, period.end, where=where, group_by=[query.MONTH])
    dispatch_by_month = query.sums("dispatch", period.start, period.end, where=where, group_by=[query.MONTH])
    last_case_by_month = query.sums("case", last.start, last.end, where=where, group_by=[query.MONTH])
    last_dispatch_by_month = query.sums("dispatch", last.start, last.end, where=where, group_by=[query.MONTH])
    by_department = query.sums(
        "dispatch", period.start, period.end, where=where & Q(handler_kind=HandlerKind.DEPARTMENT), group_by=["handler_id"]
    )

    values = K.compute(_total(case_by_compound), _total(dispatch_by_compound), households)
    last_values = K.compute(_total(last_case_by_month), _total(last_dispatch_by_month), households)
    board = AreaDashboard(
        level=level, place=place, period=period, last_period=last, households=households,
        values=values, last_year_values=last_values, child_level=child_level or "category", compound_ids=compound_ids,
    )
    board.kpis = [_kpi_row(kpi, values[kpi.key], last_values[kpi.key]) for kpi in K.KPIS]
    board.three_rates = [row for row in board.kpis if row["kpi"] in K.THREE_RATES]

    board.categories = _categories(level, place, period, case_by_category, dispatch_by_category, households, values["cases"])
    if child_level is None:
        board.children = board.categories
    else:
        board.children = _children(
            child_level, place, period, compounds, case_by_compound, dispatch_by_compound, per_compound_households
        )
    board.monthly = _monthly(period, case_by_month, dispatch_by_month, last_case_by_month, last_dispatch_by_month, households)
    board.hotspots = _hotspots(level, period, compound_ids, compound_names, case_by_compound)
    board.departments = _departments(by_department)
    return board


def _children(child_level, place, period, compounds, case_by_compound, dispatch_by_compound, households_of) -> list[dict]:
    if child_level == "compound":
        names = [(pk, name) for pk, name, _child in compounds]
    else:
        model, parent_field = CHILD_MODELS[child_level]
        names = list(model.objects.filter(**{parent_field: place.pk}).order_by("name").values_list("id", "name"))
    case: dict[int, dict] = {pk: {} for pk, _name in names}
    dispatch: dict[int, dict] = {pk: {} for pk, _name in names}
    households = dict.fromkeys(case, 0)
    for compound_id, _name, child in compounds:
        if child not in case:
            continue
        _add(case[child], case_by_compound.get((compound_id,), {}))
        _add(dispatch[child], dispatch_by_compound.get((compound_id,), {}))
        households[child] += households_of.get(compound_id, 0)
    rows = []
    for pk, name in names:
        values = K.compute(case[pk], dispatch[pk], households[pk])
        rows.append({
            "key": pk, "id": pk, "name": name, "level": child_level, "households": households[pk],
            "values": values, "cells": _cells(values), "url": area_url(child_level, pk, period),
        })
    return rows


def _categories(level, place, period, case_by_category, dispatch_by_category, households, total_cases) -> list[dict]:
    keys = [c.value for c in Category] + sorted(
        {key for (key,) in case_by_category} - {c.value for c in Category}
    )
    rows = []
    for key in keys:
        values = K.compute(case_by_category.get((key,), {}), dispatch_by_category.get((key,), {}), households)
        if not values["cases"] and (key,) not in case_by_category:
            continue
        rows.append({
            "key": key, "id": key, "name": _category_label(key), "level": "category", "households": households,
            "values": values, "cells": _cells(values),
            "share": round(100 * values["cases"] / total_cases, 1) if total_cases else None,
            "url": ledger_url(level, place.pk, period, category=key),
        })
    rows.sort(key=lambda row: -row["values"]["cases"])
    return rows


def _months(period: Period) -> list[date]:
    months, month = [], query.month_start(period.start)
    while month <= period.end:
        months.append(month)
        month = query.add_months(month, 1)
    return months


def _monthly(period, case_by_month, dispatch_by_month, last_case_by_month, last_dispatch_by_month, households) -> list[dict]:
    rows = []
    for month in _months(period):
        last_month = query.add_months(month, -12)
        now = K.compute(case_by_month.get((month,), {}), dispatch_by_month.get((month,), {}), households)
        before = K.compute(last_case_by_month.get((last_month,), {}), last_dispatch_by_month.get((last_month,), {}), households)
        rows.append({
            "month": month, "label": month_label(month),
            "cases": now["cases"], "last_year_cases": before["cases"],
            "response_rate": now["response_rate"], "solved_rate": now["solved_rate"],
            "satisfied_rate": now["satisfied_rate"],
            "last_year_solved_rate": before["solved_rate"], "last_year_satisfied_rate": before["satisfied_rate"],
        })
    return rows


def _hotspots(level, period, compound_ids, compound_names, case_by_compound) -> dict:
    """Return the top compounds by cases and the share of cases the top 10% of the place's compounds produce."""
    counts = sorted(
        ((K.compute(case_by_compound.get((pk,), {}), {})["cases"], pk) for pk in compound_ids),
        key=lambda item: (-item[0], compound_names[item[1]]),
    )
    total = sum(n for n, _pk in counts)
    top_n = max(1, math.ceil(len(counts) * TOP_SHARE)) if counts else 0
    top_cases = sum(n for n, _pk in counts[:top_n])
    rows = [
        {"id": pk, "name": compound_names[pk], "cases": n, "share": round(100 * n / total, 1) if total else None,
         "url": area_url("compound", pk, period)}
        for n, pk in counts[:HOTSPOTS] if n
    ]
    return {
        "rows": rows, "compounds": len(counts), "top_n": top_n, "top_cases": top_cases, "total": total,
        "top_share": round(100 * top_cases / total, 1) if total else None,
    }


def _departments(by_department: dict) -> list[dict]:
    """Return each department's timeliness (response rate, on-time handling), names in one query."""
    ids = [pk for (pk,) in by_department]
    names = dict(Department.objects.filter(id__in=ids).values_list("id", "name")) if ids else {}
    rows = []
    for (pk,), sums in by_department.items():
        values = K.compute_handler(sums)
        rows.append({
            "id": pk, "name": names.get(pk, f"#{pk}"), "values": values,
            "dispatched": values["dispatched"], "response_rate": values["response_rate"],
            "resolved_on_time_rate": values["resolved_on_time_rate"], "ack_hours": values["ack_hours"],
            "handle_hours": values["handle_hours"], "return_rate": values["return_rate"],
        })
    rows.sort(key=lambda row: (-row["dispatched"], row["name"]))
    return rows


DEPARTMENT_COLUMNS = ("dispatched", "response_rate", "resolved_on_time_rate", "ack_hours", "handle_hours", "return_rate")


def department_cells(row: dict) -> list[str]:
    return [display(K.HANDLER_KPI_BY_KEY[key], row[key]) for key in DEPARTMENT_COLUMNS]


# --- navigation ----------------------------------------------------------------------------------------


def breadcrumb(user, place, period: Period) -> list[dict]:
    """Return district → … → place, each with a dashboard URL only where the user may see it (one query).

    `place` must come with its parents selected (permissions.place_or_404 does that).
    """
    chain = []
    node, level = place, level_of(place)
    parent_attr = {"compound": ("community", "community"), "community": ("street", "street"), "street": ("district", "district")}
    while True:
        chain.append((level, node))
        if level not in parent_attr:
            break
        attr, level = parent_attr[level]
        node = getattr(node, attr)
    chain.reverse()
    scope = user_grants(user)
    crumbs, open_below = [], user.is_superuser
    for level, node in chain:
        open_below = open_below or node.pk in scope.get(level, set())
        crumbs.append({
            "level": level, "label": LEVEL_LABELS[level], "name": node.name, "id": node.pk,
            "url": area_url(level, node.pk, period) if open_below else None,
        })
    return crumbs


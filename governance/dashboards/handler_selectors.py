"""KPIs of the handlers: one row per functional department or property company (issue 6 §1).

Read from the dispatch rollups only: `query.sums("dispatch", ...)` grouped by handler, this period and
the same period a year before, plus one query for the names. Who sees which rows:

- superusers: every handler, every compound;
- district, street and community staff: every handler, over the dispatches of the compounds in their scope
  (district staff therefore see their whole district);
- department staff (on the departments page) and property staff (on the property companies page): only
  their own department's or company's row, over all of its dispatches;
- anyone else: no scope (the views answer 404).

Whatever the data size, a table costs: one query for the user's grants, at most two per sums() call (two
calls) and one for the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from complaints.models import HandlerKind
from governance.models import Compound, Department, PropertyCompany

from . import kpis, query
from .permissions import user_grants

DEPARTMENTS = HandlerKind.DEPARTMENT.value
PROPERTY = HandlerKind.PROPERTY.value
HANDLER_MODELS = {DEPARTMENTS: Department, PROPERTY: PropertyCompany}
# The grant that names the handler a staff member works for.
OWN_GRANT = {DEPARTMENTS: "department", PROPERTY: "propertycompany"}
AREA_GRANTS = ("district", "street", "community")
DEFAULT_SORT = "-handler_score"


# --- who sees which handlers ------------------------------------------------------------------------


def area_compounds_q(grants: dict[str, set[int]], prefix: str = "compound_id") -> Q:
    """Return the condition that a row's compound lies in the districts, streets or communities granted."""
    q = Q()
    if grants["district"]:
        q |= Q(community__street__district_id__in=sorted(grants["district"]))
    if grants["street"]:
        q |= Q(community__street_id__in=sorted(grants["street"]))
    if grants["community"]:
        q |= Q(community_id__in=sorted(grants["community"]))
    return Q(**{f"{prefix}__in": Compound.objects.filter(q).values("pk")})


@dataclass
class HandlerScope:
    """What part of the dispatch rollups a user may read for one kind of handler."""

    kind: str
    where: Q
    own_ids: frozenset[int] = field(default_factory=frozenset)  # non-empty: only these handlers' rows

    @property
    def own_only(self) -> bool:
        return bool(self.own_ids)


def handler_scope(user, kind: str, grants: dict[str, set[int]] | None = None) -> HandlerScope | None:
    """Return the user's scope on the `kind` handlers' table, or None (404) when they have none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    base = Q(handler_kind=kind)
    if user.is_superuser:
        return HandlerScope(kind, base)
    grants = user_grants(user) if grants is None else grants
    if any(grants[name] for name in AREA_GRANTS):
        return HandlerScope(kind, base & area_compounds_q(grants))
    own = grants[OWN_GRANT[kind]]
    if own:
        return HandlerScope(kind, base & Q(handler_id__in=sorted(own)), frozenset(own))
    return None


# --- the table ------------------------------------------------------------------------------------


def _sort_key(sort: str):
    key = sort.removeprefix("-")
    if key != "name" and key not in kpis.HANDLER_KPI_BY_KEY:
        key, sort = DEFAULT_SORT.removeprefix("-"), DEFAULT_SORT
    return key, sort.startswith("-")


def sort_rows(rows: list[dict], sort: str) -> str:
    """Sort rows in place by a KPI key or "name" ("-" first: descending); empty values last. Return the sort used."""
    key, descending = _sort_key(sort)
    if key == "name":
        rows.sort(key=lambda r: r["name"], reverse=descending)
    else:
        present = [r for r in rows if r["values"][key] is not None]
        missing = [r for r in rows if r["values"][key] is None]
        present.sort(key=lambda r: r["name"])
        present.sort(key=lambda r: r["values"][key], reverse=descending)  # stable: names keep order within ties
        missing.sort(key=lambda r: r["name"])
        rows[:] = present + missing
    return f"-{key}" if descending else key


def handler_names(kind: str, ids) -> dict[int, str]:
    """Return {id: name} of the departments or property companies (one query)."""
    ids = sorted(ids)
    if not ids:
        return {}
    return dict(HANDLER_MODELS[kind].objects.filter(pk__in=ids).values_list("pk", "name"))


def handler_table(scope: HandlerScope, start: date, end: date, sort: str = DEFAULT_SORT) -> dict:
    """Return the KPI table of the handlers in scope over [start, end] with last year's three rates.

    {"kind", "kpis", "three_rates", "rows": [{"id", "name", "values", "before", "changes"}], "sort",
     "start", "end", "before_start", "before_end"}. Three queries (four when a range has both whole months
    and edge days), plus none for empty scopes.
    """
    group = ("handler_id",)
    now = query.sums("dispatch", start, end, where=scope.where, group_by=group)
    before_start, before_end = query.same_period_last_year(start, end)
    before = query.sums("dispatch", before_start, before_end, where=scope.where, group_by=group)
    ids = {key[0] for key in now} | {key[0] for key in before} | set(scope.own_ids)
    ids.discard(0)
    names = handler_names(scope.kind, ids)
    three = [kpi for kpi in kpis.HANDLER_KPIS if kpi.three_rates]
    rows = []
    for pk in ids:
        values = kpis.compute_handler(now.get((pk,), {}))
        last = kpis.compute_handler(before.get((pk,), {}))
        rows.append({
            "id": pk,
            "name": names.get(pk, f"#{pk}"),
            "values": values,
            "before": last,
            "changes": {kpi.key: kpis.change(kpi, values[kpi.key], last[kpi.key]) for kpi in three},
        })
    used = sort_rows(rows, sort)
    return {
        "kind": scope.kind, "kpis": kpis.HANDLER_KPIS, "three_rates": three, "rows": rows, "sort": used,
        "start": start, "end": end, "before_start": before_start, "before_end": before_end,
    }


def table_xlsx(table: dict, title: str) -> bytes:
    """The handler table as an XLSX workbook: one row per handler, last year's three rates, and the definitions."""
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title)[:31])
    sheet.append([f"{title} {table['start']:%Y-%m-%d} – {table['end']:%Y-%m-%d}"])
    header = [str(_("Name"))]
    for kpi in table["kpis"]:
        header.append(f"{kpi.label} ({kpi.unit})" if kpi.unit else str(kpi.label))
    for kpi in table["three_rates"]:
        header.append(str(_("%(kpi)s, same period last year") % {"kpi": kpi.label}))
    sheet.append(header)
    for row in table["rows"]:
        sheet.append([
            row["name"], *[row["values"][kpi.key] for kpi in table["kpis"]],
            *[row["before"][kpi.key] for kpi in table["three_rates"]],
        ])
    notes = workbook.create_sheet(title=str(_("Definitions"))[:31])
    for kpi in table["kpis"]:
        notes.append([str(kpi.label), str(kpi.definition)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

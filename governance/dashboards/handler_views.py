"""The handlers' KPI tables: /dashboard/departments/ and /dashboard/property-companies/ (+ .xlsx).

Area staff see every handler over the compounds of their scope; department and property staff see their
own row only; anyone else gets 404 (handler_selectors.handler_scope).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from . import handler_selectors as sel
from . import kpis, ledger, query, rankings
from .forms import parse_period, presets
from .permissions import place_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGES = {
    sel.DEPARTMENTS: {"title": _("Departments' KPIs"), "name": "departments", "file": "departments",
                      "column": _("Department")},
    sel.PROPERTY: {"title": _("Property companies' KPIs"), "name": "property-companies", "file": "property-companies",
                   "column": _("Property company")},
}


def _table(request: HttpRequest, kind: str):
    scope = sel.handler_scope(request.user, kind)
    if scope is None:
        raise Http404
    period, form = parse_period(request.GET)
    table = sel.handler_table(scope, period.start, period.end, request.GET.get("sort") or sel.DEFAULT_SORT)
    return scope, period, form, table


def _sort_links(request: HttpRequest, table: dict) -> dict[str, dict]:
    """For each column: the URL that sorts by it (best first on the first click, the other way on the next)."""
    params = request.GET.copy()
    links = {}
    current = table["sort"]
    for key, higher_is_better in [("name", False), *[(k.key, k.higher_is_better is not False) for k in table["kpis"]]]:
        first = f"-{key}" if higher_is_better else key
        other = key if first.startswith("-") else f"-{key}"
        params["sort"] = other if current == first else first
        links[key] = {"url": f"?{params.urlencode()}", "active": current in (key, f"-{key}"),
                      "descending": current == f"-{key}"}
    return links


@login_required
@require_GET
def handler_kpis(request: HttpRequest, kind: str) -> HttpResponse:
    """One row per department or property company with every handler KPI and last year's three rates."""
    scope, period, form, table = _table(request, kind)
    page = PAGES[kind]
    links = _sort_links(request, table)
    export = reverse(f"dashboards:{page['name']}-export")
    query = {**period.as_params(), "sort": table["sort"]}
    return render(request, "dashboards/handlers.html", {
        "page": page,
        "table": table,
        "own_only": scope.own_only,
        "period": period,
        "form": form,
        "presets": [{"label": label, "params": urlencode({**p.as_params(), "sort": table["sort"]}), "active": p == period}
                    for label, p in presets()],
        "headers": [{"kpi": kpi, "link": links[kpi.key]} for kpi in table["kpis"]],
        "name_link": links["name"],
        "rows": [{**row, "cells": [{"kpi": kpi, "value": row["values"][kpi.key], "change": row["changes"].get(kpi.key),
                                    "before": row["before"][kpi.key] if kpi.three_rates else None}
                                   for kpi in table["kpis"]]}
                 for row in table["rows"]],
        "export_url": f"{export}?{urlencode(query)}",
        "sort_keep": [("sort", table["sort"])],
    })


@login_required
@require_GET
def handler_kpis_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The same table as XLSX, with the same range and sort."""
    scope, period, form, table = _table(request, kind)
    if form.errors:
        return HttpResponseBadRequest(" ".join(str(m) for messages in form.errors.values() for m in messages))
    page = PAGES[kind]
    response = HttpResponse(sel.table_xlsx(table, str(page["title"])), content_type=XLSX)
    name = f"{page['file']}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- rankings (红黑榜) ------------------------------------------------------------------------------


def _ranking_context(request: HttpRequest):
    """Return (district, month, month error, lists) for the rankings page and export; 404 without a district."""
    user = request.user
    grants = None if user.is_superuser else sel.user_grants(user)
    if grants is not None and not any(grants[name] for name in sel.AREA_GRANTS):
        raise Http404
    districts = rankings.ranking_districts(user, grants)
    if not districts:
        raise Http404
    district = districts[0]
    raw = request.GET.get("district")
    if raw:
        district = next((d for d in districts if str(d.pk) == raw), None)
        if district is None:
            raise Http404
    today = timezone.localdate()
    default = rankings.due_month() or query.add_months(today.replace(day=1), -1)
    error = None
    month = default
    if request.GET.get("month"):
        month = rankings.parse_month(request.GET["month"])
        if month is None:
            month, error = default, _("Enter a month like 2025-03.")
    return districts, district, month, error, rankings.month_lists(district, month, today=today)


@login_required
@require_GET
def rankings_page(request: HttpRequest) -> HttpResponse:
    """The month's red and black lists of a district: the published snapshot, or a live preview marked as such."""
    districts, district, month, error, lists = _ranking_context(request)
    today = timezone.localdate()

    def link(m, d=district):
        return f"?{urlencode({'month': f'{m:%Y-%m}', 'district': d.pk})}"

    following = query.add_months(month, 1)
    return render(request, "dashboards/rankings.html", {
        "district": district,
        "districts": [{"name": d.name, "url": link(month, d), "active": d.pk == district.pk} for d in districts],
        "month": month,
        "month_error": error,
        "previous_url": link(query.add_months(month, -1)),
        "next_url": link(following) if following <= today else None,
        "this_month_url": link(today.replace(day=1)),
        "kinds": [{"key": kind, "label": rankings.KIND_LABELS[kind], **lists[kind]} for kind in rankings.KINDS],
        "export_url": reverse("dashboards:rankings-export") + link(month),
        "weights": {key: float(value) for key, value in kpis.score_weights().items()},
        "score_kpi": kpis.HANDLER_KPI_BY_KEY["handler_score"],
        "min_dispatches": rankings.min_dispatches(),
    })


@login_required
@require_GET
def rankings_export(request: HttpRequest) -> HttpResponse:
    districts, district, month, error, lists = _ranking_context(request)
    if error:
        return HttpResponseBadRequest(str(error))
    response = HttpResponse(rankings.lists_xlsx(district, month, lists), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="rankings-{district.pk}-{month:%Y-%m}.xlsx"'
    return response


# --- the case ledger (台账) -------------------------------------------------------------------------


def _ledger_args(request: HttpRequest, level: str, pk: int):
    place = place_or_404(request.user, level, pk)
    period, range_form = parse_period(request.GET)
    filter_form = ledger.filter_form(request.GET, ledger.district_id_of(level, place))
    filters = ledger.LedgerFilters.from_form(filter_form)
    return place, period, range_form, filter_form, filters


@login_required
@require_GET
def ledger_list(request: HttpRequest, level: str, pk: int) -> HttpResponse:
    """The place's cases filed in the period, 20 a page, newest first, each linked to its case page."""
    place, period, range_form, filter_form, filters = _ledger_args(request, level, pk)
    page = ledger.ledger_page(level, place, period, filters, ledger.page_number(request.GET.get("page")))
    params = {**period.as_params(), **filters.as_params()}
    return render(request, "dashboards/ledger.html", {
        "place": place,
        "level": level,
        "period": period,
        "form": range_form,
        "filter_form": filter_form,
        "page": page,
        "headers": ledger.HEADERS,
        "query": urlencode(params),
        "export_url": f"{reverse('dashboards:ledger-export', args=[level, place.pk])}?{urlencode(params)}",
        "area_url": f"{reverse('dashboards:area', args=[level, place.pk])}?{urlencode(period.as_params())}",
        "keep": list(filters.as_params().items()),
        "max_rows": ledger.max_export_rows(),
    })


@login_required
@require_GET
def ledger_export(request: HttpRequest, level: str, pk: int) -> HttpResponse:
    """The same cases (same filters) as XLSX, streamed from a temporary file."""
    place, period, range_form, filter_form, filters = _ledger_args(request, level, pk)
    if range_form.errors or filter_form.errors:
        errors = [*range_form.errors.values(), *filter_form.errors.values()]
        return HttpResponseBadRequest(" ".join(str(m) for messages in errors for m in messages))
    out = ledger.ledger_xlsx(level, place, period, filters, title=f"{place.name} {_('Case ledger')}")
    name = f"cases-{level}-{place.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX)

"""Every KPI table of an area dashboard as one Excel workbook: /dashboard/<level>/<pk>/kpis.xlsx.

Each sheet starts with the filters (place, level, from, to, same period last year) in its first row, then
the table's header and rows. Values are numbers (rates in %, times in hours), so the figures can be
summed and charted again; a KPI without data is an empty cell. Same queries as the page.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from . import kpis as K
from . import selectors
from .forms import RangeForm
from .permissions import place_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _header(kpi: K.Kpi) -> str:
    return f"{kpi.label} ({kpi.unit})" if kpi.unit else str(kpi.label)


def _filters(board: selectors.AreaDashboard) -> list:
    p, last = board.period, board.last_period
    return [
        _("Place"), board.place.name, _("Level"), str(selectors.LEVEL_LABELS[board.level]),
        _("From"), p.start.isoformat(), _("To"), p.end.isoformat(),
        _("Same period last year"), f"{last.start.isoformat()} – {last.end.isoformat()}",
    ]


def area_xlsx(board: selectors.AreaDashboard) -> bytes:
    """Return the workbook of every KPI table of `board` (no query)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    filters = _filters(board)

    def sheet(title: str, header: list, rows):
        ws = workbook.create_sheet(title=title[:31])
        ws.append(filters)
        ws.append(header)
        for row in rows:
            ws.append(row)

    sheet(_("Indicators"), [_("Indicator"), _("Measured in"), _("This period"), _("Same period last year"), _("Year on year"), _("Definition")], (
        [row["label"], row["unit"], row["value"], row["last_year"], row["change_text"], row["definition"]]
        for row in board.kpis
    ))
    kpi_headers = [_header(kpi) for kpi in K.KPIS]
    sheet(str(selectors.LEVEL_LABELS[board.child_level]), [str(selectors.LEVEL_LABELS[board.child_level]), _("Households"), *kpi_headers], (
        [child["name"], child["households"], *[child["values"][kpi.key] for kpi in K.KPIS]] for child in board.children
    ))
    sheet(_("Categories"), [_("Category"), _("Share") + " (%)", *kpi_headers], (
        [row["name"], row["share"], *[row["values"][kpi.key] for kpi in K.KPIS]] for row in board.categories
    ))
    rate = " (%)"
    sheet(_("Monthly"), [
        _("Month"), _("Cases"), _("Same month last year"), pgettext("12345 KPI", "Response rate") + rate, _("Resolution rate") + rate,
        _("Satisfaction rate") + rate, _("Resolution rate last year") + rate, _("Satisfaction rate last year") + rate,
    ], (
        [row["label"], row["cases"], row["last_year_cases"], row["response_rate"], row["solved_rate"], row["satisfied_rate"],
         row["last_year_solved_rate"], row["last_year_satisfied_rate"]] for row in board.monthly
    ))
    department_kpis = [K.HANDLER_KPI_BY_KEY[key] for key in selectors.DEPARTMENT_COLUMNS]
    sheet(_("Departments"), [_("Department"), *[_header(kpi) for kpi in department_kpis]], (
        [row["name"], *[row[kpi.key] for kpi in department_kpis]] for row in board.departments
    ))
    hot = board.hotspots
    sheet(_("Hotspot compounds"), [_("Compound"), _("Cases"), _("Share") + " (%)"], [
        *([row["name"], row["cases"], row["share"]] for row in hot["rows"]),
        [],
        [_("Share of cases from the busiest tenth of compounds") + " (%)", hot["top_share"],
         _("%(n)s of %(total)s compounds") % {"n": hot["top_n"], "total": hot["compounds"]}],
    ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@login_required
@require_GET
def area_export(request: HttpRequest, level: str, pk: int) -> HttpResponse:
    """Download the page's KPI tables for the range asked; bad dates go back to the page, which names them."""
    place = place_or_404(request.user, level, pk)
    form = RangeForm.from_params(request.GET)
    if not form.is_valid():
        return redirect(f"{reverse('dashboards:area', args=[level, pk])}?{request.GET.urlencode()}")
    period = form.period()
    board = selectors.area_dashboard(place, period)
    name = f"dashboard-{level}-{pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(io.BytesIO(area_xlsx(board)), as_attachment=True, filename=name, content_type=XLSX)

"""The area dashboards for district, street and community staff: /dashboard/<level>/<pk>/."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from governance.models import Compound

from . import kpis as K
from . import selectors
from .coverage import coverage_for
from .forms import parse_period, presets
from .permissions import dashboard_places, level_of, place_or_404


@login_required
def dashboard_home(request: HttpRequest) -> HttpResponse:
    """Send the user to their widest place (district > street > community); 404 without a dashboard."""
    places = dashboard_places(request.user)
    if not places:
        raise Http404
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    if len(places) == 1:
        place = places[0]
        return redirect(reverse("dashboards:area", args=[level_of(place), place.pk]) + query)
    return render(request, "dashboards/choose.html", {
        "places": [{"name": p.name, "url": reverse("dashboards:area", args=[level_of(p), p.pk]) + query} for p in places],
    })


def _chart_data(board: selectors.AreaDashboard) -> dict:
    """The series the charts draw (the same figures as the tables under them)."""
    return {
        "labels": {
            "cases": _("Cases"), "last_year": _("Same month last year"), "satisfied": _("Satisfaction rate"),
            "solved": _("Resolution rate"), "response": str(K.KPI_BY_KEY["response_rate"].label),
            "on_time": _("On-time handling rate"),
        },
        "monthly": {
            "labels": [row["label"] for row in board.monthly],
            "cases": [row["cases"] for row in board.monthly],
            "last_year": [row["last_year_cases"] for row in board.monthly],
            "solved_rate": [row["solved_rate"] for row in board.monthly],
            "satisfied_rate": [row["satisfied_rate"] for row in board.monthly],
        },
        "categories": [{"name": row["name"], "value": row["values"]["cases"]} for row in board.categories],
        "hotspots": {
            "labels": [row["name"] for row in board.hotspots["rows"]],
            "cases": [row["cases"] for row in board.hotspots["rows"]],
        },
        "departments": {
            "labels": [row["name"] for row in board.departments],
            "response_rate": [row["response_rate"] for row in board.departments],
            "resolved_on_time_rate": [row["resolved_on_time_rate"] for row in board.departments],
        },
    }


@login_required
def area(request: HttpRequest, level: str, pk: int) -> HttpResponse:
    """One place's KPIs for a date range against the same period last year, its children, charts and tables."""
    place = place_or_404(request.user, level, pk)
    period, form = parse_period(request.GET)
    board = selectors.area_dashboard(place, period)
    compounds = Compound.objects.filter(**{selectors.COMPOUND_FIELD[level]: place.pk})
    params = urlencode(period.as_params())
    context = {
        "board": board,
        "place": place,
        "level": level,
        "level_label": selectors.LEVEL_LABELS[level],
        "child_label": selectors.LEVEL_LABELS[board.child_level],
        "period": period,
        "form": form,
        "presets": [{"label": label, "params": urlencode(p.as_params()), "active": p == period} for label, p in presets()],
        "crumbs": selectors.breadcrumb(request.user, place, period),
        "kpi_headers": K.KPIS,
        "department_headers": [K.HANDLER_KPI_BY_KEY[key] for key in selectors.DEPARTMENT_COLUMNS],
        "department_rows": [{**row, "cells": selectors.department_cells(row)} for row in board.departments],
        "chart": _chart_data(board),
        "coverage": coverage_for(compounds, period.start, period.end),
        "export_url": f"{reverse('dashboards:area-export', args=[level, place.pk])}?{params}",
        "ledger_url": selectors.ledger_url(level, place.pk, period),
        "params": params,
    }
    return render(request, "dashboards/area.html", context)

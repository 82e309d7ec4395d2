"""The handlers' KPIs, the red and black lists and the case ledger as JSON, under /api/v1/dashboard/.

Same scope and figures as the pages (handler_views.py): out of scope → 404, bad input → 400 naming the
parameter, a fixed number of queries whatever the data size.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import handler_selectors as sel
from . import kpis, ledger, query, rankings
from .api import DashboardChangeSerializer, NumberField
from .forms import RangeForm
from .permissions import place_or_404

RANGE_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD); default 1 January of this year."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD); default today (Asia/Shanghai)."),
]


_VALUES = serializers.DictField(child=NumberField(allow_null=True), help_text="KPI key → value (null: no data).")


def _period(params):
    form = RangeForm.from_params(params)
    if not form.is_valid():
        raise exceptions.ValidationError(form.param_errors())
    return form.period()


class HandlerRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kpis = _VALUES
    last_year = serializers.DictField(child=NumberField(allow_null=True), help_text="The three rates a year before.")
    changes = serializers.DictField(child=DashboardChangeSerializer(allow_null=True), help_text="The three rates' change.")


class HandlerTableSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text='"department" or "property".')
    range = inline_serializer("HandlerRange", {
        "from": serializers.DateField(), "to": serializers.DateField(),
        "last_year_from": serializers.DateField(), "last_year_to": serializers.DateField(),
    })
    sort = serializers.CharField()
    own_only = serializers.BooleanField(help_text="True for department and property staff: their own row only.")
    definitions = serializers.DictField(child=serializers.CharField())
    rows = HandlerRowSerializer(many=True)


class _HandlerTableView(APIView):
    kind = ""

    def get(self, request: Request) -> Response:
        scope = sel.handler_scope(request.user, self.kind)
        if scope is None:
            raise Http404
        period = _period(request.query_params)
        table = sel.handler_table(scope, period.start, period.end, request.query_params.get("sort") or sel.DEFAULT_SORT)
        three = [kpi.key for kpi in table["three_rates"]]
        return Response(HandlerTableSerializer({
            "kind": self.kind,
            "range": {"from": period.start, "to": period.end, "last_year_from": table["before_start"],
                      "last_year_to": table["before_end"]},
            "sort": table["sort"],
            "own_only": scope.own_only,
            "definitions": {kpi.key: str(kpi.definition) for kpi in table["kpis"]},
            "rows": [{"id": row["id"], "name": row["name"], "kpis": row["values"],
                      "last_year": {key: row["before"][key] for key in three}, "changes": row["changes"]}
                     for row in table["rows"]],
        }).data)


_HANDLER_DOC = (
    "One row per {what} with the handler KPIs ({keys}) for the cases filed in [from, to], and the three rates of "
    "the same period last year. District, street and community staff: every handler, over the dispatches of the "
    "compounds in their scope; {own}: their own row only; anyone else: 404. `sort`: a KPI key or \"name\", "
    "\"-\" first for descending (default -handler_score)."
)
_SORT = OpenApiParameter("sort", OpenApiTypes.STR, description="KPI key or name; '-' first: descending.")


class DepartmentKpisView(_HandlerTableView):
    kind = sel.DEPARTMENTS

    @extend_schema(operation_id="dashboard_departments", summary="Functional departments' KPIs", tags=["dashboards"],
                   description=_HANDLER_DOC.format(what="functional department", own="department staff",
                                                   keys=", ".join(k.key for k in kpis.HANDLER_KPIS)),
                   parameters=[*RANGE_PARAMS, _SORT], responses={200: HandlerTableSerializer})
    def get(self, request: Request) -> Response:
        return super().get(request)


class PropertyCompanyKpisView(_HandlerTableView):
    kind = sel.PROPERTY

    @extend_schema(operation_id="dashboard_property_companies", summary="Property companies' KPIs", tags=["dashboards"],
                   description=_HANDLER_DOC.format(what="property company", own="property company staff",
                                                   keys=", ".join(k.key for k in kpis.HANDLER_KPIS)),
                   parameters=[*RANGE_PARAMS, _SORT], responses={200: HandlerTableSerializer})
    def get(self, request: Request) -> Response:
        return super().get(request)


# --- rankings --------------------------------------------------------------------------------------

def _rank_row() -> dict:
    """A fresh set of fields each time (DRF's serializer class takes the field objects out of the dict)."""
    return {
        "rank": serializers.IntegerField(required=False), "id": serializers.IntegerField(),
        "name": serializers.CharField(), "dispatched": serializers.IntegerField(),
        "response_rate": serializers.FloatField(allow_null=True),
        "handler_solved_rate": serializers.FloatField(allow_null=True),
        "handler_satisfied_rate": serializers.FloatField(allow_null=True),
        "handler_score": serializers.FloatField(allow_null=True),
    }


class RankingKindSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text='"department" or "property".')
    published = serializers.BooleanField()
    published_at = serializers.DateTimeField(allow_null=True)
    preview = serializers.BooleanField(help_text="True: live figures of a month not yet published.")
    red = inline_serializer("RankingRedRow", _rank_row(), many=True)
    black = inline_serializer("RankingBlackRow", _rank_row(), many=True, help_text="Worst first.")
    left_out = inline_serializer("RankingLeftOutRow", _rank_row(), many=True,
                                 help_text="Fewer than min_dispatches dispatches in the month.")
    eligible = serializers.IntegerField()
    min_dispatches = serializers.IntegerField()


class RankingsSerializer(serializers.Serializer):
    district = inline_serializer("RankingDistrict", {"id": serializers.IntegerField(), "name": serializers.CharField()})
    month = serializers.CharField(help_text="YYYY-MM")
    lists = RankingKindSerializer(many=True)


class RankingsView(APIView):
    @extend_schema(
        operation_id="dashboard_rankings", summary="A month's red and black lists of departments and property companies",
        description=("The published snapshot of the month, or for a month not yet published (this month) the live "
                     "figures marked preview. District, street and community staff of the district; others 404."),
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default last month."),
                    OpenApiParameter("district", OpenApiTypes.INT, description="Default: the user's first district.")],
        responses={200: RankingsSerializer}, tags=["dashboards"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        grants = None if user.is_superuser else sel.user_grants(user)
        if grants is not None and not any(grants[name] for name in sel.AREA_GRANTS):
            raise Http404
        districts = rankings.ranking_districts(user, grants)
        raw = request.query_params.get("district")
        district = next((d for d in districts if str(d.pk) == raw), None) if raw else (districts[0] if districts else None)
        if district is None:
            raise Http404
        today = timezone.localdate()
        month = rankings.due_month() or query.add_months(today.replace(day=1), -1)
        if request.query_params.get("month"):
            month = rankings.parse_month(request.query_params["month"])
            if month is None:
                raise exceptions.ValidationError({"month": [_("Enter a month like 2025-03.")]})
        lists = rankings.month_lists(district, month, today=today)
        return Response(RankingsSerializer({
            "district": {"id": district.pk, "name": district.name},
            "month": f"{month:%Y-%m}",
            "lists": [{
                "kind": kind, "published": lists[kind]["published"] is not None,
                "published_at": lists[kind]["published"].published_at if lists[kind]["published"] else None,
                "preview": lists[kind]["preview"], **lists[kind]["lists"],
            } for kind in rankings.KINDS],
        }).data)


# --- the case ledger ------------------------------------------------------------------------------


class LedgerRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    url = serializers.CharField(help_text="The case page.")
    filed = serializers.DateTimeField()
    compound = serializers.CharField()
    category = serializers.CharField(source="category_key")
    category_label = serializers.CharField(source="category")
    title = serializers.CharField()
    status = serializers.CharField(source="status_key")
    status_label = serializers.CharField(source="status")
    handlers = serializers.ListField(child=serializers.CharField())
    rating = serializers.CharField(source="rating_key", allow_blank=True)


class LedgerSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    has_next = serializers.BooleanField()
    total = serializers.IntegerField(allow_null=True, help_text="Cases filed (rollups); null with a status or department filter.")
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = LedgerRowSerializer(many=True)


class LedgerView(APIView):
    @extend_schema(
        operation_id="dashboard_ledger", summary="The case ledger (台账) of a place, 20 a page, newest first",
        description="Cases filed at the place in [from, to] with the filters. Out of scope: 404; bad input: 400.",
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["district", "street", "community", "compound"]),
            OpenApiParameter("pk", OpenApiTypes.INT, OpenApiParameter.PATH),
            *RANGE_PARAMS,
            OpenApiParameter("category", OpenApiTypes.STR), OpenApiParameter("status", OpenApiTypes.STR),
            OpenApiParameter("department", OpenApiTypes.INT, description="Cases dispatched to this department."),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={200: LedgerSerializer}, tags=["dashboards"],
    )
    def get(self, request: Request, level: str, pk: int) -> Response:
        place = place_or_404(request.user, level, pk)
        period = _period(request.query_params)
        form = ledger.filter_form(request.query_params, ledger.district_id_of(level, place))
        if not form.is_valid():
            raise exceptions.ValidationError(form.param_errors())
        filters = ledger.LedgerFilters.from_form(form)
        number = ledger.page_number(request.query_params.get("page"))
        page = ledger.ledger_page(level, place, period, filters, number)
        params = request.query_params.copy()

        def link(n):
            params["page"] = n
            return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

        for row in page.rows:
            row["url"] = reverse("complaints:detail", args=[row["id"]])
        return Response(LedgerSerializer({
            "page": page.number, "page_size": ledger.PAGE_SIZE, "has_next": page.has_next, "total": page.total,
            "next": link(number + 1) if page.has_next else None,
            "previous": link(number - 1) if page.has_previous else None,
            "results": page.rows,
        }).data)

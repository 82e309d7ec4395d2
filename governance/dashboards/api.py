"""The area dashboard as JSON: GET /api/v1/dashboard/<level>/<pk>/?from=YYYY-MM-DD&to=YYYY-MM-DD.

Same permissions as the page (out of scope → 404), same figures, same fixed number of queries.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import kpis as K
from . import selectors
from .forms import RangeForm
from .permissions import place_or_404


@extend_schema_field({"type": "number", "nullable": True})
class NumberField(serializers.Field):
    """A count stays an integer, a rate a decimal; null where there is no data."""

    def to_representation(self, value):
        return value


class DashboardChangeSerializer(serializers.Serializer):
    value = serializers.FloatField(help_text="Signed change against the same period last year.")
    unit = serializers.CharField(help_text='"%" (relative, for counts), "pt" (points, for rates) or "" (hours, scores).')
    better = serializers.BooleanField(allow_null=True, help_text="Whether the change is an improvement; null for volumes.")


class DashboardKpiFigureSerializer(serializers.Serializer):
    value = NumberField(allow_null=True)
    last_year = NumberField(allow_null=True)
    change = DashboardChangeSerializer(allow_null=True)


class DashboardPlaceSerializer(serializers.Serializer):
    level = serializers.CharField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    households = serializers.IntegerField()


# "from" is a Python keyword: the fields are declared through a dict.
RangeSerializer = type("DashboardRangeSerializer", (serializers.Serializer,), {
    "from": serializers.DateField(help_text="First day of the period."),
    "to": serializers.DateField(help_text="Last day of the period."),
    "last_year_from": serializers.DateField(),
    "last_year_to": serializers.DateField(),
})


_VALUES = serializers.DictField(child=NumberField(allow_null=True), help_text="KPI key → value (null: no data).")


class DashboardChildSerializer(serializers.Serializer):
    level = serializers.CharField(help_text='"street", "community", "compound" or "category" (on a compound).')
    id = serializers.CharField(help_text="The place id, or the category key.")
    name = serializers.CharField()
    households = serializers.IntegerField()
    url = serializers.CharField(allow_null=True, help_text="The page to drill down to.")
    kpis = _VALUES


class DashboardCategorySerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    share = serializers.FloatField(allow_null=True, help_text="% of the place's cases.")
    kpis = _VALUES


class DashboardMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="First day of the month.")
    cases = serializers.IntegerField()
    last_year_cases = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True)
    solved_rate = serializers.FloatField(allow_null=True)
    satisfied_rate = serializers.FloatField(allow_null=True)
    last_year_solved_rate = serializers.FloatField(allow_null=True)
    last_year_satisfied_rate = serializers.FloatField(allow_null=True)


class DashboardDepartmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kpis = serializers.DictField(child=NumberField(allow_null=True), help_text="Handler KPI key → value.")


class DashboardHotspotsSerializer(serializers.Serializer):
    rows = inline_serializer("DashboardHotspot", {
        "id": serializers.IntegerField(), "name": serializers.CharField(), "cases": serializers.IntegerField(),
        "share": serializers.FloatField(allow_null=True),
    }, many=True)
    compounds = serializers.IntegerField()
    top_n = serializers.IntegerField(help_text="Number of compounds in the top 10%.")
    top_share = serializers.FloatField(allow_null=True, help_text="% of the cases the top 10% of compounds produced.")


class AreaDashboardSerializer(serializers.Serializer):
    place = DashboardPlaceSerializer()
    range = RangeSerializer()
    kpis = serializers.DictField(child=DashboardKpiFigureSerializer(), help_text="KPI key → this period, last year, change.")
    definitions = serializers.DictField(child=serializers.CharField(), help_text="KPI key → how it is counted.")
    children = DashboardChildSerializer(many=True)
    categories = DashboardCategorySerializer(many=True)
    monthly = DashboardMonthSerializer(many=True)
    departments = DashboardDepartmentSerializer(many=True)
    hotspots = DashboardHotspotsSerializer()


def _payload(board: selectors.AreaDashboard) -> dict:
    return {
        "place": {"level": board.level, "id": board.place.pk, "name": board.place.name, "households": board.households},
        "range": {
            "from": board.period.start, "to": board.period.end,
            "last_year_from": board.last_period.start, "last_year_to": board.last_period.end,
        },
        "kpis": {row["key"]: {"value": row["value"], "last_year": row["last_year"], "change": row["change"]} for row in board.kpis},
        "definitions": {row["key"]: row["definition"] for row in board.kpis},
        "children": [
            {"level": child["level"], "id": str(child["id"]), "name": child["name"], "households": child["households"],
             "url": child["url"], "kpis": child["values"]}
            for child in board.children
        ],
        "categories": [
            {"key": row["key"], "name": row["name"], "share": row["share"], "kpis": row["values"]} for row in board.categories
        ],
        "monthly": board.monthly,
        "departments": [{"id": row["id"], "name": row["name"], "kpis": row["values"]} for row in board.departments],
        "hotspots": board.hotspots,
    }


class AreaDashboardView(APIView):
    @extend_schema(
        operation_id="dashboard_area",
        summary="An area's KPIs for a date range, against the same period last year",
        description=(
            "Figures of a district, street office, community or compound for the cases filed in [from, to] "
            "(both days included; default: 1 January of this year to today, Asia/Shanghai), with the same "
            "period last year and the change. KPI keys and definitions: "
            + ", ".join(kpi.key for kpi in K.KPIS)
            + ". Out of the user's scope: 404. Bad dates: 400 naming the field."
        ),
        parameters=[
            OpenApiParameter("level", OpenApiTypes.STR, OpenApiParameter.PATH, enum=["district", "street", "community", "compound"]),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD)."),
        ],
        responses={200: AreaDashboardSerializer},
        tags=["dashboards"],
    )
    def get(self, request: Request, level: str, pk: int) -> Response:
        place = place_or_404(request.user, level, pk)
        form = RangeForm.from_params(request.query_params)
        if not form.is_valid():
            raise exceptions.ValidationError(form.param_errors())
        board = selectors.area_dashboard(place, form.period())
        return Response(AreaDashboardSerializer(_payload(board)).data)

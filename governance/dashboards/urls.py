"""The dashboards, mounted at /dashboard/ (namespace "dashboards")."""

from django.urls import path, register_converter

from . import exports, handler_views, views


class LevelConverter:
    """One of the four area levels, so other /dashboard/<word>/<id>/ routes never fall into the area pages."""

    regex = "district|street|community|compound"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LevelConverter, "level")

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard_home, name="home"),
    path("<level:level>/<int:pk>/", views.area, name="area"),
    path("<level:level>/<int:pk>/kpis.xlsx", exports.area_export, name="area-export"),
    # handlers, rankings and the case ledger (handler_views.py)
    path("departments/", handler_views.handler_kpis, {"kind": "department"}, name="departments"),
    path("departments.xlsx", handler_views.handler_kpis_export, {"kind": "department"}, name="departments-export"),
    path("property-companies/", handler_views.handler_kpis, {"kind": "property"}, name="property-companies"),
    path("property-companies.xlsx", handler_views.handler_kpis_export, {"kind": "property"},
         name="property-companies-export"),
    path("rankings/", handler_views.rankings_page, name="rankings"),
    path("rankings.xlsx", handler_views.rankings_export, name="rankings-export"),
    path("<level:level>/<int:pk>/cases/", handler_views.ledger_list, name="ledger"),
    path("<level:level>/<int:pk>/cases.xlsx", handler_views.ledger_export, name="ledger-export"),
]

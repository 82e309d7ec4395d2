"""The dashboards' API, included from config/api_urls.py under /api/v1/."""

from django.urls import path

from . import api, handler_api
from . import urls as _urls  # noqa: F401  (registers the <level:> converter)

urlpatterns = [
    path("dashboard/<level:level>/<int:pk>/", api.AreaDashboardView.as_view(), name="dashboard-area"),
    path("dashboard/departments/", handler_api.DepartmentKpisView.as_view(), name="dashboard-departments"),
    path("dashboard/property-companies/", handler_api.PropertyCompanyKpisView.as_view(), name="dashboard-property-companies"),
    path("dashboard/rankings/", handler_api.RankingsView.as_view(), name="dashboard-rankings"),
    path("dashboard/<level:level>/<int:pk>/cases/", handler_api.LedgerView.as_view(), name="dashboard-ledger"),
]

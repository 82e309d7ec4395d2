from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", include("residents.urls")),
    path("places/", include("governance.urls")),
    path("homes/", include("residents.home_urls")),
    path("roles/", include("governance.role_urls")),
    path("roster/", include("residents.roster_urls")),
    path("cases/staff/", include("complaints.staff_urls")),
    path("cases/", include("complaints.urls")),
    path("surveys/", include("complaints.survey_urls")),
    path("campaigns/", include("complaints.campaign_urls")),
    path("suggestions/", include("complaints.suggestion_urls")),
    path("inbox/", include("core.urls")),
    path("meetings/", include("committees.urls")),
    path("dashboard/", include("governance.dashboards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
# Media is never served by URL: uploaded rosters hold phone and ID numbers. Views that need a file
# read it from storage after a permission check.

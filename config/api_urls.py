from django.urls import include, path

urlpatterns = [
    path("", include("governance.api_urls")),
    path("", include("residents.api_urls")),
    path("", include("complaints.api_urls")),
    path("", include("committees.api_urls")),
    path("", include("governance.dashboards.api_urls")),
]

from django.urls import path

from . import roster_views as views

urlpatterns = [
    path("compounds/<int:pk>/", views.compound_roster, name="roster-compound"),
    path("imports/<int:pk>/", views.import_detail, name="roster-import"),
    path("imports/<int:pk>/progress/", views.import_progress, name="roster-import-progress"),
    path("imports/<int:pk>/apply/", views.import_apply, name="roster-import-apply"),
    path("template.csv", views.template_download, name="roster-template"),
]

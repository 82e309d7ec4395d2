"""Staff pages of revisit campaigns and survey templates, under /campaigns/."""

from django.urls import path

from . import campaign_views as views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("figures/", views.case_figures, name="figures"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/launch/", views.campaign_launch, name="launch"),
    path("<int:pk>/finish/", views.campaign_finish, name="finish"),
    path("<int:pk>/export.xlsx", views.campaign_export, name="export"),
    path("<int:pk>/photos/<int:photo_id>/", views.campaign_photo, name="photo"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_new, name="template-new"),
    path("templates/<int:pk>/", views.template_edit, name="template"),
    path("templates/<int:pk>/questions/", views.question_new, name="question-new"),
    path("questions/<int:pk>/", views.question_edit, name="question"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question-delete"),
    path("questions/<int:pk>/move/", views.question_move, name="question-move"),
]

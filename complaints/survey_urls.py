from django.urls import path

from . import campaign_views, survey_views

app_name = "surveys"

urlpatterns = [
    path("mine/", campaign_views.my_surveys, name="mine"),
    path("<int:pk>/<str:token>/", survey_views.answer, name="answer"),
]

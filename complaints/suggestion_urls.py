from django.urls import path

from . import suggestion_views as views

app_name = "suggestions"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("inbox/", views.inbox, name="inbox"),
    path("compound/<int:compound_id>/", views.published, name="published"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/answer/", views.answer, name="answer"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/unpublish/", views.unpublish, name="unpublish"),
]

from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("new/", views.complaint_new, name="new"),
    path("mine/", views.my_cases, name="mine"),
    path("board/<int:compound_id>/", views.board, name="board"),
    path("<int:pk>/", views.complaint_detail, name="detail"),
    path("<int:pk>/answer/", views.provide_info, name="provide-info"),
    path("<int:pk>/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/comment/", views.comment, name="comment"),
    path("<int:pk>/me-too/", views.me_too, name="me-too"),
    path("<int:pk>/photos/<int:photo_id>/", views.photo, name="photo"),
    path("<int:pk>/photos/<int:photo_id>/thumb/", views.photo, {"thumb": True}, name="photo-thumb"),
]

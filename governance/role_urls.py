from django.urls import path

from . import role_views as views

app_name = "roles"

urlpatterns = [
    path("", views.role_list, name="list"),
    path("assign/", views.role_assign, name="assign"),
    path("assign/scopes/", views.scope_options, name="scope-options"),
    path("<int:pk>/end/", views.role_end, name="end"),
]

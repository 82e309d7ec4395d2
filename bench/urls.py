"""The project's URLs plus the two bare views the HTTP scenarios use as ceilings."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

from . import views

urlpatterns = [
    path("bench/ceiling/read/", views.ceiling_read, name="bench-ceiling-read"),
    path("bench/ceiling/write/", views.ceiling_write, name="bench-ceiling-write"),
    path("bench/ceiling/write-signed-in/", views.ceiling_write_signed_in, name="bench-ceiling-write-signed-in"),
    *project_urlpatterns,
]

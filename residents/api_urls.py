from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import api, roster_api

router = DefaultRouter()
router.register("people", api.PersonViewSet, basename="person")
router.register("ownerships", api.OwnershipViewSet, basename="ownership")
router.register("roster-imports", roster_api.RosterImportViewSet, basename="roster-import")
urlpatterns = [path("auth/token/", obtain_auth_token, name="api-token"), *router.urls]

from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("people", api.PersonViewSet, basename="person")
router.register("ownerships", api.OwnershipViewSet, basename="ownership")
urlpatterns = [path("auth/token/", obtain_auth_token, name="api-token"), *router.urls]

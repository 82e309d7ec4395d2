from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("meetings", api.MeetingViewSet, basename="meeting")
router.register("items", api.ItemViewSet, basename="meeting-item")
router.register("objections", api.ObjectionViewSet, basename="objection")
router.register("actions", api.ActionViewSet, basename="meeting-action")
router.register("petitions", api.PetitionViewSet, basename="petition")
urlpatterns = router.urls

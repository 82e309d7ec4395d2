from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")
router.register("dispatches", api.DispatchViewSet, basename="dispatch")
router.register("notifications", api.NotificationViewSet, basename="notification")
urlpatterns = router.urls

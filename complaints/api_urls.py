from rest_framework.routers import SimpleRouter

from . import api, campaign_api, suggestion_api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="case")
router.register("dispatches", api.DispatchViewSet, basename="dispatch")
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("suggestions", suggestion_api.SuggestionViewSet, basename="suggestion")
router.register("survey-templates", campaign_api.SurveyTemplateViewSet, basename="survey-template")
router.register("campaigns", campaign_api.CampaignViewSet, basename="campaign")
router.register("surveys", campaign_api.SurveyViewSet, basename="survey")
urlpatterns = router.urls

from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("streets", api.StreetViewSet, basename="street")
router.register("communities", api.CommunityViewSet, basename="community")
router.register("grids", api.GridViewSet, basename="grid")
router.register("compounds", api.CompoundViewSet, basename="compound")
router.register("buildings", api.BuildingViewSet, basename="building")
router.register("units", api.UnitViewSet, basename="unit")
router.register("departments", api.DepartmentViewSet, basename="department")
router.register("property-companies", api.PropertyCompanyViewSet, basename="propertycompany")
router.register("role-assignments", api.RoleAssignmentViewSet, basename="roleassignment")
urlpatterns = router.urls

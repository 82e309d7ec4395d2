from django.urls import path

from . import views

urlpatterns = [
    path("", views.place_browser, name="place-browser"),
    path("streets/<int:pk>/", views.street_detail, name="street-detail"),
    path("communities/<int:pk>/", views.community_detail, name="community-detail"),
    path("compounds/<int:pk>/", views.compound_detail, name="compound-detail"),
    path("buildings/<int:pk>/", views.building_detail, name="building-detail"),
]

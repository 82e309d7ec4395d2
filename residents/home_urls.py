from django.urls import path

from . import home_views as views

app_name = "homes"

urlpatterns = [
    path("", views.my_homes, name="list"),
    path("claim/", views.claim, name="claim"),
    path("claim/compounds/", views.claim_compound_options, name="claim-compounds"),
    path("claim/buildings/", views.claim_building_options, name="claim-buildings"),
    path("claim/units/", views.claim_unit_options, name="claim-units"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("verify/", views.verify_queue, name="verify-queue"),
    path("verify/<int:pk>/verify/", views.ownership_verify, name="verify"),
    path("verify/<int:pk>/reject/", views.ownership_reject, name="reject"),
    path("units/<int:pk>/", views.unit_manage, name="unit"),
    path("units/<int:pk>/voter/", views.unit_set_voter, name="set-voter"),
    path("units/<int:pk>/tenants/", views.unit_register_tenant, name="register-tenant"),
    path("tenancies/<int:pk>/end/", views.tenancy_end, name="end-tenancy"),
]

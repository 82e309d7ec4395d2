"""The place browser for staff: street → community → compound → building → units and owners."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from residents.models import Ownership
from residents.selectors import ContactPolicy

from .models import Building, Community, Compound, PartyOrganisation, ServiceContract, Street, Unit
from .permissions import can_manage_place


@login_required
def place_browser(request: HttpRequest) -> HttpResponse:
    """Start at the highest level of the user's scope."""
    user = request.user
    streets = Street.objects.visible_to(user).select_related("district").annotate(n_communities=Count("communities"))
    communities = Community.objects.none()
    compounds = Compound.objects.none()
    if not streets:
        communities = Community.objects.visible_to(user).select_related("street").annotate(n_compounds=Count("compounds"))
        if not communities:
            compounds = _compound_rows(Compound.objects.visible_to(user, as_staff=True))
    return render(
        request,
        "governance/browser.html",
        {"streets": streets, "communities": communities, "compounds": compounds},
    )


def _compound_rows(qs):
    return qs.select_related("community").annotate(n_buildings=Count("buildings", distinct=True)).order_by("name")


@login_required
def street_detail(request: HttpRequest, pk: int) -> HttpResponse:
    street = get_object_or_404(Street.objects.visible_to(request.user).select_related("district"), pk=pk)
    communities = (
        Community.objects.visible_to(request.user)
        .filter(street=street)
        .annotate(n_compounds=Count("compounds", distinct=True), n_grids=Count("grids", distinct=True))
    )
    return render(request, "governance/street.html", {"street": street, "communities": communities})


@login_required
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = get_object_or_404(Community.objects.visible_to(request.user).select_related("street"), pk=pk)
    compounds = _compound_rows(Compound.objects.visible_to(request.user, as_staff=True).filter(community=community))
    q = request.GET.get("q", "").strip()
    if q:
        compounds = compounds.filter(name__icontains=q)
    return render(
        request,
        "governance/community.html",
        {"community": community, "compounds": compounds, "q": q, "grids": community.grids.annotate(n_buildings=Count("buildings"))},
    )


@login_required
def compound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    compound = get_object_or_404(
        Compound.objects.visible_to(user).select_related("community__street"), pk=pk
    )
    buildings = (
        Building.objects.visible_to(user)
        .filter(compound=compound)
        .select_related("grid")
        .annotate(n_units=Count("units", distinct=True))
    )
    contracts = ServiceContract.objects.active().filter(compound=compound).select_related("company")
    party = PartyOrganisation.objects.filter(compound=compound).annotate(
        n_members=Count("memberships", filter=Q(memberships__end__isnull=True))
    )
    staff_view = Compound.objects.visible_to(user, as_staff=True).filter(pk=pk).exists()
    can_manage = staff_view and can_manage_place(user, compound)
    return render(
        request,
        "governance/compound.html",
        {
            "compound": compound,
            "buildings": buildings,
            "contracts": contracts,
            "party_organisations": party,
            "staff_view": staff_view,
            "can_manage": can_manage,
        },
    )


@login_required
def building_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """List the units of a building with their owners; contacts masked unless the viewer verifies them."""
    user = request.user
    building = get_object_or_404(
        Building.objects.visible_to(user, as_staff=True).select_related("compound__community__street", "grid"), pk=pk
    )
    units = Unit.objects.filter(building=building).prefetch_related(
        Prefetch(
            "ownerships",
            queryset=Ownership.objects.current().exclude(status=Ownership.Status.REJECTED).select_related("user"),
        )
    )
    policy = ContactPolicy.for_viewer(user)
    community_ids = {building.compound.community_id}
    rows = [
        {
            "unit": unit,
            "owners": [
                {
                    "ownership": o,
                    "name": o.user.real_name,
                    "phone": policy.phone(o.user, community_ids),
                }
                for o in unit.ownerships.all()
            ],
        }
        for unit in units
    ]
    return render(request, "governance/building.html", {"building": building, "rows": rows})

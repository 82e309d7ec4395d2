from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from governance.models import RoleAssignment

from .models import Ownership, Tenancy
from .selectors import ContactPolicy


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Show each person their own work: their homes, and the scopes of their staff roles."""
    user = request.user
    ownerships = (
        Ownership.objects.current()
        .filter(user=user)
        .exclude(status=Ownership.Status.REJECTED)
        .select_related("unit__building__compound__community")
    )
    tenancies = Tenancy.objects.current().filter(user=user).select_related("unit__building__compound__community")
    roles = (
        RoleAssignment.objects.active()
        .filter(user=user)
        .select_related("district", "street", "community", "grid", "compound", "property_company", "department")
    )
    compounds = {o.unit.building.compound for o in ownerships if o.status == Ownership.Status.VERIFIED}
    compounds |= {t.unit.building.compound for t in tenancies if t.verified_at}
    return render(
        request,
        "residents/home.html",
        {
            "ownerships": ownerships,
            "tenancies": tenancies,
            "roles": roles,
            "my_compounds": sorted(compounds, key=lambda c: c.name),
        },
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    policy = ContactPolicy(user.pk, user.is_superuser, frozenset())
    roles = RoleAssignment.objects.filter(user=user).select_related(
        "district", "street", "community", "grid", "compound", "property_company", "department"
    )
    return render(
        request,
        "residents/profile.html",
        {"phone": policy.phone(user), "id_number": policy.id_number(user), "roles": roles},
    )

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from governance.models import ROLE_SCOPE_FIELD, Building, Compound, RoleAssignment, Unit

from .models import Ownership, Tenancy
from .permissions import managed_ownerships
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
    roles = [(role, scope_url(role)) for role in roles]
    return render(
        request,
        "residents/home.html",
        {
            "ownerships": ownerships,
            "tenancies": tenancies,
            "roles": roles,
            "my_compounds": sorted(compounds, key=lambda c: c.name),
            "scope_figures": _scope_figures(user) if roles else None,
        },
    )


def scope_url(assignment: RoleAssignment) -> str | None:
    """Return the page where a role's work starts: its scope's place page, else the place browser."""
    name = SCOPE_PAGES.get(ROLE_SCOPE_FIELD[assignment.role])
    if name is None:
        return None
    if name == "place-browser":
        return reverse(name)
    return reverse(name, args=[getattr(assignment, f"{ROLE_SCOPE_FIELD[assignment.role]}_id")])


SCOPE_PAGES = {
    "district": "place-browser",
    "street": "street-detail",
    "community": "community-detail",
    "grid": "place-browser",
    "compound": "compound-detail",
    "property_company": "place-browser",
    "department": None,
}


def _scope_figures(user) -> dict[str, int]:
    """Count what is in the user's staff scope and the ownership claims they must verify (four queries)."""
    figures = {
        "compounds": Compound.objects.visible_to(user, as_staff=True).count(),
        "buildings": Building.objects.visible_to(user, as_staff=True).count(),
        "units": Unit.objects.visible_to(user, as_staff=True).count(),
    }
    claims = managed_ownerships(user).filter(status=Ownership.Status.CLAIMED, end__isnull=True)
    figures["pending_claims"] = claims.count()
    return figures


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

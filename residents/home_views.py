"""Homes in the browser: residents claim units; staff verify claims, name voters, record tenants.

Out-of-scope objects answer 404. Writes go through residents.services; their ApplicationErrors
become form errors. Buttons post with htmx and get back the changed card; without JavaScript
they post normally and are redirected back with a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.forms import add_service_error
from governance.models import Building, Unit

from . import services
from .home_forms import (
    OwnershipClaimForm,
    QueueFilterForm,
    RejectForm,
    SetVoterForm,
    TenancyForm,
    compound_search,
)
from .models import Ownership, Tenancy
from .permissions import managed_compounds, managed_ownerships, managed_tenancies, managed_units
from .selectors import ContactPolicy

QUEUE_PAGE_SIZE = 50
PLACE_RELATED = "unit__building__compound__community"


# --- residents -------------------------------------------------------------------------------


@login_required
def my_homes(request: HttpRequest) -> HttpResponse:
    """List the person's claims and ownerships with their status, and their tenancies."""
    ownerships = (
        Ownership.objects.filter(user=request.user).select_related(PLACE_RELATED).order_by("-created_at", "-id")
    )
    tenancies = Tenancy.objects.filter(user=request.user).select_related(PLACE_RELATED).order_by("-start", "-id")
    return render(request, "residents/homes/my_homes.html", {"ownerships": ownerships, "tenancies": tenancies})


@login_required
def claim(request: HttpRequest) -> HttpResponse:
    """Claim a unit: search the compound, pick building and unit, give the certificate number."""
    if request.method == "POST" and request.POST.get("step") in {"search", "next"}:
        # The no-JavaScript path: "Search" / "Next" narrow the lists without showing errors.
        form = OwnershipClaimForm(initial=request.POST.dict())
    elif request.method == "POST":
        form = OwnershipClaimForm(request.POST)
        if form.is_valid():
            try:
                services.ownership_claim(
                    user=request.user, unit=form.cleaned_data["unit"], evidence=form.cleaned_data["evidence"],
                    actor=request.user,
                )
            except ApplicationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Your claim is sent. The community office will check it soon."))
                return redirect("homes:list")
    else:
        form = OwnershipClaimForm(initial=request.GET.dict())
    return render(request, "residents/homes/claim.html", {"form": form})


@login_required
@require_GET
def claim_compound_options(request: HttpRequest) -> HttpResponse:
    """Return <option>s of compounds matching ?q= (htmx partial)."""
    compounds = compound_search(request.GET.get("q", ""))[:20]
    options = [(c.pk, f"{c.name}（{c.community.name}）") for c in compounds]
    return render(
        request, "residents/homes/_options.html",
        {"options": options, "empty_label": _("Choose your compound") if options else _("No compound found"),
         "reset": [("id_building", _("Choose your building")), ("id_unit", _("Choose your unit"))]},
    )


@login_required
@require_GET
def claim_building_options(request: HttpRequest) -> HttpResponse:
    """Return <option>s of the buildings of ?compound= (htmx partial)."""
    compound_id = request.GET.get("compound", "")
    buildings = Building.objects.filter(compound_id=compound_id).order_by("name") if compound_id.isdigit() else []
    return render(
        request, "residents/homes/_options.html",
        {"options": [(b.pk, b.name) for b in buildings], "empty_label": _("Choose your building"),
         "reset": [("id_unit", _("Choose your unit"))]},
    )


@login_required
@require_GET
def claim_unit_options(request: HttpRequest) -> HttpResponse:
    """Return <option>s of the units of ?building= (htmx partial)."""
    building_id = request.GET.get("building", "")
    units = Unit.objects.filter(building_id=building_id).order_by("entrance", "number") if building_id.isdigit() else []
    return render(
        request, "residents/homes/_options.html",
        {"options": [(u.pk, u.label) for u in units], "empty_label": _("Choose your unit"), "reset": []},
    )


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw one's own claim that is still awaiting verification."""
    ownership = get_object_or_404(Ownership, pk=pk, user=request.user, status=Ownership.Status.CLAIMED, end__isnull=True)
    try:
        services.ownership_end(ownership=ownership, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your claim is withdrawn."))
    return redirect("homes:list")


# --- staff: verification queue -----------------------------------------------------------------


def _claim_card(ownership: Ownership, policy: ContactPolicy, reject_form: RejectForm | None = None) -> dict:
    community_ids = {ownership.unit.building.compound.community_id}
    return {
        "ownership": ownership,
        "phone": policy.phone(ownership.user, community_ids),
        "id_number": policy.id_number(ownership.user, community_ids),
        "reject_form": reject_form or RejectForm(prefix=f"o{ownership.pk}"),
        "can_decide": ownership.status == Ownership.Status.CLAIMED and ownership.end is None,
    }


@login_required
def verify_queue(request: HttpRequest) -> HttpResponse:
    """List claims in the compounds the user manages, 50 a page; a constant number of queries."""
    user = request.user
    compounds = managed_compounds(user).select_related("community").order_by("name")
    filters = QueueFilterForm(request.GET or None, compounds=compounds)
    status = Ownership.Status.CLAIMED
    qs = managed_ownerships(user).select_related(PLACE_RELATED, "user", "verified_by")
    if filters.is_bound and filters.is_valid():
        if filters.cleaned_data["compound"]:
            qs = qs.filter(unit__building__compound=filters.cleaned_data["compound"])
        status = filters.cleaned_data["status"] or status
    if status != QueueFilterForm.STATUS_ALL:
        qs = qs.filter(status=status)
    qs = qs.order_by("created_at", "id")
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    policy = ContactPolicy.for_viewer(user)
    cards = [_claim_card(o, policy) for o in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "residents/homes/verify_queue.html",
        {"filters": filters, "page": page, "cards": cards, "status": status, "query": query.urlencode()},
    )


def _after_decision(request: HttpRequest, ownership: Ownership, reject_form: RejectForm | None = None) -> HttpResponse:
    if request.htmx:
        ownership = managed_ownerships(request.user).select_related(PLACE_RELATED, "user", "verified_by").get(pk=ownership.pk)
        card = _claim_card(ownership, ContactPolicy.for_viewer(request.user), reject_form)
        return render(request, "residents/homes/_claim_card.html", {"card": card})
    if reject_form is not None:
        for errors in reject_form.errors.values():
            for error in errors:
                messages.error(request, error)
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("homes:verify-queue")


@login_required
@require_POST
def ownership_verify(request: HttpRequest, pk: int) -> HttpResponse:
    ownership = get_object_or_404(managed_ownerships(request.user), pk=pk)
    try:
        services.ownership_verify(ownership=ownership, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Verified: %(name)s now has the rights of an owner.") % {"name": ownership.user.real_name})
    return _after_decision(request, ownership)


@login_required
@require_POST
def ownership_reject(request: HttpRequest, pk: int) -> HttpResponse:
    ownership = get_object_or_404(managed_ownerships(request.user), pk=pk)
    form = RejectForm(request.POST, prefix=f"o{pk}")
    if form.is_valid():
        try:
            services.ownership_reject(ownership=ownership, reason=form.cleaned_data["reason"], actor=request.user)
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The claim is rejected and the resident can read your reason."))
            return _after_decision(request, ownership)
    return _after_decision(request, ownership, reject_form=form)


# --- staff: one unit's owners, voter and tenants ---------------------------------------------------


def _unit_for_manager(request: HttpRequest, pk: int) -> Unit:
    return get_object_or_404(managed_units(request.user).select_related("building__compound__community"), pk=pk)


def _unit_owners(unit: Unit):
    return Ownership.objects.current().verified().filter(unit=unit).select_related("user").order_by("verified_at", "pk")


def _render_unit(request: HttpRequest, unit: Unit, *, voter_form=None, tenancy_form=None, status=200) -> HttpResponse:
    owners = _unit_owners(unit)
    policy = ContactPolicy.for_viewer(request.user)
    community_ids = {unit.building.compound.community_id}
    claims = Ownership.objects.filter(unit=unit, status=Ownership.Status.CLAIMED, end__isnull=True).select_related("user")
    tenancies = Tenancy.objects.current().filter(unit=unit).select_related("user")
    owner_rows = [
        {"ownership": o, "phone": policy.phone(o.user, community_ids), "id_number": policy.id_number(o.user, community_ids)}
        for o in owners
    ]
    tenant_rows = [{"tenancy": t, "phone": policy.phone(t.user, community_ids)} for t in tenancies]
    voter = next((o for o in owners if o.is_voter), None)
    return render(
        request, "residents/homes/unit.html",
        {
            "unit": unit,
            "owner_rows": owner_rows,
            "claims": claims,
            "tenant_rows": tenant_rows,
            "voter_form": voter_form or SetVoterForm(owners=owners, initial={"ownership": voter}),
            "show_voter_form": len(owner_rows) > 1,
            "tenancy_form": tenancy_form or TenancyForm(),
        },
        status=status,
    )


@login_required
def unit_manage(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a unit's verified owners (voter marked), open claims and tenants, for its managers."""
    return _render_unit(request, _unit_for_manager(request, pk))


@login_required
@require_POST
def unit_set_voter(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit_for_manager(request, pk)
    form = SetVoterForm(request.POST, owners=_unit_owners(unit))
    if form.is_valid():
        try:
            services.ownership_set_voter(unit=unit, ownership=form.cleaned_data["ownership"], actor=request.user)
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The designated voter is changed."))
            return redirect("homes:unit", pk=unit.pk)
    return _render_unit(request, unit, voter_form=form)


@login_required
@require_POST
def unit_register_tenant(request: HttpRequest, pk: int) -> HttpResponse:
    unit = _unit_for_manager(request, pk)
    form = TenancyForm(request.POST)
    if form.is_valid():
        try:
            services.tenancy_register(
                user=form.cleaned_data["phone"], unit=unit, start=form.cleaned_data["start"],
                end=form.cleaned_data["end"], actor=request.user,
            )
        except ApplicationError as error:
            if error.field == "user":
                error.field = "phone"
            add_service_error(form, error)
        else:
            messages.success(request, _("The tenant is registered."))
            return redirect("homes:unit", pk=unit.pk)
    return _render_unit(request, unit, tenancy_form=form)


@login_required
@require_POST
def tenancy_end(request: HttpRequest, pk: int) -> HttpResponse:
    tenancy = get_object_or_404(managed_tenancies(request.user).select_related("unit"), pk=pk)
    try:
        services.tenancy_end(tenancy=tenancy, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The tenancy is ended."))
    return redirect("homes:unit", pk=tenancy.unit_id)


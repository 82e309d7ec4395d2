"""Owners' petitions for an assembly (20% of the owners trigger it)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Exists,
    OuterRef,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.forms import add_service_error
from governance.models import Compound
from residents.models import Ownership

from .. import permissions, services
from ..followup_forms import (
    PetitionForm,
)
from ..models import (
    AssemblyPetition,
    PetitionSignature,
)
from ..services.followup import PETITION_SHARE

PETITIONS_PAGE_SIZE = 20

PETITION_BADGES = {
    AssemblyPetition.Status.OPEN: "text-bg-primary",
    AssemblyPetition.Status.TRIGGERED: "text-bg-success",
    AssemblyPetition.Status.CONVENED: "text-bg-secondary",
}


def _needed(owners_total: int) -> int:
    """Return how many owners make 20% of `owners_total` (rounded up)."""
    share_num, share_den = PETITION_SHARE
    return -(-owners_total * share_num // share_den)


def _progress(petition: AssemblyPetition) -> None:
    petition.signed = petition.owners_signed  # counted by the service, the same count that triggers the petition
    petition.needed = _needed(petition.owners_total)
    petition.percent = min(100, (100 * petition.signed // petition.needed)) if petition.needed else 0
    petition.badge = PETITION_BADGES.get(petition.status, "text-bg-secondary")


def _owner_compounds(user):
    homes = Ownership.objects.current().verified().filter(user_id=user.pk).values("unit__building__compound_id")
    return Compound.objects.filter(id__in=homes).order_by("name")


@login_required
def petition_list(request: HttpRequest) -> HttpResponse:
    """The petitions of the compounds the user sees, with progress toward 20% of the owners (constant queries)."""
    user = request.user
    petitions = (
        AssemblyPetition.objects.filter(compound__in=Compound.objects.visible_to(user).values("id"))
        .select_related("compound", "meeting")
        .annotate(signed_by_me=Exists(PetitionSignature.objects.filter(petition_id=OuterRef("pk"), user_id=user.pk)))
        .order_by("-created_at", "-id")
    )
    page = Paginator(petitions, PETITIONS_PAGE_SIZE).get_page(request.GET.get("page"))
    for petition in page.object_list:
        _progress(petition)
    return render(request, "committees/petition_list.html",
                  {"page": page, "query": "", "can_start": _owner_compounds(user).exists()})


@login_required
def petition_new(request: HttpRequest) -> HttpResponse:
    """A verified owner asks for an owners' assembly of one of their homes' compounds, and signs first."""
    compounds = _owner_compounds(request.user)
    if not compounds.exists():
        raise PermissionDenied
    form = PetitionForm(request.POST or None, compounds=compounds)
    if request.method == "GET" and compounds.count() == 1:
        form.initial["compound"] = compounds.first().pk
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            petition = services.petition_start(compound=data["compound"], actor=request.user, title=data["title"],
                                               reason=data["reason"])
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Your petition is started and signed by you. Ask your neighbours to sign."))
            return redirect("committees:petition", pk=petition.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "committees/petition_new.html", {"form": form}, status=status)


def _petition(request: HttpRequest, pk: int) -> AssemblyPetition:
    return get_object_or_404(
        AssemblyPetition.objects.filter(compound__in=Compound.objects.visible_to(request.user).values("id"))
        .select_related("compound", "meeting", "created_by"),
        pk=pk,
    )


@login_required
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A petition: progress toward 20% of the owners, status, and the sign button for owners who have not signed."""
    petition = _petition(request, pk)
    _progress(petition)
    user = request.user
    signed_by_me = PetitionSignature.objects.filter(petition=petition, user_id=user.pk).exists()
    is_owner = Ownership.objects.current().verified().filter(
        user_id=user.pk, unit__building__compound_id=petition.compound_id).exists()
    context = {
        "petition": petition,
        "signed_by_me": signed_by_me,
        "can_sign": is_owner and not signed_by_me and petition.status != AssemblyPetition.Status.CONVENED,
        "may_convene": petition.status == AssemblyPetition.Status.TRIGGERED
        and permissions.can_convene(user, petition.compound),
    }
    return render(request, "committees/petition_detail.html", context)


@login_required
def petition_sign(request: HttpRequest, pk: int) -> HttpResponse:
    petition = _petition(request, pk)
    if request.method != "POST":
        return redirect("committees:petition", pk=petition.pk)
    was_open = petition.status == AssemblyPetition.Status.OPEN
    try:
        petition = services.petition_sign(petition=petition, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        if was_open and petition.status == AssemblyPetition.Status.TRIGGERED:
            messages.success(request, _("Thank you for signing. Enough owners have signed: the assembly must now be "
                                        "convened. The committee and the community are told."))
        else:
            messages.success(request, _("Thank you for signing."))
    return redirect("committees:petition", pk=petition.pk)



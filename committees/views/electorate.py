"""The posted electorate (公示): electors, homes without a verified owner, objections and logged corrections."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Q,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.forms import add_service_error, page_query

from .. import permissions, selectors, services
from ..followup_forms import (
    CorrectionForm,
    ObjectionAnswerForm,
    ObjectionForm,
)
from ..models import (
    Elector,
    ElectorateCorrection,
    ElectorateObjection,
    ElectorateUnit,
    Meeting,
)
from ..services.electorate import meeting_units
from .common import get_meeting, unit_choices

ELECTORATE_PAGE_SIZE = 50

UNOWNED_SHOWN = 200


@login_required
def electorate(request: HttpRequest, pk: int) -> HttpResponse:
    """The posted electorate: electors page by page, totals, homes with no verified owner, objections, corrections.

    Costs the same number of queries whatever the size of the electorate (a page holds 50 electors).
    """
    meeting = get_meeting(request, pk)
    user = request.user
    manager = permissions.can_manage_meeting(user, meeting)
    q = request.GET.get("q", "").strip()
    electors = Elector.objects.filter(meeting=meeting).order_by("-is_developer", "units_label", "id")
    if q:
        electors = electors.filter(Q(units_label__icontains=q) | Q(label__icontains=q))
    page = Paginator(electors, ELECTORATE_PAGE_SIZE).get_page(request.GET.get("page"))
    has_units = meeting.kind != Meeting.Kind.COMMITTEE and meeting.status != Meeting.Status.DRAFT
    unowned, unowned_count = [], 0
    if has_units:
        unowned_qs = (
            meeting_units(meeting)
            .exclude(pk__in=ElectorateUnit.objects.filter(meeting=meeting).values("unit_id"))
            .select_related("building").order_by("building__name", "entrance", "number")
        )
        unowned = list(unowned_qs[:UNOWNED_SHOWN])
        unowned_count = len(unowned) if len(unowned) < UNOWNED_SHOWN else unowned_qs.count()
    objections = ElectorateObjection.objects.filter(meeting=meeting).select_related("unit__building", "resolved_by")
    if not manager:
        objections = objections.filter(raised_by_id=user.pk)
    corrections = ElectorateCorrection.objects.filter(meeting=meeting).select_related("unit__building", "made_by")
    context = {
        "meeting": meeting,
        "page": page,
        "query": page_query(request),
        "q": q,
        "total": selectors.electorate_total(meeting),
        "taken": meeting.status != Meeting.Status.DRAFT,
        "has_units": has_units,
        "unowned": unowned,
        "unowned_count": unowned_count,
        "unowned_more": max(unowned_count - len(unowned), 0),
        "objections": list(objections),
        "corrections": list(corrections),
        "is_manager": manager,
        "can_object": permissions.can_object(user, meeting),
        "can_correct": manager and _before_voting(meeting),
    }
    return render(request, "committees/electorate.html", context)


def _before_voting(meeting: Meeting) -> bool:
    return meeting.status == Meeting.Status.NOTICED and meeting.has_vote and timezone.now() < meeting.vote_opens_at


@login_required
def objection_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A resident says what is wrong in the posted list (until voting opens)."""
    meeting = get_meeting(request, pk)
    if not permissions.can_object(request.user, meeting):
        raise PermissionDenied
    units = unit_choices(meeting)
    initial = {}
    wanted = request.GET.get("unit", "")
    if wanted.isdigit():
        initial["unit"] = int(wanted)
    form = ObjectionForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.objection_raise(meeting=meeting, actor=request.user, text=form.cleaned_data["text"],
                                     unit=form.cleaned_data["unit"])
        except ApplicationError as error:
            if error.code in ("conflict", "forbidden"):
                messages.error(request, error.message)
                return redirect("committees:electorate", pk=meeting.pk)
            add_service_error(form, error)
        else:
            messages.success(request, _("Your objection is sent. The conveners will answer before voting opens."))
            return redirect("committees:electorate", pk=meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "committees/electorate_objection.html", {"meeting": meeting, "form": form}, status=status)


@login_required
def objection_answer(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    """A convener accepts or rejects an objection; an accepted one may correct the list at once (logged)."""
    meeting = get_meeting(request, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied
    objection = get_object_or_404(
        ElectorateObjection.objects.select_related("unit__building", "raised_by"), meeting=meeting, pk=objection_pk
    )
    units = unit_choices(meeting)
    form = ObjectionAnswerForm(request.POST or None, units=units, initial={"unit": objection.unit_id})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        accept = data["decision"] == "accept"
        try:
            # The answer and its correction stand or fall together.
            with transaction.atomic():
                if accept and form.wants_correction():
                    services.electorate_correct(
                        meeting=meeting, actor=request.user, unit=data["unit"], reason=data["response"][:200],
                        area_m2=data["area_m2"], resync_owner=data["resync_owner"], objection=objection,
                    )
                services.objection_answer(objection=objection, actor=request.user, accept=accept,
                                          response=data["response"])
        except ApplicationError as error:
            if error.code in ("conflict", "forbidden"):
                messages.error(request, error.message)
                return redirect("committees:electorate", pk=meeting.pk)
            if error.field == "reason":
                error.field = "response"
            add_service_error(form, error)
        else:
            messages.success(request, _("The objection is answered."))
            return redirect("committees:electorate", pk=meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "committees/electorate_answer.html",
        {"meeting": meeting, "objection": objection, "form": form,
         "can_answer": objection.status == ElectorateObjection.Status.OPEN,
         "can_correct": _before_voting(meeting)},
        status=status,
    )


@login_required
def electorate_correct(request: HttpRequest, pk: int) -> HttpResponse:
    """A convener corrects one unit of the list (area, or the owner re-read), before voting opens."""
    meeting = get_meeting(request, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied
    form = CorrectionForm(request.POST or None, units=unit_choices(meeting))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.electorate_correct(
                meeting=meeting, actor=request.user, unit=data["unit"], reason=data["reason"], area_m2=data["area_m2"],
                resync_owner=data["resync_owner"],
            )
        except ApplicationError as error:
            if error.code in ("conflict", "forbidden"):
                messages.error(request, error.message)
                return redirect("committees:electorate", pk=meeting.pk)
            add_service_error(form, error)
        else:
            messages.success(request, _("The list is corrected. The change is logged."))
            return redirect("committees:electorate", pk=meeting.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "committees/electorate_correct.html",
                  {"meeting": meeting, "form": form, "can_correct": _before_voting(meeting)}, status=status)

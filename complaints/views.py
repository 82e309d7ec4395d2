"""The resident-facing case pages: report a case, my cases, the case page with its timeline, the public board.

Views parse, authorize (out of scope → 404), call one service and render. Service errors become form
errors; a stale page (someone acted first) gets the conflict message and a fresh page.
"""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import add_service_error, page_query
from governance.models import Compound

from . import permissions, selectors, services, staff_actions, suggestions
from .forms import CaseFilterForm, CommentForm, ComplaintFileForm, ConfirmForm, ProvideInfoForm
from .models import OPEN_STATUSES, Attachment, Complaint, Follower, PlaceKind, Source, Status
from .photos import process_photos

STATUS_BADGES = {
    Status.SUBMITTED: "text-bg-warning",
    Status.NEEDS_INFO: "text-bg-info",
    Status.ACCEPTED: "text-bg-primary",
    Status.HANDLING: "text-bg-primary",
    Status.RESOLVED: "text-bg-info",
    Status.AWAITING_CONFIRMATION: "text-bg-info",
    Status.PARKED: "text-bg-secondary",
    Status.CLOSED: "text-bg-success",
    Status.CLOSED_UNCONFIRMED: "text-bg-secondary",
    Status.REJECTED: "text-bg-dark",
    Status.MERGED: "text-bg-secondary",
}
COMPOUND_CHOICES_SHOWN = 50


# --- report a case ---------------------------------------------------------------------------------


def _chosen_compound(request: HttpRequest, user, home_units) -> Compound | None:
    """Return the compound the form is for: the one posted or asked for, else the user's only home's.

    A home is always one of the compounds the user may report in: choosing it costs no query.
    """
    if request.method == "GET" and request.GET.get("choose"):
        return None
    homes = {u.building.compound_id: u.building.compound for u in home_units}
    wanted = request.POST.get("compound") or request.GET.get("compound")
    if wanted:
        if not str(wanted).isdigit():
            raise Http404
        if int(wanted) in homes:
            return homes[int(wanted)]
        return get_object_or_404(permissions.compounds_user_may_report_in(user), pk=wanted)
    if len(homes) == 1:
        return next(iter(homes.values()))
    first_two = list(permissions.compounds_user_may_report_in(user).order_by("name")[:2])
    return first_two[0] if len(first_two) == 1 else None


@login_required
def complaint_new(request: HttpRequest) -> HttpResponse:
    """“我要报事”: choose the compound (when there is a choice), then say what, where, how urgent, with photos.

    A resident posting for their own home costs no scope query beyond their homes (see ComplaintFileForm).
    """
    user = request.user
    home_units = list(selectors.user_home_units(user).select_related("building__compound"))
    compound = _chosen_compound(request, user, home_units)
    if compound is None:
        compounds = permissions.compounds_user_may_report_in(user).order_by("name")
        q = request.GET.get("q", "").strip()
        shown = compounds.filter(name__icontains=q) if q else compounds
        homes = {u.building.compound for u in home_units}
        return render(
            request, "complaints/choose_compound.html",
            {"homes": sorted(homes, key=lambda c: c.name), "compounds": shown[:COMPOUND_CHOICES_SHOWN], "q": q},
        )
    form = ComplaintFileForm(
        request.POST or None, request.FILES or None, user=user, compound=compound, home_units=home_units,
        compounds=lambda: permissions.compounds_user_may_report_in(user).order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = data.get("source") or Source.RESIDENT
        place_kind = data["place_kind"]
        try:
            photos = process_photos(data["photos"])
            complaint = services.complaint_file(
                actor=user, compound=data["compound"], category=data["category"], urgency=data["urgency"],
                title=data["title"], description=data["description"], place_kind=place_kind,
                building=data.get("building") if place_kind == PlaceKind.BUILDING else None,
                unit=data.get("unit") if place_kind == PlaceKind.UNIT else None,
                place_note=data.get("place_note", ""), hide_name=data["hide_name"], photos=photos,
                on_behalf_of=data.get("on_behalf_phone") if source == Source.ON_BEHALF else None,
                source=source if source in (Source.GRID_PATROL, Source.PROPERTY, Source.PARTY_POST) else None,
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Your case is reported. Its number is %(number)s. The community will look at it soon.")
                % {"number": complaint.number},
            )
            return redirect("complaints:detail", pk=complaint.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "complaints/new.html",
        {"form": form, "compound": compound,
         "may_change_compound": permissions.compounds_user_may_report_in(user).exclude(pk=compound.pk).exists()},
        status=status,
    )


# --- lists ---------------------------------------------------------------------------------------


@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    """The cases I reported or follow, newest first, 20 a page (four queries, whatever the page holds)."""
    filters = CaseFilterForm(request.GET or None)
    status = category = ""
    if filters.is_valid():
        status, category = filters.cleaned_data["status"], filters.cleaned_data["category"]
    page = Paginator(selectors.my_cases(request.user, status=status, category=category), selectors.MY_CASES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    late = selectors.overdue_ids(page.object_list)
    for case in page.object_list:
        case.is_overdue = case.pk in late
        case.badge = STATUS_BADGES.get(case.status, "text-bg-secondary")
    return render(
        request, "complaints/mine.html",
        {"page": page, "filters": filters, "query": page_query(request),
         "home_compounds": selectors.home_compounds(request.user)},
    )


@login_required
def board(request: HttpRequest, compound_id: int) -> HttpResponse:
    """A compound's open cases with no personal data: what is already reported, and “我也遇到”."""
    compound = get_object_or_404(Compound.objects.visible_to(request.user), pk=compound_id)
    page = Paginator(selectors.board_cases(request.user, compound), selectors.BOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for case in page.object_list:
        case.badge = STATUS_BADGES.get(case.status, "text-bg-secondary")
    return render(
        request, "complaints/board.html",
        {"compound": compound, "page": page, "query": "", "may_report": True,
         "may_join": permissions.lives_in(request.user, compound),
         "suggestions": suggestions.board_suggestions(compound)},
    )


# --- the case page -------------------------------------------------------------------------------


def _get_case(request: HttpRequest, pk: int) -> Complaint:
    try:
        return selectors.case_for_page(request.user, pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


def _render_detail(
    request: HttpRequest, complaint: Complaint, *, info_form=None, confirm_form=None, comment_form=None, status=200
) -> HttpResponse:
    user = request.user
    staff = selectors.is_case_staff(user, complaint)
    now = timezone.now()
    timeline = selectors.case_timeline(complaint, staff=staff)
    names = selectors.NamePolicy(user, complaint, staff=staff, resident_ids=selectors.resident_ids(complaint))
    for event in timeline:
        event.actor_name = names.actor_name(event.actor)
        event.label = selectors.EVENT_LABELS.get(event.kind, event.kind)
        event.handler = (event.data or {}).get("handler", "")
        event.photos = list(event.attachments.all())
    case_photos = [p for event in timeline if event.kind == "filed" for p in event.photos]
    is_reporter = complaint.reporter_id == user.pk
    following = is_reporter or Follower.objects.filter(complaint=complaint, user_id=user.pk).exists()
    is_open = complaint.status in OPEN_STATUSES
    can_me_too = is_open and not following and permissions.can_join_case(user, complaint)
    version = {"version": complaint.version}
    context = {
        "complaint": complaint,
        "badge": STATUS_BADGES.get(complaint.status, "text-bg-secondary"),
        "is_staff_view": staff,
        "is_reporter": is_reporter,
        "reporter_name": names.reporter_name(),
        "filed_by_name": names.actor_name(complaint.filed_by) if complaint.filed_by_id != complaint.reporter_id else "",
        "show_unit": staff or is_reporter,
        "deadlines": selectors.case_deadlines(complaint, now),
        "dispatches": selectors.case_dispatches(complaint, now),
        "escalations": selectors.case_escalations(complaint),
        "timeline": timeline,
        "case_photos": case_photos,
        "can_provide_info": is_reporter and complaint.status == Status.NEEDS_INFO,
        "can_confirm": is_reporter and complaint.status == Status.AWAITING_CONFIRMATION,
        "can_me_too": can_me_too,
        "can_comment": (staff or following) and complaint.status != Status.MERGED,
        "info_form": info_form or ProvideInfoForm(initial=version),
        "confirm_form": confirm_form or ConfirmForm(initial=version),
        "comment_form": comment_form or CommentForm(staff=staff),
    }
    # The staff panel's context (built by staff_actions) comes first: the page's own names win a clash.
    context = {**staff_actions.panel_context(user, complaint), **context}
    return render(request, "complaints/detail.html", context, status=status)


@login_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page: summary, deadlines, photos, the staff panel, dispatches, escalations, the timeline."""
    return _render_detail(request, _get_case(request, pk))


def _act(request: HttpRequest, complaint: Complaint, form, attempt, *, form_name: str, done: str) -> HttpResponse:
    """Run one service from a posted form; field errors re-render the page, conflicts reload it with a message."""
    if form.is_valid():
        try:
            attempt(form.cleaned_data)
        except ApplicationError as error:
            if error.code in ("conflict", "forbidden") or error.field not in form.fields:
                messages.error(request, error.message)
                return redirect("complaints:detail", pk=complaint.pk)
            add_service_error(form, error)
        else:
            messages.success(request, done)
            return redirect("complaints:detail", pk=complaint.pk)
    return _render_detail(request, complaint, status=400, **{form_name: form})


@login_required
@require_POST
def provide_info(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _get_case(request, pk)

    def attempt(data):
        services.complaint_provide_info(
            complaint=complaint, actor=request.user, answer=data["answer"], photos=process_photos(data["photos"]),
            version=data["version"],
        )

    form = ProvideInfoForm(request.POST, request.FILES)
    return _act(request, complaint, form, attempt, form_name="info_form", done=_("Thank you. Your answer is sent."))


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _get_case(request, pk)

    def attempt(data):
        services.complaint_confirm(
            complaint=complaint, actor=request.user, answer=data["answer"], rating=data["rating"],
            comment=data["comment"], version=data["version"],
        )

    form = ConfirmForm(request.POST)
    return _act(request, complaint, form, attempt, form_name="confirm_form", done=_("Thank you for your answer."))


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _get_case(request, pk)
    staff = selectors.is_case_staff(request.user, complaint)

    def attempt(data):
        services.complaint_comment(
            complaint=complaint, actor=request.user, text=data["text"], internal=data.get("internal", False),
            photos=process_photos(data["photos"]),
        )

    form = CommentForm(request.POST, request.FILES, staff=staff)
    return _act(request, complaint, form, attempt, form_name="comment_form", done=_("Your comment is added."))


@login_required
@require_POST
def me_too(request: HttpRequest, pk: int) -> HttpResponse:
    """“我也遇到”: a neighbour of the same compound joins a case and follows it."""
    complaint = get_object_or_404(
        Complaint.objects.filter(compound__in=Compound.objects.visible_to(request.user)), pk=pk
    )
    try:
        services.complaint_me_too(complaint=complaint, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Noted: you have the same problem. You will be told how case %(number)s goes.")
            % {"number": complaint.number},
        )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(reverse("complaints:board", args=[complaint.compound_id]))


@login_required
def photo(request: HttpRequest, pk: int, photo_id: int, thumb: bool = False) -> FileResponse:
    """Stream a case photo after the permission check: media is never served by URL."""
    complaint = _get_case(request, pk)
    attachment = get_object_or_404(Attachment.objects.select_related("event"), pk=photo_id, complaint=complaint)
    if attachment.event is not None and attachment.event.internal and not selectors.is_case_staff(request.user, complaint):
        raise Http404
    file = attachment.thumbnail if thumb else attachment.image
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

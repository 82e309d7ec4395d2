"""The staff side of the workflow in the browser: one POST view per action, and the queues.

Every action view fetches its object in the user's scope (404 otherwise), reads the case version
from a hidden field, calls ONE service and redirects back to the case with a message. Queues are
50 a page with a constant number of queries; their countdowns are computed here, not in templates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from governance.models import Compound, Role, Street

from . import permissions, services
from .models import (
    OPEN_DISPATCH_STATUSES,
    OPEN_STATUSES,
    Complaint,
    Dispatch,
    DispatchStatus,
    Escalation,
    HandlerKind,
    Status,
)
from .photos import process_photos
from .staff_actions import PREFIX, countdown, dispatch_prefix, district_departments, merge_candidates
from .staff_forms import (
    OPEN_DISPATCH_CHOICES,
    TRIAGE_STATUSES,
    AcceptForm,
    DispatchForm,
    ExtensionDecisionForm,
    ExtensionForm,
    MergeForm,
    ParkForm,
    QueueFilterForm,
    RateForm,
    RecategorizeForm,
    RejectForm,
    RequestInfoForm,
    ResolveForm,
    ReturnForm,
    VerifyForm,
    VersionForm,
)

PAGE_SIZE = 20


# --- helpers -------------------------------------------------------------------------------------


def _back(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """Go back to the page the form was on (a queue), else to the case."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("complaints:detail", pk=complaint_id)


def _show_error(request: HttpRequest, error: ApplicationError) -> None:
    message = error.message
    if error.code == "conflict":
        message = f"{message} {_('Refresh the page and try again.')}"
    messages.error(request, message)


def _show_form_errors(request: HttpRequest, form: forms.Form) -> None:
    for name, errors in form.errors.items():
        for error in errors:
            if name == "version":
                messages.error(request, _("The page is out of date. Refresh the page and try again."))
            else:
                messages.error(request, error)


def _act(request: HttpRequest, complaint_id: int, form: forms.Form, call: Callable[[dict], object], success: str):
    """Validate the form, call the service with its data, show the outcome, redirect back."""
    if not form.is_valid():
        _show_form_errors(request, form)
        return _back(request, complaint_id)
    try:
        call(form.cleaned_data)
    except ApplicationError as error:
        _show_error(request, error)
    else:
        messages.success(request, success)
    return _back(request, complaint_id)


def _case(request: HttpRequest, pk: int) -> Complaint:
    return get_object_or_404(Complaint.objects.visible_to(request.user), pk=pk)


def _handled(request: HttpRequest, pk: int) -> Dispatch:
    return get_object_or_404(permissions.handled_dispatches(request.user), pk=pk)


def _visible_dispatch(request: HttpRequest, pk: int) -> Dispatch:
    return get_object_or_404(
        Dispatch.objects.filter(complaint__in=Complaint.objects.visible_to(request.user)).select_related("complaint"),
        pk=pk,
    )


# --- case managers: triage, dispatch, verification ------------------------------------------------


@login_required
@require_POST
def case_accept(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _case(request, pk)
    form = AcceptForm(request.POST, prefix=PREFIX["accept"])
    return _act(
        request, pk, form,
        lambda d: services.complaint_accept(
            complaint=complaint, actor=request.user, version=d["version"], category=d["category"], urgency=d["urgency"]
        ),
        _("Case accepted. Now decide who handles it."),
    )


@login_required
@require_POST
def case_reject(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _case(request, pk)
    form = RejectForm(request.POST, prefix=PREFIX["reject"])
    return _act(
        request, pk, form,
        lambda d: services.complaint_reject(complaint=complaint, actor=request.user, version=d["version"], reason=d["reason"]),
        _("The case is not accepted; the resident can read your reason."),
    )


@login_required
@require_POST
def case_request_info(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _case(request, pk)
    form = RequestInfoForm(request.POST, prefix=PREFIX["request_info"])
    return _act(
        request, pk, form,
        lambda d: services.complaint_request_info(
            complaint=complaint, actor=request.user, version=d["version"], question=d["question"]
        ),
        _("The question is sent to the resident. The clock is paused until they answer."),
    )


@login_required
@require_POST
def case_merge(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _case(request, pk)
    candidates = list(merge_candidates(complaint))
    form = MergeForm(request.POST, prefix=PREFIX["merge"], cases=candidates)
    by_id = {str(c.pk): c for c in candidates}
    return _act(
        request, pk, form,
        lambda d: services.complaint_merge(
            complaint=complaint, actor=request.user, version=d["version"], into=by_id[d["into"]]
        ),
        _("The case is merged; its residents now follow the other case."),
    )


@login_required
@require_POST
def case_recategorize(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _case(request, pk)
    form = RecategorizeForm(request.POST, prefix=PREFIX["recategorize"])
    return _act(
        request, pk, form,
        lambda d: services.complaint_recategorize(
            complaint=complaint, actor=request.user, version=d["version"], category=d["category"], urgency=d["urgency"]
        ),
        _("Category and urgency are changed."),
    )


@login_required
@require_POST
def case_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _case(request, pk)
    departments = {str(dep.pk): dep for dep in district_departments(complaint)}
    form = DispatchForm(request.POST, prefix=PREFIX["dispatch"], departments=departments.values())

    def call(d: dict):
        kind = d["handler_kind"]
        hours = d["handle_hours"]
        return services.complaint_dispatch(
            complaint=complaint, actor=request.user, version=d["version"], handler_kind=kind,
            department=departments.get(d["department"]) if kind == HandlerKind.DEPARTMENT else None,
            instructions=d["instructions"],
            handle_within=timedelta(hours=hours) if hours and kind != HandlerKind.DEPARTMENT else None,
        )

    return _act(request, pk, form, call, _("Dispatched. The handler is notified and the clock is running."))


@login_required
@require_POST
def case_verify(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _case(request, pk)
    form = VerifyForm(request.POST, prefix=PREFIX["verify"])
    passed = request.POST.get(f"{PREFIX['verify']}-passed") == "1"
    return _act(
        request, pk, form,
        lambda d: services.complaint_verify(
            complaint=complaint, actor=request.user, version=d["version"], passed=d["passed"], note=d["note"]
        ),
        _("Check passed: the resident is asked whether the problem is solved.") if passed
        else _("Check failed: the case goes back for another round of handling."),
    )


@login_required
@require_POST
def dispatch_rate(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _visible_dispatch(request, pk)
    form = RateForm(request.POST, prefix=dispatch_prefix(pk, "rate"))
    return _act(
        request, dispatch.complaint_id, form,
        lambda d: services.dispatch_rate(
            dispatch=dispatch, actor=request.user, version=d["version"], score=d["score"], comment=d["comment"]
        ),
        _("Thank you: the rating is saved."),
    )


@login_required
@require_POST
def dispatch_decide_extension(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _visible_dispatch(request, pk)
    form = ExtensionDecisionForm(request.POST, prefix=dispatch_prefix(pk, "decide"))
    approve = request.POST.get(f"{dispatch_prefix(pk, 'decide')}-approve") == "1"
    return _act(
        request, dispatch.complaint_id, form,
        lambda d: services.dispatch_decide_extension(
            dispatch=dispatch, actor=request.user, version=d["version"], approve=d["approve"], note=d["note"]
        ),
        _("Extension approved: the deadline is moved.") if approve else _("Extension refused: the deadline stays."),
    )


# --- handlers: property company, party branch, departments ----------------------------------------


def _step(request: HttpRequest, pk: int, call: Callable[[Dispatch, int], object], success: str) -> HttpResponse:
    dispatch = _handled(request, pk)
    form = VersionForm(request.POST, prefix=dispatch_prefix(pk, "step"))
    return _act(request, dispatch.complaint_id, form, lambda d: call(dispatch, d["version"]), success)


@login_required
@require_POST
def dispatch_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, lambda d, v: services.dispatch_acknowledge(dispatch=d, actor=request.user, version=v),
        _("Acknowledged (签收). Contact the resident soon."),
    )


@login_required
@require_POST
def dispatch_contact(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, lambda d, v: services.dispatch_record(dispatch=d, actor=request.user, what="contact", version=v),
        _("Recorded: the resident was contacted."),
    )


@login_required
@require_POST
def dispatch_arrival(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, lambda d, v: services.dispatch_record(dispatch=d, actor=request.user, what="arrival", version=v),
        _("Recorded: you arrived on site."),
    )


@login_required
@require_POST
def dispatch_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _handled(request, pk)
    form = ResolveForm(request.POST, prefix=dispatch_prefix(pk, "resolve"))

    def call(d: dict):
        photos = process_photos(request.FILES.getlist("photos"))
        return services.dispatch_resolve(
            dispatch=dispatch, actor=request.user, version=d["version"], result=d["result"], photos=photos
        )

    return _act(request, dispatch.complaint_id, form, call, _("The result is submitted."))


@login_required
@require_POST
def dispatch_return(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _handled(request, pk)
    departments = {str(dep.pk): dep for dep in district_departments(dispatch.complaint)}
    form = ReturnForm(request.POST, prefix=dispatch_prefix(pk, "return"), departments=departments.values())
    return _act(
        request, dispatch.complaint_id, form,
        lambda d: services.dispatch_return(
            dispatch=dispatch, actor=request.user, version=d["version"], reason=d["reason"],
            belongs_to=departments.get(d["belongs_to"]),
        ),
        _("The case is returned to the community."),
    )


@login_required
@require_POST
def dispatch_request_extension(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _handled(request, pk)
    form = ExtensionForm(request.POST, prefix=dispatch_prefix(pk, "extension"))
    return _act(
        request, dispatch.complaint_id, form,
        lambda d: services.dispatch_request_extension(
            dispatch=dispatch, actor=request.user, version=d["version"], hours=d["hours"], reason=d["reason"]
        ),
        _("The extension is requested; the street office decides."),
    )


@login_required
@require_POST
def dispatch_park(request: HttpRequest, pk: int) -> HttpResponse:
    dispatch = _handled(request, pk)
    form = ParkForm(request.POST, prefix=dispatch_prefix(pk, "park"))
    return _act(
        request, dispatch.complaint_id, form,
        lambda d: services.dispatch_park(dispatch=dispatch, actor=request.user, version=d["version"], plan=d["plan"]),
        _("The case is parked (挂账) with your plan."),
    )


# --- queues --------------------------------------------------------------------------------------


def _overdue_case_flag(now):
    """Whether a case row has an overdue step, decided on the row itself (as ComplaintQuerySet.overdue).

    A correlated EXISTS per listed row, not `pk IN (every overdue case of the scope)`: the queue then
    costs what its open cases cost, however many closed cases the compounds have (docs/benchmarks.md).
    """
    own = Q(status=Status.SUBMITTED, accept_due_at__lt=now) | Q(
        status__in=[Status.ACCEPTED, Status.HANDLING, Status.RESOLVED], handle_due_at__lt=now
    )
    late_dispatch = Dispatch.objects.open().overdue(now).filter(complaint_id=OuterRef("pk"))
    return ExpressionWrapper(own | Q(Exists(late_dispatch)), output_field=BooleanField())


def _case_due():
    return Case(When(status=Status.SUBMITTED, then=F("accept_due_at")), default=F("handle_due_at"))


def _dispatch_due():
    return Case(When(status=DispatchStatus.PENDING, then=F("acknowledge_due_at")), default=F("handle_due_at"))


def _filters(request: HttpRequest, *, statuses, compounds) -> tuple[QueueFilterForm, dict]:
    form = QueueFilterForm(request.GET or None, statuses=statuses, compounds=compounds)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, data


def _page(request: HttpRequest, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _case_rows(cases, now) -> list[dict]:
    return [
        {"case": c, "countdown": countdown(c.next_due, now=now, paused=c.paused_at is not None), "overdue": c.is_overdue}
        for c in cases
    ]


def _dispatch_rows(dispatches, now) -> list[dict]:
    rows = []
    for d in dispatches:
        paused = d.complaint.paused_at is not None
        rows.append({
            "dispatch": d,
            "case": d.complaint,
            "acknowledge_countdown": countdown(d.acknowledge_due_at, now=now, paused=paused)
            if d.status == DispatchStatus.PENDING else None,
            "handle_countdown": countdown(d.handle_due_at, now=now, paused=paused),
            "overdue": d.is_overdue,
        })
    return rows


@login_required
@require_GET
def triage_queue(request: HttpRequest) -> HttpResponse:
    """Cases of the compounds the user manages that wait for the community: overdue first."""
    now = timezone.now()
    managed = Compound.objects.managed_by(request.user)
    compounds = list(managed.only("id", "name").order_by("name"))
    form, data = _filters(request, statuses=TRIAGE_STATUSES, compounds=compounds)
    scope = Complaint.objects.filter(compound__in=managed)
    returned = Dispatch.objects.filter(complaint=OuterRef("pk"), round=OuterRef("round"), status=DispatchStatus.RETURNED)
    qs = (
        scope.annotate(
            has_returned=Exists(returned),
            is_overdue=_overdue_case_flag(now),
            next_due=_case_due(),
        )
        .filter(
            Q(status__in=[Status.SUBMITTED, Status.NEEDS_INFO, Status.ACCEPTED, Status.RESOLVED])
            | Q(status=Status.HANDLING, has_returned=True)
        )
        .select_related("compound")
    )
    qs = _filter_cases(qs, data)
    qs = qs.order_by("-is_overdue", F("next_due").asc(nulls_last=True), "id")
    page, query = _page(request, qs)
    return render(request, "complaints/queues/triage.html", {
        "filters": form, "page": page, "query": query, "rows": _case_rows(page.object_list, now),
    })


def _filter_cases(qs, data: dict, prefix: str = ""):
    if data.get("status"):
        qs = qs.filter(**{f"{prefix}status": data["status"]})
    if data.get("category"):
        qs = qs.filter(**{f"{prefix}category": data["category"]})
    if data.get("compound"):
        qs = qs.filter(**{f"{prefix}compound_id": data["compound"]})
    if data.get("overdue") and not prefix:
        qs = qs.filter(is_overdue=True)
    return qs


def _dispatch_queue(request: HttpRequest, *, kinds, template: str) -> HttpResponse:
    now = timezone.now()
    mine = permissions.handled_dispatches(request.user).open().filter(handler_kind__in=kinds)
    compounds = list(Compound.objects.filter(complaints__dispatches__in=mine).distinct().only("id", "name").order_by("name"))
    form, data = _filters(request, statuses=OPEN_DISPATCH_CHOICES, compounds=compounds)
    qs = mine.annotate(
        is_overdue=ExpressionWrapper(Q(pk__in=Dispatch.objects.overdue(now).values("pk")), output_field=BooleanField()),
        next_due=_dispatch_due(),
    ).select_related("complaint__compound", "department", "property_company")
    if data.get("status"):
        qs = qs.filter(status=data["status"])
    qs = _filter_cases(qs, {**data, "status": ""}, prefix="complaint__")
    if data.get("overdue"):
        qs = qs.filter(is_overdue=True)
    qs = qs.order_by("-is_overdue", "next_due", "id")
    page, query = _page(request, qs)
    return render(request, template, {
        "filters": form, "page": page, "query": query, "rows": _dispatch_rows(page.object_list, now),
    })


@login_required
@require_GET
def work_queue(request: HttpRequest) -> HttpResponse:
    """Open dispatches of the user's property company or party branch."""
    return _dispatch_queue(request, kinds=[HandlerKind.PROPERTY, HandlerKind.PARTY_BRANCH], template="complaints/queues/work.html")


@login_required
@require_GET
def department_inbox(request: HttpRequest) -> HttpResponse:
    """Open dispatches of the user's department with acknowledge and handle countdowns."""
    return _dispatch_queue(request, kinds=[HandlerKind.DEPARTMENT], template="complaints/queues/inbox.html")


SUPERVISION_TABS = ("cases", "dispatches", "escalations", "extensions")


@login_required
@require_GET
def supervision_queue(request: HttpRequest) -> HttpResponse:
    """The street office's list: overdue cases and dispatches, 督办 escalations, extensions to decide."""
    now = timezone.now()
    streets = Street.objects.managed_by(request.user)
    in_streets = Complaint.objects.filter(compound__community__street__in=streets)
    compounds = list(Compound.objects.filter(community__street__in=streets).only("id", "name").order_by("name"))
    statuses = [(s.value, s.label) for s in Status if s in OPEN_STATUSES]
    form, data = _filters(request, statuses=statuses, compounds=compounds)
    cases = _filter_cases(in_streets.open(), {**data, "overdue": False})
    overdue_ids = in_streets.overdue(now).values("pk")
    lists = {
        "cases": cases.filter(pk__in=overdue_ids)
        .annotate(next_due=_case_due(), is_overdue=Value(True, output_field=BooleanField()))
        .select_related("compound").order_by(F("next_due").asc(nulls_last=True), "id"),
        "dispatches": Dispatch.objects.open().overdue(now).filter(complaint__in=cases)
        .annotate(next_due=_dispatch_due(), is_overdue=Value(True, output_field=BooleanField()))
        .select_related("complaint__compound", "department", "property_company").order_by("next_due", "id"),
        "escalations": Escalation.objects.filter(
            level=Escalation.Level.SUPERVISION, resolved_at__isnull=True, complaint__in=cases,
        ).filter(Q(dispatch__isnull=True) | Q(dispatch__status__in=OPEN_DISPATCH_STATUSES))
        .select_related("complaint__compound", "dispatch__department", "dispatch__property_company"),
        "extensions": Dispatch.objects.filter(status=DispatchStatus.EXTENSION_REQUESTED, complaint__in=cases)
        .annotate(next_due=_dispatch_due(), is_overdue=ExpressionWrapper(
            Q(pk__in=Dispatch.objects.overdue(now).values("pk")), output_field=BooleanField()))
        .select_related("complaint__compound", "department", "property_company").order_by("handle_due_at", "id"),
    }
    if data.get("overdue"):
        lists["escalations"] = lists["escalations"].filter(complaint__in=overdue_ids)
        lists["extensions"] = lists["extensions"].filter(complaint__in=overdue_ids)
    tab = request.GET.get("show") if request.GET.get("show") in SUPERVISION_TABS else "cases"
    counts = {name: qs.count() for name, qs in lists.items()}
    page, query = _page(request, lists[tab])
    rows = []
    if tab == "cases":
        rows = _case_rows(page.object_list, now)
    elif tab in ("dispatches", "extensions"):
        rows = _dispatch_rows(page.object_list, now)
        if tab == "extensions":
            for row in rows:
                prefix = dispatch_prefix(row["dispatch"].pk, "decide")
                row["form"] = ExtensionDecisionForm(prefix=prefix, initial={"version": row["case"].version})
                row["prefix"] = prefix
    else:
        rows = [{"escalation": e, "case": e.complaint} for e in page.object_list]
    filter_query = request.GET.copy()
    for key in ("page", "show"):
        filter_query.pop(key, None)
    return render(request, "complaints/queues/supervision.html", {
        "filters": form, "page": page, "query": query, "rows": rows, "tab": tab, "counts": counts,
        "tabs": [(name, _tab_label(name), counts[name]) for name in SUPERVISION_TABS],
        "filter_query": filter_query.urlencode(),
    })


def _tab_label(name: str) -> str:
    return {
        "cases": _("Overdue cases"),
        "dispatches": _("Overdue dispatches"),
        "escalations": _("Supervision (督办)"),
        "extensions": _("Extensions to decide"),
    }[name]


@login_required
@require_GET
def workbench(request: HttpRequest) -> HttpResponse:
    """Send each staff member to the queue of their role."""
    if request.user.is_superuser:
        return redirect("casestaff:triage")
    roles = set(request.user.roles.active().values_list("role", flat=True))
    for role, target in (
        (Role.COMMUNITY_STAFF, "casestaff:triage"),
        (Role.STREET_STAFF, "casestaff:supervision"),
        (Role.DISTRICT_STAFF, "casestaff:supervision"),
        (Role.DEPARTMENT_STAFF, "casestaff:inbox"),
        (Role.PROPERTY_STAFF, "casestaff:work"),
        (Role.PARTY_SECRETARY, "casestaff:work"),
    ):
        if role in roles:
            return redirect(target)
    messages.info(request, _("You have no case queue."))
    return redirect("home")

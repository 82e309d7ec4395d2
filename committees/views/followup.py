"""Minutes, resolution tasks (or a case) and the contributions ledger."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    Sum,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.forms import add_service_error

from .. import permissions, services
from ..followup_forms import (
    ActionCaseForm,
    ActionDoneForm,
    ActionForm,
    ContributionForm,
    MinutesForm,
)
from ..models import (
    ActionItem,
    Contribution,
    Meeting,
)
from .common import get_meeting, unit_choices

ZERO = Decimal("0")


def _ledger_totals(contributions) -> dict:
    """Return the ledger's totals: pledged, paid, still to pay, and how many households or parties (one query)."""
    sums = contributions.aggregate(pledged=Sum("pledged", default=ZERO), paid=Sum("paid", default=ZERO), n=Count("id"))
    return {"pledged": sums["pledged"], "paid": sums["paid"], "households": sums["n"],
            "outstanding": max(sums["pledged"] - sums["paid"], ZERO)}


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes (conveners write and publish; all who see the meeting read them once published) and tasks."""
    meeting = get_meeting(request, pk)
    user = request.user
    manager = permissions.can_manage_meeting(user, meeting)
    published = meeting.status in (Meeting.Status.NOTICED, Meeting.Status.CLOSED)
    can_edit = manager and published and meeting.minutes_published_at is None
    form = MinutesForm(request.POST if request.method == "POST" else None, initial={"minutes": meeting.minutes})
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            publish = "publish" in request.POST
            try:
                services.minutes_save(meeting=meeting, actor=user, text=form.cleaned_data["minutes"], publish=publish)
            except ApplicationError as error:
                if error.code in ("conflict", "forbidden"):
                    messages.error(request, error.message)
                    return redirect("committees:minutes", pk=meeting.pk)
                add_service_error(form, error)
            else:
                messages.success(request, _("The minutes are published.") if publish else _("The minutes are saved."))
                return redirect("committees:minutes", pk=meeting.pk)
        status = 400
    actions = list(
        ActionItem.objects.filter(meeting=meeting).select_related("assignee", "item", "complaint")
        .annotate(pledged=Sum("contributions__pledged", default=ZERO), paid=Sum("contributions__paid", default=ZERO))
    )
    today = timezone.localdate()
    for action in actions:
        action.overdue = action.status == ActionItem.Status.OPEN and action.due_date < today
    context = {
        "meeting": meeting,
        "form": form,
        "can_edit": can_edit,
        "show_minutes": meeting.minutes_published_at is not None or manager,
        "actions": actions,
        "ledger": _ledger_totals(Contribution.objects.filter(action__meeting=meeting)),
        "can_add_action": manager and published,
    }
    return render(request, "committees/minutes.html", context, status=status)


@login_required
def action_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A convener turns a resolution into a task: what, who, by when."""
    meeting = get_meeting(request, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied
    form = ActionForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services.action_create(
                meeting=meeting, actor=request.user, title=data["title"], party=data["party"], due_date=data["due_date"],
                description=data["description"], assignee=data["assignee"], item=data["item"],
            )
        except ApplicationError as error:
            if error.code in ("conflict", "forbidden"):
                messages.error(request, error.message)
                return redirect("committees:minutes", pk=meeting.pk)
            add_service_error(form, error)
        else:
            messages.success(request, _("The task is added."))
            return redirect("committees:action", pk=meeting.pk, action_pk=action.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "committees/action_new.html",
                  {"meeting": meeting, "form": form,
                   "can_create": meeting.status in (Meeting.Status.NOTICED, Meeting.Status.CLOSED)},
                  status=status)


def _action(meeting: Meeting, action_pk: int) -> ActionItem:
    return get_object_or_404(
        ActionItem.objects.select_related("assignee", "item", "complaint", "created_by"), meeting=meeting, pk=action_pk
    )


def _render_action(request: HttpRequest, meeting: Meeting, action: ActionItem, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    manager = permissions.can_manage_meeting(user, meeting)
    contributions = Contribution.objects.filter(action=action).select_related("unit__building")
    is_open = action.status == ActionItem.Status.OPEN
    context = {
        "meeting": meeting,
        "action": action,
        "overdue": is_open and action.due_date < timezone.localdate(),
        "contributions": list(contributions),
        "ledger": _ledger_totals(contributions),
        "can_complete": is_open and (manager or action.assignee_id == user.pk),
        "can_case": manager and action.complaint_id is None,
        "can_record": manager,
        "done_form": forms.get("done_form") or ActionDoneForm(),
        "case_form": forms.get("case_form") or ActionCaseForm(),
        "contribution_form": forms.get("contribution_form"),
    }
    if manager and context["contribution_form"] is None:
        context["contribution_form"] = ContributionForm(units=unit_choices(meeting))
    return render(request, "committees/action_detail.html", context, status=status)


@login_required
def action_detail(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    """A task: who does what by when, its case if one was filed, and the public contributions ledger."""
    meeting = get_meeting(request, pk)
    return _render_action(request, meeting, _action(meeting, action_pk))


def _act(request, meeting, action, form, attempt, *, form_name: str, done: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("committees:action", pk=meeting.pk, action_pk=action.pk)
    if form.is_valid():
        try:
            attempt(form.cleaned_data)
        except ApplicationError as error:
            if error.code in ("conflict", "forbidden") or error.field not in form.fields:
                messages.error(request, error.message)
                return redirect("committees:action", pk=meeting.pk, action_pk=action.pk)
            add_service_error(form, error)
        else:
            messages.success(request, done)
            return redirect("committees:action", pk=meeting.pk, action_pk=action.pk)
    return _render_action(request, meeting, action, status=400, **{form_name: form})


@login_required
def action_done(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    action = _action(meeting, action_pk)

    def attempt(data):
        services.action_complete(action=action, actor=request.user, note=data["note"])

    return _act(request, meeting, action, ActionDoneForm(request.POST or None), attempt, form_name="done_form",
                done=_("The task is marked as done."))


@login_required
def action_case(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    action = _action(meeting, action_pk)

    def attempt(data):
        services.action_to_case(action=action, actor=request.user, category=data["category"])

    return _act(request, meeting, action, ActionCaseForm(request.POST or None), attempt, form_name="case_form",
                done=_("A case is filed for this task. You can follow it in the case workflow."))


@login_required
def contribution_new(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    action = _action(meeting, action_pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied

    def attempt(data):
        services.contribution_record(
            action=action, actor=request.user, contributor=data["contributor"], pledged=data["pledged"],
            paid=data["paid"], unit=data["unit"], note=data["note"],
        )

    form = ContributionForm(request.POST or None, units=unit_choices(meeting))
    return _act(request, meeting, action, form, attempt, form_name="contribution_form",
                done=_("The contribution is recorded in the ledger."))

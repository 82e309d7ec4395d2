"""Meetings in the browser: the list, convening, the notice with its agenda, the conveners' actions.

Views parse, authorize (a meeting the user may not see → 404; a convener's page for others → 403), call one
service and render; service errors become form errors on the field they name."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.forms import add_service_error
from core.masking import mask_name
from governance.models import Role, RoleAssignment

from .. import explain, permissions, selectors, services, tally
from ..forms import (
    CancelForm,
    ConfirmForm,
    MeetingForm,
    TellersForm,
    VoteForm,
)
from ..models import AgendaItem, Ballot, Candidate, CommitteeMember, Meeting
from .common import HOUSEHOLD_RULES, Status, decorate, get_meeting, require_manager

LIST_LIMIT = 200


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    """The meetings of the user's compounds: voting now, coming up, past (a fixed number of queries).

    Street and district staff see many compounds: `q` (a title or a compound) and `kind` narrow the list,
    and the page says so when it shows only the latest LIST_LIMIT meetings.
    """
    now = timezone.now()
    voting, upcoming, past = [], [], []
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    meetings = Meeting.objects.visible_to(request.user).select_related("compound", "building").order_by("-starts_at", "-id")
    if q:
        meetings = meetings.filter(Q(title__icontains=q) | Q(compound__name__icontains=q))
    if kind in Meeting.Kind.values:
        meetings = meetings.filter(kind=kind)
    shown = list(meetings[:LIST_LIMIT + 1])
    for meeting in shown[:LIST_LIMIT]:
        decorate(meeting, now)
        if meeting.voting_now:
            voting.append(meeting)
        elif meeting.status == Status.DRAFT or (
            meeting.status == Status.NOTICED
            and ((meeting.has_vote and meeting.vote_opens_at > now) or (not meeting.has_vote and meeting.starts_at >= now))
        ):
            upcoming.append(meeting)
        else:
            past.append(meeting)
    upcoming.reverse()  # the next one first
    return render(request, "committees/meeting_list.html", {
        "voting": voting, "upcoming": upcoming, "past": past,
        "can_convene": permissions.convenable_compounds(request.user).exists(),
        "q": q, "kind": kind, "kinds": Meeting.Kind.choices, "limit": LIST_LIMIT, "truncated": len(shown) > LIST_LIMIT,
    })


def _default_convener(user, compound_ids) -> str:
    if CommitteeMember.objects.current().filter(user_id=user.pk, committee__compound_id__in=compound_ids).exists():
        return Meeting.Convener.COMMITTEE
    if RoleAssignment.objects.active().filter(user_id=user.pk, role=Role.PARTY_SECRETARY).exists():
        return Meeting.Convener.PARTY_BRANCH
    return Meeting.Convener.COMMUNITY


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    """Convene a meeting: a draft first; items are added, then the notice is published."""
    user = request.user
    compounds = permissions.convenable_compounds(user)
    compound_ids = list(compounds.values_list("pk", flat=True)[:2])
    if not compound_ids:
        raise PermissionDenied
    initial = {"kind": Meeting.Kind.BUILDING, "precedence": Meeting.Precedence.FIRST_WINS}
    if request.method == "GET":
        initial["convener"] = _default_convener(user, compound_ids)
        if len(compound_ids) == 1:
            initial["compound"] = compound_ids[0]
    form = MeetingForm(request.POST or None, compounds=compounds, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                actor=user, compound=data["compound"], kind=data["kind"], title=data["title"],
                convener=data["convener"], starts_at=data["starts_at"], place=data["place"],
                description=data["description"], vote_opens_at=data["vote_opens_at"],
                vote_closes_at=data["vote_closes_at"], building=data.get("building"), entrance=data["entrance"],
                precedence=data["precedence"],
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The draft is saved. Now add the agenda items, then publish the notice."))
            return redirect("committees:meeting", pk=meeting.pk)
    return render(request, "committees/meeting_form.html", {"form": form, "meeting": None},
                  status=400 if request.method == "POST" else 200)


EDITABLE = ("title", "description", "place", "starts_at", "vote_opens_at", "vote_closes_at", "precedence", "entrance")


@login_required
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft's title, times, place and precedence (a published notice is frozen)."""
    meeting = get_meeting(request, pk)
    require_manager(request, meeting)
    if meeting.status != Status.DRAFT:
        messages.error(request, _("The notice is published: the meeting can no longer be changed."))
        return redirect("committees:meeting", pk=meeting.pk)
    initial = {name: getattr(meeting, name) for name in EDITABLE} | {"version": meeting.version}
    form = MeetingForm(request.POST or None, meeting=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in EDITABLE if name in form.fields}
        try:
            services.meeting_update(meeting=meeting, actor=request.user, version=data.get("version"), **fields)
        except ApplicationError as error:
            if error.code == "conflict":
                messages.error(request, error.message)
                return redirect("committees:meeting_edit", pk=meeting.pk)
            add_service_error(form, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("committees:meeting", pk=meeting.pk)
    return render(request, "committees/meeting_form.html", {"form": form, "meeting": meeting},
                  status=400 if request.method == "POST" else 200)


def _participation_panels(meeting: Meeting, items) -> list[dict]:
    """Return, per item, who has taken part so far against the thresholds; never the choices (two queries)."""
    if meeting.status == Status.DRAFT or not meeting.has_vote:
        return []
    total = selectors.electorate_total(meeting)
    taken = selectors.participation_by_item(meeting)
    panels = []
    for item in items:
        p = taken.get(item.pk, tally.Votes())
        rule = tally.MAJORITY if item.kind == AgendaItem.Kind.ELECTION else item.rule
        panel = {
            "item": item, "count": p.count, "area": p.area, "total_count": total.count, "total_area": total.area,
            "households": rule in HOUSEHOLD_RULES, "gate": rule in tally.DOUBLE_MAJORITY_RULES,
            "count_pct": round(100 * p.count / total.count) if total.count else 0,
            "area_pct": round(100 * p.area / total.area) if total.area else 0,
        }
        if panel["gate"]:
            try:
                outcome = tally.decide(rule=rule, total=total, yes=tally.Votes(), no=tally.Votes(), abstain=p)
            except ValueError:  # more ballots than electors: a correction shrank the electorate
                outcome = None
            if outcome is not None:
                panel["need_count"] = outcome.thresholds.participation_count
                panel["need_area"] = outcome.thresholds.participation_area
                panel["met"] = bool(outcome.participation_met)
                # The outcome holds participation only (as abstentions): the shortfall it gives is the gate's.
                panel["shortfall"] = "" if panel["met"] else explain.shortfall(outcome)
        panels.append(panel)
    return panels


def render_detail(request: HttpRequest, meeting: Meeting, *, vote_forms: dict | None = None, status: int = 200):
    user, now = request.user, timezone.now()
    decorate(meeting, now)
    items = list(
        meeting.items.prefetch_related(
            "documents", Prefetch("candidates", queryset=Candidate.objects.select_related("user").order_by("position"))
        )
    )
    can_manage = permissions.can_manage_meeting(user, meeting)
    electors = list(permissions.electors_of(user, meeting)) if meeting.status != Status.DRAFT and meeting.has_vote else []
    receipts: dict[int, list[str]] = {}
    if electors:
        mine = Ballot.objects.filter(item__meeting=meeting, elector__in=electors, status=Ballot.Status.VALID)
        for item_id, code in mine.values_list("item_id", "receipt_code"):
            receipts.setdefault(item_id, []).append(code)
    may_vote = meeting.voting_now and bool(electors)
    vote_forms = vote_forms or {}
    for item in items:
        item.meeting = meeting
        item.rule_text = explain.rule_summary(item.rule)
        item.receipts = receipts.get(item.pk, [])
        item.vote_form = None
        if may_vote and not item.receipts:
            item.vote_form = vote_forms.get(item.pk) or VoteForm(item=item)
    is_teller = meeting.status == Status.NOTICED and permissions.is_teller(user, meeting)
    context = {
        "meeting": meeting,
        "items": items,
        "is_voter": bool(electors),
        "voter_count": len(electors),
        "may_vote": may_vote,
        "panels": _participation_panels(meeting, items) if meeting.status == Status.NOTICED else [],
        "poll": meeting.voting_now,
        "can_manage": can_manage,
        "can_edit": can_manage and meeting.status == Status.DRAFT,
        "can_publish": can_manage and meeting.status == Status.DRAFT,
        "can_cancel": can_manage and meeting.status in (Status.DRAFT, Status.NOTICED),
        "can_set_tellers": can_manage and meeting.status in (Status.DRAFT, Status.NOTICED),
        "can_close": can_manage and meeting.counting_due,
        "show_electorate": meeting.status != Status.DRAFT and meeting.has_vote,
        "show_paper": (can_manage or is_teller) and meeting.status == Status.NOTICED and meeting.has_vote,
        "show_followup": can_manage and meeting.status in (Status.NOTICED, Status.CLOSED),
        "show_result": meeting.status == Status.CLOSED,
        "show_minutes": not can_manage and meeting.minutes_published_at is not None,
        "show_receipt_check": meeting.status in (Status.NOTICED, Status.CLOSED) and meeting.has_vote,
    }
    return render(request, "committees/meeting_detail.html", context, status=status)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice: what, where, when, the agenda with each item's rule, and the vote while it is open."""
    return render_detail(request, get_meeting(request, pk))


@login_required
def participation(request: HttpRequest, pk: int) -> HttpResponse:
    """Who has taken part so far, per item (an htmx fragment polled by the notice; a page without htmx)."""
    meeting = get_meeting(request, pk)
    decorate(meeting, timezone.now())
    items = list(meeting.items.all())
    context = {"meeting": meeting, "panels": _participation_panels(meeting, items), "poll": meeting.voting_now}
    template = "committees/_participation.html" if request.headers.get("HX-Request") else "committees/participation.html"
    return render(request, template, context)


@login_required
def tellers(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the tellers (at least two) who enter the paper ballots."""
    meeting = get_meeting(request, pk)
    require_manager(request, meeting)
    current = list(meeting.tellers.order_by("real_name"))
    form = TellersForm(request.POST or None, initial={"tellers": "\n".join(t.phone for t in current)})
    if request.method == "POST" and form.is_valid():
        try:
            services.tellers_set(meeting=meeting, actor=request.user, tellers=form.cleaned_data["tellers"])
        except ApplicationError as error:
            if error.code == "conflict":
                messages.error(request, error.message)
                return redirect("committees:meeting", pk=meeting.pk)
            add_service_error(form, error)
        else:
            messages.success(request, _("The tellers are named."))
            return redirect("committees:meeting", pk=meeting.pk)
    return render(request, "committees/tellers.html", {
        "meeting": meeting, "form": form, "current": [mask_name(t.real_name) for t in current],
    }, status=400 if request.method == "POST" else 200)


@login_required
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish the notice, after a confirmation page saying what it freezes."""
    meeting = get_meeting(request, pk)
    require_manager(request, meeting)
    if meeting.status != Status.DRAFT:
        messages.error(request, _("The notice is already published."))
        return redirect("committees:meeting", pk=meeting.pk)
    form = ConfirmForm(request.POST if request.method == "POST" else None, initial={"version": meeting.version})
    fix_times = False
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_publish_notice(meeting=meeting, actor=request.user, version=form.cleaned_data["version"])
        except ApplicationError as error:
            if error.code == "conflict":
                messages.error(request, error.message)
                return redirect("committees:meeting", pk=meeting.pk)
            form.add_error(None, error.message)
            fix_times = error.field in ("vote_opens_at", "vote_closes_at", "starts_at")
        else:
            messages.success(request, _("The notice is published. Residents are told in their messages."))
            return redirect("committees:meeting", pk=meeting.pk)
    items = list(meeting.items.all())
    for item in items:
        item.rule_text = explain.rule_summary(item.rule)
    return render(request, "committees/publish.html", {
        "meeting": meeting, "form": form, "items": items, "fix_times": fix_times,
        "is_assembly": meeting.kind == Meeting.Kind.ASSEMBLY, "notice_days": services.ASSEMBLY_NOTICE_DAYS,
    }, status=400 if request.method == "POST" else 200)


@login_required
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a meeting, with the reason (ballots already cast stay on record, uncounted)."""
    meeting = get_meeting(request, pk)
    require_manager(request, meeting)
    if meeting.status not in (Status.DRAFT, Status.NOTICED):
        messages.error(request, _("This meeting can no longer be cancelled."))
        return redirect("committees:meeting", pk=meeting.pk)
    form = CancelForm(request.POST or None, initial={"version": meeting.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_cancel(meeting=meeting, actor=request.user, reason=form.cleaned_data["reason"],
                                    version=form.cleaned_data["version"])
        except ApplicationError as error:
            if error.code == "conflict":
                messages.error(request, error.message)
                return redirect("committees:meeting", pk=meeting.pk)
            add_service_error(form, error)
        else:
            messages.success(request, _("The meeting is cancelled."))
            return redirect("committees:meeting", pk=meeting.pk)
    return render(request, "committees/cancel.html", {"meeting": meeting, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
def close(request: HttpRequest, pk: int) -> HttpResponse:
    """Count the votes and publish the result now, once the deadline has passed (the sweeper does it too)."""
    meeting = get_meeting(request, pk)
    require_manager(request, meeting)
    decorate(meeting, timezone.now())
    if meeting.status == Status.CLOSED:
        return redirect("committees:result", pk=meeting.pk)
    if not meeting.counting_due:
        messages.error(request, _("The vote is not over yet: it can be counted after the deadline."))
        return redirect("committees:meeting", pk=meeting.pk)
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            closed = services.meeting_close(meeting=meeting, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("committees:meeting", pk=meeting.pk)
        if closed:
            messages.success(request, _("The votes are counted and the result is published."))
            return redirect("committees:result", pk=meeting.pk)
        messages.error(request, _("The vote is not over yet: it can be counted after the deadline."))
        return redirect("committees:meeting", pk=meeting.pk)
    return render(request, "committees/close.html", {"meeting": meeting, "form": form})

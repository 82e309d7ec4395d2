"""The follow-up pages of a meeting: the posted electorate with objections and corrections, paper and proxy
ballots entered by tellers, minutes, resolution tasks with their contributions ledger, and owners' petitions
for an assembly.

Views parse, authorize (a meeting the user cannot see → 404; a page of the meeting they may not use → 403),
call one service and render. Service errors become form errors on their field, or a message.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.forms import add_service_error, page_query
from governance.models import Compound

from . import permissions, selectors, services
from .followup_forms import (
    ActionCaseForm,
    ActionDoneForm,
    ActionForm,
    ContributionForm,
    CorrectionForm,
    MinutesForm,
    ObjectionAnswerForm,
    ObjectionForm,
    PetitionForm,
    ProxyForm,
    SheetForm,
)
from .models import (
    ActionItem,
    AgendaItem,
    AssemblyPetition,
    Ballot,
    Candidate,
    Contribution,
    Elector,
    ElectorateCorrection,
    ElectorateObjection,
    ElectorateUnit,
    Meeting,
    PaperEntry,
    PetitionSignature,
)
from .services.electorate import _units as meeting_units
from .services.followup import PETITION_SHARE

ZERO = Decimal("0")
ELECTORATE_PAGE_SIZE = 50
UNOWNED_SHOWN = 200
PAPER_ENTRIES_PAGE_SIZE = 50
ELECTOR_MATCHES_SHOWN = 20
PETITIONS_PAGE_SIZE = 20
PAPER_BADGES = {
    PaperEntry.Status.WAITING: "text-bg-warning",
    PaperEntry.Status.MATCHED: "text-bg-success",
    PaperEntry.Status.MISMATCH: "text-bg-danger",
}
PETITION_BADGES = {
    AssemblyPetition.Status.OPEN: "text-bg-primary",
    AssemblyPetition.Status.TRIGGERED: "text-bg-success",
    AssemblyPetition.Status.CONVENED: "text-bg-secondary",
}


# --- shared helpers --------------------------------------------------------------------------------


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.visible_to(request.user).select_related("compound", "building"), pk=pk)


def _unit_choices(meeting: Meeting):
    return meeting_units(meeting).select_related("building").order_by("building__name", "entrance", "number")


# --- the electorate (公示) ----------------------------------------------------------------------------


@login_required
def electorate(request: HttpRequest, pk: int) -> HttpResponse:
    """The posted electorate: electors page by page, totals, homes with no verified owner, objections, corrections.

    Costs the same number of queries whatever the size of the electorate (a page holds 50 electors).
    """
    meeting = _meeting(request, pk)
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
    meeting = _meeting(request, pk)
    if not permissions.can_object(request.user, meeting):
        raise PermissionDenied
    units = _unit_choices(meeting)
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
    meeting = _meeting(request, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied
    objection = get_object_or_404(
        ElectorateObjection.objects.select_related("unit__building", "raised_by"), meeting=meeting, pk=objection_pk
    )
    units = _unit_choices(meeting)
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
    meeting = _meeting(request, pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied
    form = CorrectionForm(request.POST or None, units=_unit_choices(meeting))
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


# --- paper and proxy ballots ---------------------------------------------------------------------------


def _items(meeting: Meeting) -> list[AgendaItem]:
    return list(meeting.items.prefetch_related(
        Prefetch("candidates", queryset=Candidate.objects.select_related("user").order_by("position"))
    ))


def _chosen_elector(request: HttpRequest, meeting: Meeting) -> Elector | None:
    wanted = request.POST.get("elector") or request.GET.get("elector") or ""
    if not str(wanted).isdigit():
        return None
    return Elector.objects.filter(meeting=meeting, pk=wanted).first()


def _elector_matches(meeting: Meeting, q: str):
    """Return up to 20 electors whose units or posted name contain `q`, with their paper entry state."""
    if not q:
        return []
    matched = PaperEntry.objects.filter(elector=OuterRef("pk"), status=PaperEntry.Status.MATCHED)
    return list(
        Elector.objects.filter(meeting=meeting).filter(Q(units_label__icontains=q) | Q(label__icontains=q))
        .annotate(counted=Exists(matched), valid_ballots=Count("ballots", filter=Q(ballots__status=Ballot.Status.VALID)))
        .order_by("units_label", "id")[:ELECTOR_MATCHES_SHOWN]
    )


@login_required
def paper_entry(request: HttpRequest, pk: int) -> HttpResponse:
    """Tellers enter signed paper ballot sheets; two tellers must read the same sheet the same way."""
    meeting = _meeting(request, pk)
    user = request.user
    if not permissions.is_teller(user, meeting):
        raise PermissionDenied
    can_enter = permissions.can_enter_paper(user, meeting)
    items = _items(meeting)
    elector = _chosen_elector(request, meeting)
    mine = PaperEntry.objects.filter(meeting=meeting, elector=elector, teller=user).first() if elector else None
    form = None
    status = 200
    if elector is not None and can_enter:
        initial = {"elector": elector.pk}
        if mine is not None:
            initial.update({f"item_{k}": v for k, v in mine.choices.items()})
        form = SheetForm(request.POST if request.method == "POST" else None, items=items, initial=initial)
        if request.method == "POST":
            if form.is_valid():
                try:
                    entry = services.paper_entry_submit(meeting=meeting, actor=user, elector_id=elector.pk,
                                                        choices=form.sheet())
                except ApplicationError as error:
                    if error.code in ("conflict", "forbidden"):
                        messages.error(request, error.message)
                        return redirect(f"{reverse('committees:paper', args=[meeting.pk])}?elector={elector.pk}")
                    add_service_error(form, error)
                else:
                    done = {
                        PaperEntry.Status.WAITING: (messages.success, _("Saved. Now a second teller enters the same sheet.")),
                        PaperEntry.Status.MATCHED: (messages.success, _("Both tellers agree: the ballots are counted.")),
                        PaperEntry.Status.MISMATCH: (messages.error,
                                                     _("The two tellers read the sheet differently. Check the paper sheet "
                                                       "again and enter it once more.")),
                    }[entry.status]
                    done[0](request, done[1])
                    return redirect(f"{reverse('committees:paper', args=[meeting.pk])}?elector={elector.pk}")
            status = 400
    elif request.method == "POST":
        if not can_enter:
            messages.error(request, _("Voting is not open."))
        return redirect("committees:paper", pk=meeting.pk)
    q = request.GET.get("q", "").strip()
    order = Case(
        When(status=PaperEntry.Status.MISMATCH, then=Value(0)), When(status=PaperEntry.Status.WAITING, then=Value(1)),
        default=Value(2), output_field=IntegerField(),
    )
    entries = PaperEntry.objects.filter(meeting=meeting).select_related("elector", "teller").order_by(
        order, "elector__units_label", "elector_id", "id")
    entries_page = Paginator(entries, PAPER_ENTRIES_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in entries_page.object_list:
        entry.badge = PAPER_BADGES.get(entry.status, "text-bg-secondary")
    # Sheets, not entries: two tellers' entries of one sheet count once.
    counts = {row["status"]: row["n"] for row in PaperEntry.objects.filter(meeting=meeting)
              .values("status").annotate(n=Count("elector_id", distinct=True)).order_by()}
    elector_entries = []
    if elector is not None:
        elector_entries = list(PaperEntry.objects.filter(meeting=meeting, elector=elector).select_related("teller"))
        for entry in elector_entries:
            entry.badge = PAPER_BADGES.get(entry.status, "text-bg-secondary")
    context = {
        "meeting": meeting,
        "can_enter": can_enter,
        "q": q,
        "matches": _elector_matches(meeting, q),
        "elector": elector,
        "mine": mine,
        "elector_entries": elector_entries,
        "elector_counted": any(e.status == PaperEntry.Status.MATCHED for e in elector_entries),
        "form": form,
        "page": entries_page,
        "query": page_query(request),
        "counts": {
            "mismatch": counts.get(PaperEntry.Status.MISMATCH, 0),
            "waiting": counts.get(PaperEntry.Status.WAITING, 0),
            "matched": counts.get(PaperEntry.Status.MATCHED, 0),
        },
    }
    return render(request, "committees/paper_entry.html", context, status=status)


@login_required
def proxy(request: HttpRequest, pk: int) -> HttpResponse:
    """Tellers and conveners record a proxy's votes for an owner, with the signed written mandate uploaded."""
    meeting = _meeting(request, pk)
    user = request.user
    if not (permissions.is_teller(user, meeting) or permissions.can_manage_meeting(user, meeting)):
        raise PermissionDenied
    can_enter = meeting.voting_is_open()
    items = _items(meeting)
    elector = _chosen_elector(request, meeting)
    form = None
    status = 200
    if elector is not None and can_enter:
        form = ProxyForm(request.POST if request.method == "POST" else None, request.FILES or None, items=items,
                         initial={"elector": elector.pk})
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    ballots = services.proxy_vote(
                        meeting=meeting, actor=user, elector_id=elector.pk, proxy_name=data["proxy_name"],
                        mandate=data["mandate"], choices=form.sheet(),
                    )
                except ApplicationError as error:
                    if error.code in ("conflict", "forbidden"):
                        messages.error(request, error.message)
                        return redirect("committees:proxy", pk=meeting.pk)
                    add_service_error(form, error)
                else:
                    counted = [b for b in ballots if b.status == Ballot.Status.VALID]
                    messages.success(request, _("The proxy's votes are recorded: %(counted)d of %(total)d counted.")
                                     % {"counted": len(counted), "total": len(ballots)})
                    for ballot in ballots:
                        if ballot.status != Ballot.Status.VALID:
                            messages.warning(request, ballot.status_reason)
                    return redirect("committees:proxy", pk=meeting.pk)
            status = 400
    elif request.method == "POST":
        if not can_enter:
            messages.error(request, _("Voting is not open."))
        return redirect("committees:proxy", pk=meeting.pk)
    q = request.GET.get("q", "").strip()
    recent = (
        Ballot.objects.filter(item__meeting=meeting, channel=Ballot.Channel.PROXY)
        .values("elector_id", "elector__label", "elector__units_label", "proxy_name")
        .annotate(n=Count("id"), counted=Count("id", filter=Q(status=Ballot.Status.VALID)))
        .order_by("elector__units_label", "elector_id", "proxy_name")
    )
    context = {
        "meeting": meeting, "can_enter": can_enter, "q": q, "matches": _elector_matches(meeting, q),
        "elector": elector, "form": form, "recorded": list(recent[:200]),
    }
    return render(request, "committees/proxy.html", context, status=status)


# --- minutes and resolution tasks ----------------------------------------------------------------------


def _ledger_totals(contributions) -> dict:
    """Return the ledger's totals: pledged, paid, still to pay, and how many households or parties (one query)."""
    sums = contributions.aggregate(pledged=Sum("pledged", default=ZERO), paid=Sum("paid", default=ZERO), n=Count("id"))
    return {"pledged": sums["pledged"], "paid": sums["paid"], "households": sums["n"],
            "outstanding": max(sums["pledged"] - sums["paid"], ZERO)}


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """The minutes (conveners write and publish; all who see the meeting read them once published) and tasks."""
    meeting = _meeting(request, pk)
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
    meeting = _meeting(request, pk)
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
        context["contribution_form"] = ContributionForm(units=_unit_choices(meeting))
    return render(request, "committees/action_detail.html", context, status=status)


@login_required
def action_detail(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    """A task: who does what by when, its case if one was filed, and the public contributions ledger."""
    meeting = _meeting(request, pk)
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
    meeting = _meeting(request, pk)
    action = _action(meeting, action_pk)

    def attempt(data):
        services.action_complete(action=action, actor=request.user, note=data["note"])

    return _act(request, meeting, action, ActionDoneForm(request.POST or None), attempt, form_name="done_form",
                done=_("The task is marked as done."))


@login_required
def action_case(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    action = _action(meeting, action_pk)

    def attempt(data):
        services.action_to_case(action=action, actor=request.user, category=data["category"])

    return _act(request, meeting, action, ActionCaseForm(request.POST or None), attempt, form_name="case_form",
                done=_("A case is filed for this task. You can follow it in the case workflow."))


@login_required
def contribution_new(request: HttpRequest, pk: int, action_pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    action = _action(meeting, action_pk)
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied

    def attempt(data):
        services.contribution_record(
            action=action, actor=request.user, contributor=data["contributor"], pledged=data["pledged"],
            paid=data["paid"], unit=data["unit"], note=data["note"],
        )

    form = ContributionForm(request.POST or None, units=_unit_choices(meeting))
    return _act(request, meeting, action, form, attempt, form_name="contribution_form",
                done=_("The contribution is recorded in the ledger."))


# --- petitions for an assembly ----------------------------------------------------------------------------


def _signed_owners_subquery():
    """Return a subquery counting a petition's signers who are current verified owners of its compound."""
    from residents.models import Ownership

    owners = (
        Ownership.objects.current().verified()
        .filter(unit__building__compound_id=OuterRef(OuterRef("compound_id")), is_developer=False).values("user_id")
    )
    return Coalesce(Subquery(
        PetitionSignature.objects.filter(petition_id=OuterRef("pk"), user_id__in=owners)
        .values("petition_id").annotate(n=Count("user_id", distinct=True)).values("n")[:1],
        output_field=IntegerField(),
    ), 0)


def _needed(owners_total: int) -> int:
    """Return how many owners make 20% of `owners_total` (rounded up)."""
    share_num, share_den = PETITION_SHARE
    return -(-owners_total * share_num // share_den)


def _progress(petition: AssemblyPetition) -> None:
    petition.needed = _needed(petition.owners_total)
    petition.percent = min(100, (100 * petition.signed // petition.needed)) if petition.needed else 0
    petition.badge = PETITION_BADGES.get(petition.status, "text-bg-secondary")


def _owner_compounds(user):
    from residents.models import Ownership

    homes = Ownership.objects.current().verified().filter(user_id=user.pk).values("unit__building__compound_id")
    return Compound.objects.filter(id__in=homes).order_by("name")


@login_required
def petition_list(request: HttpRequest) -> HttpResponse:
    """The petitions of the compounds the user sees, with progress toward 20% of the owners (constant queries)."""
    user = request.user
    petitions = (
        AssemblyPetition.objects.filter(compound__in=Compound.objects.visible_to(user).values("id"))
        .select_related("compound", "meeting")
        .annotate(signed=_signed_owners_subquery(),
                  signed_by_me=Exists(PetitionSignature.objects.filter(petition_id=OuterRef("pk"), user_id=user.pk)))
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
        .select_related("compound", "meeting", "created_by").annotate(signed=_signed_owners_subquery()),
        pk=pk,
    )


@login_required
def petition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A petition: progress toward 20% of the owners, status, and the sign button for owners who have not signed."""
    from residents.models import Ownership

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


__all__ = [
    "action_case", "action_detail", "action_done", "action_new", "contribution_new", "electorate", "electorate_correct",
    "minutes", "objection_answer", "objection_new", "paper_entry", "petition_detail", "petition_list",
    "petition_new", "petition_sign", "proxy",
]

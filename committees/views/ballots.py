"""Paper ballots entered by two tellers, and proxy votes with their written mandate."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.forms import add_service_error, page_query

from .. import permissions, services
from ..followup_forms import (
    ProxyForm,
    SheetForm,
)
from ..models import (
    AgendaItem,
    Ballot,
    Candidate,
    Elector,
    Meeting,
    PaperEntry,
)
from .common import get_meeting

PAPER_ENTRIES_PAGE_SIZE = 50

ELECTOR_MATCHES_SHOWN = 20

PAPER_BADGES = {
    PaperEntry.Status.WAITING: "text-bg-warning",
    PaperEntry.Status.MATCHED: "text-bg-success",
    PaperEntry.Status.MISMATCH: "text-bg-danger",
}


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
    meeting = get_meeting(request, pk)
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
    meeting = get_meeting(request, pk)
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

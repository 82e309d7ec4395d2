"""Meetings and votes in the browser: the list, convening, the notice with its agenda, voting, results.

Views parse, authorize (a meeting the user may not see → 404; a convener's page for others → 403),
call one service and render. Service errors become form errors (on the field they name) or, when
no form field fits, a message on the page they return to. Choices stay hidden until the close:
before it, pages show participation only (count and area against the thresholds).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import add_service_error
from core.masking import mask_name

from . import explain, permissions, selectors, services, tally
from .forms import (
    CancelForm,
    CandidateForm,
    CommentForm,
    ConfirmForm,
    DocumentForm,
    ItemForm,
    MeetingForm,
    PartyOpinionForm,
    ReceiptForm,
    TellersForm,
    VoteForm,
)
from .models import AgendaItem, Ballot, Candidate, ItemComment, ItemDocument, Meeting

Status = Meeting.Status
STATUS_BADGES = {
    Status.DRAFT: "text-bg-secondary",
    Status.NOTICED: "text-bg-primary",
    Status.CLOSED: "text-bg-success",
    Status.CANCELLED: "text-bg-dark",
}
LIST_LIMIT = 200
HOUSEHOLD_RULES = (tally.HOUSEHOLD_MAJORITY, tally.CONSENSUS)


def _get_meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.visible_to(request.user).select_related("compound", "building"), pk=pk)


def _get_item(meeting: Meeting, item_pk: int) -> AgendaItem:
    item = get_object_or_404(AgendaItem.objects.filter(meeting=meeting), pk=item_pk)
    item.meeting = meeting
    return item


def _require_manager(request: HttpRequest, meeting: Meeting) -> None:
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied


def _decorate(meeting: Meeting, now) -> Meeting:
    meeting.badge = STATUS_BADGES.get(meeting.status, "text-bg-secondary")
    meeting.voting_now = meeting.voting_is_open(now)
    meeting.counting_due = bool(meeting.status == Status.NOTICED and meeting.has_vote and meeting.vote_closes_at <= now)
    return meeting


def _detail_url(meeting: Meeting, item: AgendaItem | None = None) -> str:
    url = reverse("committees:meeting", args=[meeting.pk])
    return f"{url}#item-{item.pk}" if item is not None else url


# --- the list ------------------------------------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    """The meetings of the user's compounds: voting now, coming up, past (a fixed number of queries)."""
    now = timezone.now()
    voting, upcoming, past = [], [], []
    meetings = Meeting.objects.visible_to(request.user).select_related("compound", "building").order_by("-starts_at", "-id")
    for meeting in meetings[:LIST_LIMIT]:
        _decorate(meeting, now)
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
    })


# --- convening -----------------------------------------------------------------------------------


def _default_convener(user, compound_ids) -> str:
    from governance.models import Role, RoleAssignment

    from .models import CommitteeMember

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
    meeting = _get_meeting(request, pk)
    _require_manager(request, meeting)
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


# --- the notice ----------------------------------------------------------------------------------


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


def _render_detail(request: HttpRequest, meeting: Meeting, *, vote_forms: dict | None = None, status: int = 200):
    user, now = request.user, timezone.now()
    _decorate(meeting, now)
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
    return _render_detail(request, _get_meeting(request, pk))


@login_required
def participation(request: HttpRequest, pk: int) -> HttpResponse:
    """Who has taken part so far, per item (an htmx fragment polled by the notice; a page without htmx)."""
    meeting = _get_meeting(request, pk)
    _decorate(meeting, timezone.now())
    items = list(meeting.items.all())
    context = {"meeting": meeting, "panels": _participation_panels(meeting, items), "poll": meeting.voting_now}
    template = "committees/_participation.html" if request.headers.get("HX-Request") else "committees/participation.html"
    return render(request, template, context)


# --- agenda items --------------------------------------------------------------------------------


@login_required
def item_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an agenda item to a draft; at an assembly the Civil Code matter decides the rule."""
    meeting = _get_meeting(request, pk)
    _require_manager(request, meeting)
    if meeting.status != Status.DRAFT:
        messages.error(request, _("The notice is published: the agenda can no longer be changed."))
        return redirect("committees:meeting", pk=meeting.pk)
    form = ItemForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.item_add(
                meeting=meeting, actor=request.user, title=data["title"], proposer=data["proposer"],
                description=data["description"], kind=data.get("kind") or AgendaItem.Kind.QUESTION,
                matter=data.get("matter"), rule=data.get("rule") or None, seats=data.get("seats"),
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Item %(position)d is added.") % {"position": item.position})
            if item.kind == AgendaItem.Kind.ELECTION:
                return redirect("committees:item", pk=meeting.pk, item_pk=item.pk)
            return redirect("committees:meeting", pk=meeting.pk)
    return render(request, "committees/item_form.html", {"form": form, "meeting": meeting},
                  status=400 if request.method == "POST" else 200)


def _render_item(request: HttpRequest, meeting: Meeting, item: AgendaItem, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    can_manage = permissions.can_manage_meeting(user, meeting)
    comments = list(
        ItemComment.objects.filter(item=item, hidden_at__isnull=True).select_related("author").order_by("created_at", "id")
    )
    for comment in comments:
        comment.author_name = mask_name(comment.author.real_name)
    candidates = list(item.candidates.select_related("user").order_by("position"))
    for candidate in candidates:
        candidate.name = candidate.user.real_name
    can_comment = permissions.can_comment(user, item)
    can_opinion = permissions.can_give_party_opinion(user, item)
    is_election = item.kind == AgendaItem.Kind.ELECTION
    context = {
        "meeting": meeting,
        "item": item,
        "rule_text": explain.rule_summary(item.rule),
        "documents": list(item.documents.all()),
        "comments": comments,
        "candidates": candidates,
        "is_election": is_election,
        "can_comment": can_comment,
        "can_opinion": can_opinion,
        "can_add_candidate": can_manage and is_election and meeting.status == Status.DRAFT,
        "can_add_document": can_manage and meeting.status in (Status.DRAFT, Status.NOTICED),
        "comment_form": forms.get("comment_form") or (CommentForm() if can_comment else None),
        "opinion_form": forms.get("opinion_form") or (
            PartyOpinionForm(initial={"text": item.party_opinion}) if can_opinion else None
        ),
        "candidate_form": forms.get("candidate_form") or CandidateForm(),
        "document_form": forms.get("document_form") or DocumentForm(),
    }
    return render(request, "committees/item_detail.html", context, status=status)


@login_required
def item_detail(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """One item: what is decided, its documents, the party branch's opinion, candidates and the discussion."""
    meeting = _get_meeting(request, pk)
    return _render_item(request, meeting, _get_item(meeting, item_pk))


def _item_write(request, meeting, item, form, form_name: str, attempt, done: str, aliases=None) -> HttpResponse:
    """Run one service from a form posted on the item page; errors go back to the form or into a message."""
    if form.is_valid():
        try:
            attempt(form.cleaned_data)
        except ApplicationError as error:
            field = (aliases or {}).get(error.field or "", error.field)
            if error.code in ("conflict", "forbidden") or field not in form.fields:
                messages.error(request, error.message)
                return redirect("committees:item", pk=meeting.pk, item_pk=item.pk)
            add_service_error(form, error, aliases)
        else:
            messages.success(request, done)
            return redirect("committees:item", pk=meeting.pk, item_pk=item.pk)
    return _render_item(request, meeting, item, status=400, **{form_name: form})


@login_required
@require_POST
def comment_new(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    item = _get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, CommentForm(request.POST), "comment_form",
        lambda data: services.comment_post(item=item, actor=request.user, body=data["body"]),
        _("Your comment is posted."),
    )


@login_required
@require_POST
def party_opinion(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    item = _get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, PartyOpinionForm(request.POST), "opinion_form",
        lambda data: services.party_opinion_set(item=item, actor=request.user, text=data["text"]),
        _("The party branch's opinion is attached to the item."),
    )


@login_required
@require_POST
def candidate_new(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    item = _get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, CandidateForm(request.POST), "candidate_form",
        lambda data: services.candidate_add(
            item=item, actor=request.user, user=data["phone"], statement=data["statement"],
            vetting_note=data["vetting_note"],
        ),
        _("The candidate is added."), aliases={"user": "phone"},
    )


@login_required
@require_POST
def document_new(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = _get_meeting(request, pk)
    item = _get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, DocumentForm(request.POST, request.FILES), "document_form",
        lambda data: services.document_add(item=item, actor=request.user, name=data["name"], file=data["file"]),
        _("The document is attached."),
    )


@login_required
def document_download(request: HttpRequest, pk: int, item_pk: int, doc_pk: int) -> FileResponse:
    """Hand out a document only to those who may see the meeting."""
    meeting = _get_meeting(request, pk)
    item = _get_item(meeting, item_pk)
    document = get_object_or_404(ItemDocument.objects.filter(item=item), pk=doc_pk)
    extension = os.path.splitext(document.file.name)[1]
    filename = document.name if document.name.lower().endswith(extension.lower()) else f"{document.name}{extension}"
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=filename)


# --- convener actions ----------------------------------------------------------------------------


@login_required
def tellers(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the tellers (at least two) who enter the paper ballots."""
    meeting = _get_meeting(request, pk)
    _require_manager(request, meeting)
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
    meeting = _get_meeting(request, pk)
    _require_manager(request, meeting)
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
    meeting = _get_meeting(request, pk)
    _require_manager(request, meeting)
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
    meeting = _get_meeting(request, pk)
    _require_manager(request, meeting)
    _decorate(meeting, timezone.now())
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


# --- voting --------------------------------------------------------------------------------------


@login_required
@require_POST
def vote(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Cast the user's ballot on one item; show the receipt code(s)."""
    meeting = _get_meeting(request, pk)
    item = _get_item(meeting, item_pk)
    form = VoteForm(request.POST, item=item)
    if form.is_valid():
        data = form.cleaned_data
        try:
            ballots = services.vote_online(item=item, actor=request.user, choice=data.get("choice", ""),
                                           candidate_ids=data.get("candidates", []))
        except ApplicationError as error:
            field_names = {f"item_{item.pk}": "candidates" if item.kind == AgendaItem.Kind.ELECTION else "choice"}
            if error.code in ("conflict", "forbidden") or error.field not in field_names:
                messages.error(request, error.message)
                return redirect(_detail_url(meeting, item))
            add_service_error(form, error, field_names)
        else:
            codes = "、".join(b.receipt_code for b in ballots)
            messages.success(request, _(
                "Your vote on item %(position)d is recorded. Your receipt code: %(codes)s. Keep it: with it you can "
                "check that your vote was counted."
            ) % {"position": item.position, "codes": codes})
            return redirect(_detail_url(meeting, item))
    return _render_detail(request, meeting, vote_forms={item.pk: form}, status=400)


@dataclass
class ReceiptAnswer:
    ballot: Ballot
    counted: bool
    status_text: str
    choice_text: str


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """Check a receipt code: counted, replaced or not counted (and why); the choice only after the close."""
    meeting = _get_meeting(request, pk)
    form = ReceiptForm(request.GET if "code" in request.GET else None)
    answer, not_found = None, False
    if form.is_bound and form.is_valid():
        ballot = services.receipt_check(meeting=meeting, code=form.cleaned_data["code"])
        if ballot is None:
            not_found = True
        else:
            choice_text = ""
            if meeting.status == Status.CLOSED:
                if ballot.item.kind == AgendaItem.Kind.ELECTION:
                    names = ballot.marks.select_related("candidate__user").values_list("candidate__user__real_name", flat=True)
                    choice_text = "、".join(names) or _("no candidate marked")
                else:
                    choice_text = ballot.get_choice_display()
            answer = ReceiptAnswer(ballot, ballot.status == Ballot.Status.VALID, ballot.get_status_display(), choice_text)
    return render(request, "committees/receipt.html", {
        "meeting": meeting, "form": form, "answer": answer, "not_found": not_found,
        "closed": meeting.status == Status.CLOSED,
    })


# --- the result ----------------------------------------------------------------------------------


def _yes_needed(outcome: tally.Outcome) -> str:
    t = outcome.thresholds
    params = {"count": t.yes_count, "area": t.yes_area}
    if outcome.rule == tally.MAJORITY:
        return _("more than %(count)s owners and more than %(area)s m²") % params
    if outcome.rule == tally.SUPERMAJORITY:
        return _("at least %(count)s owners and at least %(area)s m²") % params
    if outcome.rule == tally.HOUSEHOLD_MAJORITY:
        return _("more than %(count)s households") % params
    return _("nobody against")


def _question_view(outcome: tally.Outcome) -> dict:
    households = outcome.rule in HOUSEHOLD_RULES
    return {
        "outcome": outcome, "passed": outcome.passed, "reason": explain.explain(outcome), "households": households,
        "yes_needed": _yes_needed(outcome),
        "rows": [
            (_("Took part"), outcome.participation), (_("Agree"), outcome.yes), (_("Disagree"), outcome.no),
            (_("Abstain"), outcome.abstain),
        ],
    }


def _result_items(meeting: Meeting) -> list[dict]:
    """Return what the result notice shows per item, from the results stored at the close."""
    rows = []
    for item in meeting.items.all():
        data = item.result
        if not data:
            continue
        row = {"item": item, "rule_text": explain.rule_summary(item.rule), "election": data.get("kind") == "election"}
        if row["election"]:
            outcome = selectors.election_from_result(data)
            elected = set(data["elected"])
            row.update({
                "outcome": outcome, "passed": outcome.valid_committee, "reason": explain.explain_election(outcome),
                "candidates": [
                    {"name": c.get("name", ""), "is_party_member": c.get("is_party_member", False),
                     "yes": selectors.votes_from_result(c["yes"]), "passed": c["passed"], "elected": c["candidate"] in elected}
                    for c in data["candidates"]
                ],
                "party_share_warning": data.get("party_share_warning", False),
                "party_members_elected": data.get("party_members_elected", 0),
                "elected_count": len(data["elected"]),
            })
        else:
            outcome = selectors.outcome_from_result(data)
            row.update(_question_view(outcome))
            if meeting.non_voters_follow_majority and outcome.clause is not None:
                row["clause"] = _question_view(outcome.clause)
        row["participation"] = outcome.participation
        row["total"] = outcome.total
        row["participation_met"] = outcome.participation_met
        row["need_count"] = outcome.thresholds.participation_count
        row["need_area"] = outcome.thresholds.participation_area
        rows.append(row)
    return rows


def _closed_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = _get_meeting(request, pk)
    if meeting.status != Status.CLOSED:
        raise Http404
    return meeting


@login_required
def result(request: HttpRequest, pk: int) -> HttpResponse:
    """The published result: participation and choices by count and by area, the thresholds, and why."""
    meeting = _closed_meeting(request, pk)
    _decorate(meeting, timezone.now())
    return render(request, "committees/result.html", {"meeting": meeting, "rows": _result_items(meeting)})


@login_required
def result_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The result as a notice for the board: A4, large type, no menus."""
    meeting = _closed_meeting(request, pk)
    return render(request, "committees/result_print.html", {"meeting": meeting, "rows": _result_items(meeting)})

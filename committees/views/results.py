"""Voting online, receipt codes and the published result (choices stay hidden until the close)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import add_service_error

from .. import explain, selectors, services, tally
from ..forms import (
    ReceiptForm,
    VoteForm,
)
from ..models import AgendaItem, Ballot, Meeting
from .common import HOUSEHOLD_RULES, Status, decorate, detail_url, get_item, get_meeting
from .meetings import render_detail


@login_required
@require_POST
def vote(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Cast the user's ballot on one item; show the receipt code(s)."""
    meeting = get_meeting(request, pk)
    item = get_item(meeting, item_pk)
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
                return redirect(detail_url(meeting, item))
            add_service_error(form, error, field_names)
        else:
            codes = "、".join(b.receipt_code for b in ballots)
            messages.success(request, _(
                "Your vote on item %(position)d is recorded. Your receipt code: %(codes)s. Keep it: with it you can "
                "check that your vote was counted."
            ) % {"position": item.position, "codes": codes})
            return redirect(detail_url(meeting, item))
    return render_detail(request, meeting, vote_forms={item.pk: form}, status=400)


@dataclass
class ReceiptAnswer:
    ballot: Ballot
    counted: bool
    status_text: str
    choice_text: str


@login_required
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """Check a receipt code: counted, replaced or not counted (and why); the choice only after the close."""
    meeting = get_meeting(request, pk)
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
    meeting = get_meeting(request, pk)
    if meeting.status != Status.CLOSED:
        raise Http404
    return meeting


@login_required
def result(request: HttpRequest, pk: int) -> HttpResponse:
    """The published result: participation and choices by count and by area, the thresholds, and why."""
    meeting = _closed_meeting(request, pk)
    decorate(meeting, timezone.now())
    return render(request, "committees/result.html", {"meeting": meeting, "rows": _result_items(meeting)})


@login_required
def result_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The result as a notice for the board: A4, large type, no menus."""
    meeting = _closed_meeting(request, pk)
    return render(request, "committees/result_print.html", {"meeting": meeting, "rows": _result_items(meeting)})

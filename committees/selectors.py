"""Reads: live participation and the tally over the database, aggregated in SQL.

Whatever the electorate's size, an item's tally costs a fixed number of queries: the electorate's
sums (one), the valid ballots' sums by choice (one) and, for elections, the marks by candidate (one).
The sums go to `tally.decide()` / `tally.decide_election()`, the same functions `manage.py tally` uses.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from . import tally
from .models import AgendaItem, Ballot, Candidate, Elector, Meeting

ZERO = Decimal("0")


def electorate_total(meeting: Meeting) -> tally.Votes:
    """Return the electorate's owner count and area (one query)."""
    sums = Elector.objects.filter(meeting=meeting).aggregate(n=Count("id"), area=Sum("area_m2"))
    return tally.Votes(sums["n"], sums["area"] or ZERO)


def choice_sums(item: AgendaItem) -> dict[str, tally.Votes]:
    """Return the valid ballots' owners and area by choice (one query)."""
    rows = (
        Ballot.objects.filter(item=item, status=Ballot.Status.VALID)
        .values("choice").annotate(n=Count("id"), area=Sum("elector__area_m2")).order_by()
    )
    sums = {choice: tally.Votes() for choice in tally.CHOICES}
    for row in rows:
        sums[row["choice"] or tally.ABSTAIN] = tally.Votes(row["n"], row["area"] or ZERO)
    return sums


def participation(item: AgendaItem) -> tally.Votes:
    """Return who has taken part in an item so far (valid ballots of any choice)."""
    sums = choice_sums(item)
    return sums[tally.YES] + sums[tally.NO] + sums[tally.ABSTAIN]


def participation_by_item(meeting: Meeting) -> dict[int, tally.Votes]:
    """Return item id -> participation for every item of a meeting (one query)."""
    rows = (
        Ballot.objects.filter(item__meeting=meeting, status=Ballot.Status.VALID)
        .values("item_id").annotate(n=Count("id"), area=Sum("elector__area_m2")).order_by()
    )
    return {row["item_id"]: tally.Votes(row["n"], row["area"] or ZERO) for row in rows}


def item_outcome(item: AgendaItem, *, meeting: Meeting | None = None, total: tally.Votes | None = None):
    """Return the item's outcome (tally.Outcome, or tally.ElectionOutcome for elections)."""
    meeting = meeting or item.meeting
    total = total if total is not None else electorate_total(meeting)
    sums = choice_sums(item)
    if item.kind == AgendaItem.Kind.ELECTION:
        # One query gives the candidates in ballot order with the owners and area that marked them.
        counted = Q(marks__ballot__status=Ballot.Status.VALID)
        rows = (
            Candidate.objects.filter(item=item).order_by("position")
            .annotate(n=Count("marks", filter=counted), area=Sum("marks__ballot__elector__area_m2", filter=counted))
            .values_list("pk", "n", "area")
        )
        yes = {str(pk): tally.Votes(n, area or ZERO) for pk, n, area in rows}
        order = list(yes)
        taken = sums[tally.YES] + sums[tally.NO] + sums[tally.ABSTAIN]
        return tally.decide_election(seats=item.seats, total=total, participation=taken, yes_by_candidate=yes, order=order)
    return tally.decide(
        rule=item.rule, total=total, yes=sums[tally.YES], no=sums[tally.NO], abstain=sums[tally.ABSTAIN],
        non_voters_follow_majority=meeting.non_voters_follow_majority,
    )


def item_outcome_dict(item: AgendaItem, *, meeting: Meeting | None = None) -> dict:
    """Return the outcome as stored on the item when the result is published (JSON-ready)."""
    outcome = item_outcome(item, meeting=meeting)
    data = outcome.as_dict()
    data["kind"] = item.kind
    data["passed"] = outcome.valid_committee if item.kind == AgendaItem.Kind.ELECTION else outcome.passed
    if item.kind == AgendaItem.Kind.ELECTION:
        names = {str(c.pk): (c.user.real_name, c.is_party_member) for c in item.candidates.select_related("user")}
        for row in data["candidates"]:
            row["name"], row["is_party_member"] = names.get(row["candidate"], ("", False))
        elected_party = sum(1 for c in data["elected"] if names.get(c, ("", False))[1])
        data["party_members_elected"] = elected_party
        data["party_share_warning"] = bool(data["elected"]) and 2 * elected_party < len(data["elected"])
    return data


# --- the stored result, read back (to explain it in words; nothing is counted again) ---------------


def votes_from_result(data: dict) -> tally.Votes:
    return tally.Votes(int(data["count"]), Decimal(data["area"]))


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def _thresholds(data: dict) -> tally.Thresholds:
    return tally.Thresholds(
        data["participation_count"], _decimal(data["participation_area"]), data["yes_count"], _decimal(data["yes_area"]),
        data["yes_strictly_more"],
    )


def outcome_from_result(data: dict) -> tally.Outcome:
    """Return the tally.Outcome an item's stored `result` was written from (to explain it in words)."""
    clause = data.get("clause")
    return tally.Outcome(
        rule=data["rule"], total=votes_from_result(data["total"]), participation=votes_from_result(data["participation"]),
        yes=votes_from_result(data["yes"]), no=votes_from_result(data["no"]), abstain=votes_from_result(data["abstain"]),
        participation_met=data["participation_met"], passed=bool(data["passed"]), reason=data["reason"],
        thresholds=_thresholds(data["thresholds"]), clause=outcome_from_result(clause) if clause else None,
    )


def election_from_result(data: dict) -> tally.ElectionOutcome:
    """Return the election outcome of a stored result; ties name the candidates, not their ids."""
    names = {row["candidate"]: row.get("name") or row["candidate"] for row in data["candidates"]}
    return tally.ElectionOutcome(
        seats=data["seats"], total=votes_from_result(data["total"]), participation=votes_from_result(data["participation"]),
        participation_met=data["participation_met"], thresholds=_thresholds(data["thresholds"]),
        candidates=[
            tally.CandidateResult(row["candidate"], votes_from_result(row["yes"]), row["passed"], row["reason"], row["elected"])
            for row in data["candidates"]
        ],
        elected=list(data["elected"]), tie_at_last_seat=[names.get(c, c) for c in data["tie_at_last_seat"]],
        valid_committee=data["valid_committee"], reason=data["reason"],
    )

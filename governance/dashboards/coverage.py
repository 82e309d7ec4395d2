"""Governance coverage of a set of compounds (issue 6 §3), from whatever data exists.

Four queries whatever the number of compounds, members, meetings or ballots:
1. compounds, those with an owners' committee in office and those with a compound party branch (one aggregate);
2. current committee members and how many of them are party members (one aggregate);
3. meetings held in the range (one count);
4. closed votes in the range and their average turnout, read from the result stored on each item when the
   vote closed (participation and electorate owner counts; nothing is counted again).

Rates are percentages with one decimal, None when there is nothing to divide (shown as "—"), like kpis.py.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.models import Compound, PartyOrganisation

PARTY_BRANCH_TARGET = 100  # % of compounds with a compound party branch
PARTY_SHARE_TARGET = 50  # % of current committee members who are party members (at least)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _row(key, label, definition, part, whole, target=None) -> dict:
    rate = _pct(part, whole)
    return {
        "key": key, "label": label, "definition": definition, "count": part, "of": whole, "rate": rate,
        "target": target, "met": None if target is None or rate is None else rate >= target,
        "bar": min(100, max(0, rate or 0)),
    }


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """Aware datetimes [start 00:00, day after end 00:00) in the project time zone."""
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(start, time.min), tz) if start else None
    hi = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz) if end else None
    return lo, hi


def _in_range(field: str, lo, hi) -> Q:
    q = Q()
    if lo is not None:
        q &= Q(**{f"{field}__gte": lo})
    if hi is not None:
        q &= Q(**{f"{field}__lt": hi})
    return q


def coverage_for(compounds: QuerySet[Compound], start: date | None = None, end: date | None = None) -> dict:
    """Return the governance coverage of `compounds` (four queries).

    `start`/`end` (inclusive dates) bound the meetings and votes; without them every meeting and vote counts.
    The result is JSON-ready: {"compounds", "rows": [...], "committee", "party_branch", "party_share",
    "meetings_held", "votes_closed", "turnout", "start", "end"}.
    """
    from committees.models import AgendaItem, CommitteeMember, Meeting, OwnersCommittee
    from residents.models import PartyMembership

    ids = compounds.order_by().values("pk")
    today = timezone.localdate()

    has_committee = OwnersCommittee.objects.filter(compound_id=OuterRef("pk"), status=OwnersCommittee.Status.ACTIVE)
    has_branch = PartyOrganisation.objects.filter(compound_id=OuterRef("pk"), kind=PartyOrganisation.Kind.COMPOUND_BRANCH)
    places = Compound.objects.filter(pk__in=ids).aggregate(
        total=Count("pk"),
        committee=Count("pk", filter=Exists(has_committee)),
        branch=Count("pk", filter=Exists(has_branch)),
    )

    # A party member: marked so on the person, or holding a current membership of any party organisation.
    in_party = PartyMembership.objects.filter(user_id=OuterRef("user_id")).filter(Q(end__isnull=True) | Q(end__gte=today))
    members = CommitteeMember.objects.current().filter(committee__compound_id__in=ids).aggregate(
        total=Count("pk"),
        party=Count("pk", filter=Q(user__is_party_member=True) | Exists(in_party)),
    )

    lo, hi = _bounds(start, end)
    now = timezone.now()
    # Held: the notice was published and the meeting time has come (closed votes included); never cancelled.
    meetings_held = Meeting.objects.filter(
        _in_range("starts_at", lo, hi), compound_id__in=ids, starts_at__lte=now,
        status__in=[Meeting.Status.NOTICED, Meeting.Status.CLOSED],
    ).count()

    # Turnout of each closed item = owners taking part ÷ owners in the electorate, as stored with the result.
    taken = Cast(KeyTextTransform("count", KeyTransform("participation", "result")), FloatField())
    electorate = NullIf(Cast(KeyTextTransform("count", KeyTransform("total", "result")), FloatField()), 0.0)
    votes = AgendaItem.objects.filter(
        _in_range("meeting__result_published_at", lo, hi), meeting__compound_id__in=ids,
        meeting__status=Meeting.Status.CLOSED, result__isnull=False,
    ).aggregate(closed=Count("pk"), turnout=Avg(100.0 * taken / electorate))
    turnout = votes["turnout"]

    total = places["total"]
    committee = _row("committee", _("Compounds with an owners' committee"),
                     _("Compounds whose owners' committee is in office ÷ all compounds."), places["committee"], total)
    branch = _row("party_branch", _("Compounds with a party branch"),
                  _("Compounds with a compound party branch ÷ all compounds. Target: every compound."),
                  places["branch"], total, PARTY_BRANCH_TARGET)
    share = _row("party_share", _("Party members on owners' committees"),
                 _("Current committee members who are party members ÷ all current committee members. "
                   "Target: at least half."), members["party"], members["total"], PARTY_SHARE_TARGET)
    return {
        "compounds": total,
        "committee": committee,
        "party_branch": branch,
        "party_share": share,
        "rows": [committee, branch, share],
        "meetings_held": meetings_held,
        "votes_closed": votes["closed"],
        "turnout": None if turnout is None else round(float(turnout), 1),
        "start": start,
        "end": end,
    }


"""The dashboards' rollups: kept incrementally as cases move, they equal a rebuild from scratch and a direct
aggregation of the cases, dispatches and surveys (PostgreSQL).

Random cases of four compounds in two streets live through the real services (file, accept, recategorise,
merge, reject, ask for information, dispatch, 报到, return, extend, park, resolve, verify, confirm, close
unconfirmed, follow-up and recheck answers, reopen), with filing times spread over four months and some
deadlines missed; the queue is drained between rounds, as the on-commit drains would.
"""

from __future__ import annotations

import calendar
import random
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import BigIntegerField, Count, Exists, F, Func, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services
from complaints.models import (
    Answer,
    Complaint,
    Dispatch,
    DispatchStatus,
    HandlerKind,
    Rating,
    Status,
    Survey,
    TimelineEvent,
)
from complaints.surveys import defaults, scheduling, stats
from complaints.surveys.services import survey_answer
from core.errors import ApplicationError
from governance.dashboards import facts, rollup, tasks
from governance.dashboards.models import (
    CASE_COUNTERS,
    DISPATCH_COUNTERS,
    ComplaintFact,
    DailyComplaintStats,
    DailyDispatchStats,
    MonthlyComplaintStats,
    MonthlyDispatchStats,
    RollupQueue,
)
from governance.models import PartyOrganisation, Role, ServiceContract
from governance.services import department_create

from .. import factories
from ..conftest import require

pytestmark = pytest.mark.django_db
CATEGORIES = ["facilities", "parking", "neighbours", "other"]
CLOSED = [Status.CLOSED, Status.CLOSED_UNCONFIRMED]
STATS = (DailyComplaintStats, MonthlyComplaintStats, DailyDispatchStats, MonthlyDispatchStats)


@pytest.fixture(autouse=True)
def survey_templates(db):
    defaults.create(django_apps)  # a transactional test earlier in the session flushed them


@pytest.fixture
def world(db, make_staff):
    """Two streets, three communities, four compounds (three units with owners each), two property companies,
    party branches, two departments, and the staff of each."""
    from residents.models import User

    admin = User.objects.filter(is_superuser=True).first()
    district = factories.DistrictFactory()
    streets = [factories.StreetFactory(district=district) for _ in range(2)]
    communities = [factories.CommunityFactory(street=s) for s in (streets[0], streets[0], streets[1])]
    companies = [factories.PropertyCompanyFactory() for _ in range(2)]
    departments = [department_create(district=district, name=name, actor=admin) for name in ("城管局", "住建局")]
    w = {"streets": streets, "departments": departments, "compounds": [], "staff": {},
         "street_staff": {s.pk: make_staff(Role.STREET_STAFF, s) for s in streets},
         "dept_staff": {d.pk: make_staff(Role.DEPARTMENT_STAFF, d) for d in departments},
         "company_staff": {c.pk: make_staff(Role.PROPERTY_STAFF, c) for c in companies}}
    for i, community in enumerate([communities[0], communities[0], communities[1], communities[2]]):
        grid = factories.GridFactory(community=community)
        compound = factories.CompoundFactory(community=community)
        building = factories.BuildingFactory(compound=compound, grid=grid)
        units = [factories.UnitFactory(building=building) for _ in range(3)]
        owners = [factories.OwnershipFactory(unit=u).user for u in units]
        ServiceContract.objects.create(compound=compound, company=companies[i // 3], start="2024-01-01",
                                       fee_per_m2_month="1.50")
        PartyOrganisation.objects.create(kind="compound_branch", name=f"党支部{i}", compound=compound)
        w["compounds"].append({"compound": compound, "units": units, "owners": owners,
                               "spare_unit": factories.UnitFactory(building=building),
                               "secretary": make_staff(Role.PARTY_SECRETARY, compound)})
        w["staff"].setdefault(community.pk, make_staff(Role.COMMUNITY_STAFF, community))
    return w


# --- the random life of cases, through the services --------------------------------------------------


class Life:
    """Moves cases one random step at a time through the services, as the people of `world` would."""

    def __init__(self, w, rng: random.Random):
        self.w, self.rng = w, rng
        self.places = {c["compound"].pk: c for c in w["compounds"]}

    def file(self, place, *, unit=None, category=None) -> Complaint:
        rng = self.rng
        return services.complaint_file(
            actor=rng.choice(place["owners"]), compound=place["compound"], category=category or rng.choice(CATEGORIES),
            urgency=rng.choice(["general", "general", "utilities"]), title="楼道灯坏了", description="一周了",
            place_kind="unit", unit=unit or rng.choice(place["units"]),
        )

    def staff(self, case):
        return self.w["staff"][case.compound.community_id]

    def worker(self, dispatch: Dispatch):
        if dispatch.handler_kind == HandlerKind.DEPARTMENT:
            return self.w["dept_staff"][dispatch.department_id]
        if dispatch.handler_kind == HandlerKind.PROPERTY:
            return self.w["company_staff"][dispatch.property_company_id]
        return self.places[dispatch.complaint.compound_id]["secretary"]

    def late(self, share: float = 0.3) -> bool:
        return self.rng.random() < share

    def step(self, case: Complaint) -> None:
        try:
            with transaction.atomic():
                self._step(Complaint.objects.select_related("compound").get(pk=case.pk))
        except ApplicationError:
            pass  # a refusal (a handler that has the case already, a survey not open): nothing changed

    def _step(self, case: Complaint) -> None:
        rng, staff, r = self.rng, self.staff(case), self.rng.random()
        s = case.status
        if s in (Status.SUBMITTED, Status.ACCEPTED, Status.HANDLING) and r < 0.08:
            services.complaint_recategorize(complaint=case, actor=staff, category=rng.choice(CATEGORIES),
                                            urgency=case.urgency)
        elif s in (Status.SUBMITTED, Status.ACCEPTED) and r < 0.14:
            others = Complaint.objects.filter(compound=case.compound, status__in=[Status.SUBMITTED, Status.ACCEPTED]
                                              ).exclude(pk=case.pk).order_by("pk")
            if others:
                services.complaint_merge(complaint=case, into=rng.choice(list(others)), actor=staff)
        elif s in (Status.SUBMITTED, Status.ACCEPTED) and r < 0.18:
            services.complaint_request_info(complaint=case, actor=staff, question="是哪个房间？")
        elif s == Status.SUBMITTED:
            if r < 0.26:
                services.complaint_reject(complaint=case, actor=staff, reason="不属于受理范围")
            else:
                category = rng.choice(CATEGORIES) if rng.random() < 0.2 else None
                services.complaint_accept(complaint=case, actor=staff, category=category)
        elif s == Status.NEEDS_INFO:
            services.complaint_provide_info(complaint=case, actor=case.reporter, answer="主卧")
        elif s == Status.ACCEPTED:
            self.dispatch(case, staff)
        elif s == Status.HANDLING:
            self.handle(case, staff)
        elif s == Status.RESOLVED:
            if self.late(0.2):
                Complaint.objects.filter(pk=case.pk).update(handle_due_at=case.resolved_at - timedelta(minutes=5))
            if r < 0.8:
                services.complaint_verify(complaint=case, actor=staff, passed=True)
            else:
                services.complaint_verify(complaint=case, actor=staff, passed=False, note="还在漏水")
        elif s == Status.AWAITING_CONFIRMATION:
            if r < 0.25:
                services.complaint_close_unconfirmed(complaint=case, now=timezone.now() + timedelta(days=8))
            else:
                answer, rating = rng.choice(list(Answer)), rng.choice(list(Rating))
                services.complaint_confirm(complaint=case, actor=case.reporter, answer=answer, rating=rating,
                                           comment="还是不行" if answer == Answer.NOT_SOLVED or rating == Rating.DISSATISFIED
                                           else "")
        elif s in CLOSED and r < 0.6:
            self.survey(case)
        self.rate(case)

    def dispatch(self, case, staff) -> None:
        kind = self.rng.choice([HandlerKind.DEPARTMENT, HandlerKind.DEPARTMENT, HandlerKind.PROPERTY,
                                HandlerKind.PARTY_BRANCH])
        department = self.rng.choice(self.w["departments"]) if kind == HandlerKind.DEPARTMENT else None
        services.complaint_dispatch(complaint=case, actor=staff, handler_kind=kind, department=department)

    def handle(self, case, staff) -> None:
        D, rng = DispatchStatus, self.rng
        dispatches = list(case.dispatches.open().filter(round=case.round).select_related("complaint"))
        if not dispatches or rng.random() < 0.05:
            return self.dispatch(case, staff)
        d = rng.choice(dispatches)
        worker, r = self.worker(d), rng.random()
        if d.status == D.PENDING:
            if self.late():
                Dispatch.objects.filter(pk=d.pk).update(acknowledge_due_at=timezone.now() - timedelta(minutes=1))
            if r < 0.8:
                services.dispatch_acknowledge(dispatch=d, actor=worker)
            else:
                self.give_back(d, worker)
        elif d.status == D.ACKNOWLEDGED:
            if r < 0.6:
                if self.late():
                    Dispatch.objects.filter(pk=d.pk).update(handle_due_at=timezone.now() - timedelta(minutes=1))
                services.dispatch_resolve(dispatch=d, actor=worker, result="已修好")
            elif r < 0.75:
                services.dispatch_request_extension(dispatch=d, actor=worker, hours=48, reason="等配件")
            elif r < 0.85 and d.handler_kind == HandlerKind.DEPARTMENT:
                services.dispatch_park(dispatch=d, actor=worker, plan="列入明年改造计划")
            else:
                self.give_back(d, worker)
        else:  # extension requested
            street = self.w["street_staff"][case.compound.community.street_id]
            services.dispatch_decide_extension(dispatch=d, actor=street, approve=r < 0.7)

    def give_back(self, d: Dispatch, worker) -> None:
        other = next((x for x in self.w["departments"] if x.pk != d.department_id), None)
        services.dispatch_return(dispatch=d, actor=worker, reason="不归我们管",
                                 belongs_to=other if d.handler_kind == HandlerKind.DEPARTMENT else None)

    def rate(self, case) -> None:
        unrated = case.dispatches.filter(handler_kind=HandlerKind.DEPARTMENT, community_score__isnull=True,
                                         status__in=[DispatchStatus.RESOLVED, DispatchStatus.PARKED,
                                                     DispatchStatus.RETURNED]).order_by("pk").first()
        if unrated is not None and self.rng.random() < 0.4:
            services.dispatch_rate(dispatch=unrated, actor=self.staff(case), score=self.rng.randint(1, 5))

    def survey(self, case) -> None:
        rng = self.rng
        survey = case.surveys.filter(status__in=[Survey.Status.SCHEDULED, Survey.Status.INVITED]).order_by("invite_at").first()
        if survey is None:
            return
        if survey.status == Survey.Status.SCHEDULED:
            scheduling.surveys_sweep(now=survey.invite_at + timedelta(minutes=1))
            survey.refresh_from_db()
        if survey.status != Survey.Status.INVITED or rng.random() < 0.2:
            return  # sent, not answered (yet)
        answers = {"speed": rng.randint(1, 5), "attitude": rng.randint(1, 5), "comment": "又坏了"}
        if survey.purpose == Survey.Purpose.CASE_FOLLOWUP:
            answers |= {"solved": rng.choice(list(Survey.Solved)), "satisfaction": rng.choice(list(Survey.Satisfaction))}
        else:
            answers["still_fixed"] = rng.choice(["yes", "yes", "no"])
        survey_answer(survey=survey, answers=answers)


def live(w, *, seed: int, per_compound: int = 12, rounds: int = 14) -> list[Complaint]:
    """File random cases, spread their filing times over four months, then move them round by round."""
    rng = random.Random(seed)
    life = Life(w, rng)
    cases = [life.file(place) for place in w["compounds"] for _ in range(per_compound)]
    # Two cases of a unit of their own filed at the same instant: the smaller id counts as the earlier.
    place = w["compounds"][0]
    twins = [life.file(place, unit=place["spare_unit"], category="parking") for _ in range(2)]
    now = timezone.now()
    for case in cases:
        filed = now - timedelta(days=rng.uniform(0, 120), seconds=rng.randint(0, 86_400))
        due = filed + timedelta(hours=24) if life.late(0.5) else now + timedelta(hours=24)
        Complaint.objects.filter(pk=case.pk).update(created_at=filed, accept_due_at=due)
    Complaint.objects.filter(pk__in=[t.pk for t in twins]).update(created_at=now - timedelta(days=40))
    rollup.drain()
    for n in range(rounds):
        for case in rng.sample(cases, len(cases)):
            life.step(case)
        if n % 3 == 1:
            rollup.sync_cases(rng.sample([c.pk for c in cases], 10))  # an unneeded sync changes nothing
        rollup.drain()
    return cases + twins


# --- reading the rollups, and the direct aggregation -----------------------------------------------


def snapshot() -> dict:
    """Every non-zero rollup row and every fact, without ids."""
    tables = {}
    for model in STATS:
        rows = set()
        for row in model.objects.values():
            row.pop("id")
            rows.add(tuple(sorted(row.items())))
        tables[model.__name__] = rows
    tables["facts"] = {(pk, repr(rows)) for pk, rows in ComplaintFact.objects.values_list("complaint_id", "rows")}
    return tables


def split(start: date, end: date) -> tuple[list[date], list[date]]:
    """Whole months inside [start, end] (their first days) and the days left at the edges."""
    months, days, day = [], [], start
    while day <= end:
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        if day.day == 1 and last <= end:
            months.append(day)
            day = last + timedelta(days=1)
        else:
            days.append(day)
            day += timedelta(days=1)
    return months, days


CASE_GROUPS = {"compound": "compound_id", "category": "category", "street": "compound__community__street_id"}
DISPATCH_GROUPS = {"handler": (), "street": ("compound__community__street_id",), "category": ("category",)}
RAW_DISPATCH_GROUPS = {"handler": (), "street": ("complaint__compound__community__street_id",),
                       "category": ("complaint__category",)}


def _nonzero(sums: dict) -> dict:
    return {key: {c: n for c, n in counters.items() if n} for key, counters in sums.items() if any(counters.values())}


def rollup_sums(kind: str, start: date, end: date, group: str) -> dict:
    """Sum the rollups over [start, end]: whole months from the monthly table, edge days from the daily one."""
    daily, monthly, counters = ((DailyComplaintStats, MonthlyComplaintStats, CASE_COUNTERS) if kind == "case"
                                else (DailyDispatchStats, MonthlyDispatchStats, DISPATCH_COUNTERS))
    fields = [CASE_GROUPS[group]] if kind == "case" else [*DISPATCH_GROUPS[group], "handler_kind", "handler_id"]
    months, days = split(start, end)
    sums: dict = defaultdict(lambda: dict.fromkeys(counters, 0))
    for rows in (monthly.objects.filter(month__in=months), daily.objects.filter(day__in=days)):
        for row in rows.values(*fields, *counters):
            acc = sums[tuple(row[f] for f in fields)]
            for c in counters:
                acc[c] += row[c]
    return _nonzero(sums)


class Seconds(Func):
    """Whole seconds from the second expression to the first, rounded down."""

    template = "FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)))"
    arg_joiner = " - "
    output_field = BigIntegerField()


def _count(q: Q) -> Count:
    return Count("pk", filter=q)


def _sum(expression, q: Q) -> Coalesce:
    return Coalesce(Sum(expression, filter=q), 0)


def raw_case_sums(start: date, end: date, group: str) -> dict:
    """The case counters straight from Complaint, Dispatch and Survey, by the definitions in models.py."""
    closed = Q(status__in=CLOSED)
    answered = Survey.objects.filter(complaint=OuterRef("pk"), status=Survey.Status.ANSWERED,
                                     purpose__in=facts.CASE_SURVEYS).exclude(satisfaction="")
    last_answer = answered.order_by("-answered_at", "-invite_at", "-id")
    followup = Survey.objects.filter(complaint=OuterRef("pk"), purpose=Survey.Purpose.CASE_FOLLOWUP,
                                     invited_at__isnull=False).exclude(status=Survey.Status.CANCELLED)
    before = Complaint.objects.filter(
        unit=OuterRef("unit"), category=OuterRef("category"),
        created_at__range=(OuterRef("created_at") - timedelta(days=30), OuterRef("created_at")),
    ).exclude(pk=OuterRef("pk")).exclude(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    cases = Complaint.objects.filter(created_at__date__gte=start, created_at__date__lte=end).annotate(
        has_department=Exists(Dispatch.objects.filter(complaint=OuterRef("pk"), handler_kind=HandlerKind.DEPARTMENT)),
        sent=Exists(followup), answered=Exists(followup.filter(status=Survey.Status.ANSWERED)),
        earlier=Exists(before),
        word_at=Subquery(last_answer.values("answered_at")[:1]), word=Subquery(last_answer.values("satisfaction")[:1]),
    )
    # The latest satisfaction word: a survey answer later than the confirmation, else the confirmation.
    survey_wins = Q(word_at__isnull=False) & (Q(status=Status.CLOSED_UNCONFIRMED) | Q(rating="") |
                                              Q(word_at__gt=F("closed_at")))
    latest = {name: closed & ((survey_wins & Q(word=name)) | (~survey_wins & Q(status=Status.CLOSED, rating=name)))
              for name in Rating.values}
    finished_in_time = (Q(handle_due_at__isnull=True) | Q(resolved_at__lte=F("handle_due_at"))
                        | Q(resolved_at__isnull=True, closed_at__lte=F("handle_due_at")))
    accepted = Q(accepted_at__isnull=False)
    rows = cases.values(CASE_GROUPS[group]).annotate(
        filed=Count("pk"), rejected=_count(Q(status=Status.REJECTED)), merged=_count(Q(status=Status.MERGED)),
        accepted=_count(accepted), accepted_on_time=_count(accepted & (Q(accepted_at__lte=F("accept_due_at")) | Q(accept_due_at__isnull=True))),
        accept_seconds=_sum(Seconds(F("accepted_at"), F("created_at")), accepted),
        whistled=_count(Q(has_department=True)), closed=_count(closed),
        closed_unconfirmed=_count(Q(status=Status.CLOSED_UNCONFIRMED)),
        closed_on_time=_count(closed & finished_in_time),
        close_seconds=_sum(Seconds(F("closed_at"), F("created_at")), closed),
        rated=_count(latest["satisfied"] | latest["basically"] | latest["dissatisfied"]),
        satisfied=_count(latest["satisfied"]), basically=_count(latest["basically"]),
        dissatisfied=_count(latest["dissatisfied"]), reopened=_count(Q(redo_count__gt=0)),
        followup_sent=_count(closed & Q(sent=True)), followup_answered=_count(closed & Q(answered=True)),
        repeat=_count(Q(unit__isnull=False, earlier=True)),
    ).order_by()
    sums = {}
    for row in rows:
        key = (row.pop(CASE_GROUPS[group]),)
        cf = stats.case_figures(cases.filter(**{CASE_GROUPS[group]: key[0]}))
        sums[key] = {**row, "solved": cf["solved"]}
        assert (row["closed"], row["rated"], row["satisfied"] + row["basically"]) == (
            cf["closed"], cf["rated"], cf["satisfied"]), key
    return _nonzero(sums)


def raw_dispatch_sums(start: date, end: date, group: str) -> dict:
    """The dispatch counters straight from Dispatch; the case outcome per handler from case_figures()."""
    fields = [*RAW_DISPATCH_GROUPS[group], "handler_kind", "hid"]
    dispatches = Dispatch.objects.filter(
        complaint__created_at__date__gte=start, complaint__created_at__date__lte=end,
    ).annotate(hid=Coalesce("department_id", "property_company_id", Value(0)))
    acknowledged, resolved = Q(acknowledged_at__isnull=False), Q(resolved_at__isnull=False)
    rows = dispatches.values(*fields).annotate(
        dispatched=Count("pk"), acknowledged=_count(acknowledged),
        ack_on_time=_count(Q(acknowledged_at__lte=F("acknowledge_due_at"))),
        ack_seconds=_sum(Seconds(F("acknowledged_at"), F("created_at")), acknowledged),
        resolved=_count(resolved), resolved_on_time=_count(Q(resolved_at__lte=F("handle_due_at"))),
        handle_seconds=_sum(Seconds(F("resolved_at"), F("created_at")), resolved),
        returned=_count(Q(status=DispatchStatus.RETURNED)), parked=_count(Q(status=DispatchStatus.PARKED)),
        extended=_count(Q(extension_hours__isnull=False)), redo=_count(Q(is_redo=True)),
        score_sum=Coalesce(Sum("community_score"), 0), score_count=Count("community_score"),
        cases=Count("complaint", distinct=True),
    ).order_by()
    sums = {}
    for row in rows:
        key = tuple(row.pop(f) for f in fields)
        mine = Complaint.objects.filter(pk__in=dispatches.filter(**dict(zip(fields, key, strict=True)))
                                        .values("complaint_id"))
        cf = stats.case_figures(mine)
        sums[key] = {**row, "closed": cf["closed"], "solved": cf["solved"], "rated": cf["rated"],
                     "satisfied": cf["satisfied"]}
    return _nonzero(sums)


def ranges(cases) -> list[tuple[date, date]]:
    days = sorted(timezone.localdate(c.created_at) for c in Complaint.objects.filter(pk__in=[c.pk for c in cases]))
    first, last = days[0], days[-1]
    second_month = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [
        (first, last),  # everything
        (first + timedelta(days=3), last - timedelta(days=5)),  # cuts the first and the last month
        (second_month, (second_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)),  # one whole month
        (second_month + timedelta(days=9), second_month + timedelta(days=20)),  # inside one month
        (second_month - timedelta(days=6), second_month + timedelta(days=44)),  # edge, a month, edge
    ]


# --- tests -----------------------------------------------------------------------------------------


def test_the_kept_rollups_equal_a_rebuild_and_a_direct_aggregation_of_the_cases(world):
    require(connection.vendor == "postgresql", "the rollup test needs PostgreSQL (set DATABASE_URL)")
    cases = live(world, seed=20261128)
    statuses = set(Complaint.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.CLOSED_UNCONFIRMED, Status.REJECTED, Status.MERGED, Status.HANDLING} <= statuses
    assert Survey.objects.filter(status=Survey.Status.ANSWERED).exists()
    assert Complaint.objects.filter(redo_count__gt=0).exists()
    assert not RollupQueue.objects.exists()
    twins = ComplaintFact.objects.filter(complaint_id__in=[c.pk for c in cases[-2:]]).order_by("complaint_id")
    assert ["repeat" in fact.rows[0][-1] for fact in twins] == [False, True]  # filed at the same instant

    kept = snapshot()
    assert rollup.sync_cases([c.pk for c in cases]) == {"cases": len(cases), "changed": 0}  # idempotent
    assert snapshot() == kept
    counts = rollup.rebuild()
    assert counts["cases"] == len(cases)
    assert snapshot() == kept

    # The data has a bit of everything: every counter is non-zero somewhere, and some steps were late.
    everything = (date(2000, 1, 1), date(2100, 1, 1))
    for kind, counters in (("case", CASE_COUNTERS), ("dispatch", DISPATCH_COUNTERS)):
        totals = rollup_sums(kind, *everything, "street").values()
        assert not [c for c in counters if not sum(t.get(c, 0) for t in totals)], kind
    late = rollup_sums("case", *everything, "street").values()
    assert sum(t["accepted"] - t["accepted_on_time"] + t["closed"] - t["closed_on_time"] for t in late) > 0
    kinds = set(TimelineEvent.objects.values_list("kind", flat=True))
    assert {"recategorized", "merged", "rejected", "returned", "reopened_by_survey", "verification_failed"} <= kinds
    for start, end in ranges(cases):
        for group in CASE_GROUPS:
            assert rollup_sums("case", start, end, group) == raw_case_sums(start, end, group), (start, end, group)
        for group in DISPATCH_GROUPS:
            assert rollup_sums("dispatch", start, end, group) == raw_dispatch_sums(start, end, group), (start, end, group)


def test_syncing_twice_changes_nothing_and_a_recategorised_case_moves_the_repeat_flag(world):
    life = Life(world, random.Random(7))
    place = world["compounds"][0]
    unit, staff = place["units"][1], world["staff"][place["compound"].community_id]
    first = life.file(place, unit=unit, category="parking")
    second = life.file(place, unit=unit, category="parking")
    rollup.drain()
    assert rollup_sums("case", date(2000, 1, 1), date(2100, 1, 1), "category")[("parking",)]["repeat"] == 1
    kept = snapshot()
    assert rollup.sync_cases([first.pk, second.pk])["changed"] == 0
    assert rollup.drain() == {"claimed": 0, "cases": 0, "changed": 0}
    assert snapshot() == kept

    services.complaint_recategorize(complaint=first, actor=staff, category="neighbours", urgency="general")
    result = rollup.drain()
    assert result["cases"] == 2 and result["changed"] == 2  # the case, then the later one of its unit
    sums = rollup_sums("case", date(2000, 1, 1), date(2100, 1, 1), "category")
    assert "repeat" not in sums[("parking",)] and "repeat" not in sums[("neighbours",)]
    assert not MonthlyComplaintStats.objects.filter(filed=0).exists()  # a key left empty is removed
    after = snapshot()
    rollup.rebuild()
    assert snapshot() == after


def test_drain_costs_the_same_queries_for_1_and_20_cases(world, django_assert_num_queries):
    life = Life(world, random.Random(3))
    place = world["compounds"][1]

    def drain_queries(n: int) -> tuple[int, int]:
        """Queries of the drain after filing n cases, and after accepting and dispatching them."""
        cases = [life.file(place) for _ in range(n)]
        with CaptureQueriesContext(connection) as filed:
            assert rollup.drain()["changed"] == n
        for case in cases:
            services.complaint_accept(complaint=case, actor=life.staff(case))
            services.complaint_dispatch(complaint=case, actor=life.staff(case), handler_kind=HandlerKind.PROPERTY)
        with CaptureQueriesContext(connection) as moved:
            assert rollup.drain()["changed"] == n
        return len(filed.captured_queries), len(moved.captured_queries)

    one = drain_queries(1)
    assert drain_queries(20) == one
    case = life.file(place)
    with django_assert_num_queries(one[0]):
        rollup.drain([case.pk])


def test_rebuild_of_bulk_inserted_demo_cases_equals_the_incremental_sync():
    call_command("seed_demo", scale="tiny", stdout=StringIO())  # bulk-inserted cases; ends with rebuild()
    assert Complaint.objects.count() > 50 and ComplaintFact.objects.count() == Complaint.objects.count()
    rebuilt = snapshot()
    for model in (*STATS, ComplaintFact):
        model.objects.all().delete()
    ids = list(Complaint.objects.values_list("pk", flat=True))
    assert rollup.sync_cases(ids)["changed"] == len(ids)
    rollup.drain()
    assert snapshot() == rebuilt
    days = sorted(timezone.localdate(at) for at in Complaint.objects.values_list("created_at", flat=True))
    for group in ("compound", "category"):
        assert rollup_sums("case", days[0], days[-1], group) == raw_case_sums(days[0], days[-1], group)
    assert rollup_sums("dispatch", days[0], days[-1], "handler") == raw_dispatch_sums(days[0], days[-1], "handler")
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert f"cases {len(ids):,}" in out.getvalue()
    assert snapshot() == rebuilt


def test_the_beat_task_drains_a_leftover_queue_row(world):
    assert settings.CELERY_BEAT_SCHEDULE["drain-rollup-queue"]["task"] == tasks.drain_rollup_queue.name
    life = Life(world, random.Random(5))
    case = life.file(world["compounds"][2])  # the on-commit drain never ran (the test's transaction stays open)
    assert RollupQueue.objects.filter(complaint_id=case.pk).exists()
    assert not DailyComplaintStats.objects.exists()
    result = tasks.drain_rollup_queue.delay().get()
    assert result["cases"] == 1 and not RollupQueue.objects.exists()
    assert DailyComplaintStats.objects.get().filed == 1


def _waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def _until(predicate, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_a_drain_runs_is_not_lost(world):
    """The drain after the acceptance reads the case, then waits (a row lock held by a third connection);
    meanwhile the case is whistled and committed. The drain finishes with what it read, and the whistle's
    own queue row brings the rollups up to date."""
    require(connection.vendor == "postgresql", "the concurrency test needs PostgreSQL (set DATABASE_URL)")
    life = Life(world, random.Random(11))
    case = life.file(world["compounds"][0])  # transactional: the on-commit drain ran
    staff = life.staff(case)
    row = DailyComplaintStats.objects.get()
    held, release, errors = threading.Event(), threading.Event(), []

    def run(action):
        try:
            action()
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    def hold():
        with transaction.atomic():
            list(DailyComplaintStats.objects.select_for_update().filter(pk=row.pk))
            held.set()
            release.wait(30)

    def accept():
        services.complaint_accept(complaint=case, actor=staff)

    def whistle():
        services.complaint_dispatch(complaint=case, actor=staff, handler_kind=HandlerKind.DEPARTMENT,
                                    department=world["departments"][0])

    threads = [threading.Thread(target=run, args=(hold,))]
    threads[0].start()
    assert held.wait(10)
    threads.append(threading.Thread(target=run, args=(accept,)))
    threads[1].start()
    _until(lambda: _waiting_on_locks() >= 1)  # the acceptance is committed; its drain waits to write
    threads.append(threading.Thread(target=run, args=(whistle,)))
    threads[2].start()
    _until(lambda: RollupQueue.objects.count() == 2 and _waiting_on_locks() >= 2)  # whistled; its drain waits
    release.set()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert not RollupQueue.objects.exists()
    kept = snapshot()
    assert DailyComplaintStats.objects.get().whistled == 1 and DailyDispatchStats.objects.get().dispatched == 1
    rollup.rebuild()
    assert snapshot() == kept

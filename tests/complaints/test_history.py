"""Generated history (complaints/history.py): shares, skew, the story over time, valid rows, numbers, determinism."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from complaints import history, services
from complaints.demo import CATEGORY_SHARES
from complaints.models import (
    CaseCounter,
    Category,
    Complaint,
    Dispatch,
    DispatchStatus,
    HandlerKind,
    Status,
    Survey,
    TimelineEvent,
)
from governance.demo import DEPARTMENTS, TZ
from governance.models import Compound, Department, ServiceContract
from residents.models import Ownership, User

C = {name: i for i, name in enumerate(history.COMPLAINT_COLUMNS)}
D = {name: i for i, name in enumerate(history.DISPATCH_COLUMNS)}
S = {name: i for i, name in enumerate(history.SURVEY_COLUMNS)}
E = {name: i for i, name in enumerate(history.EVENT_COLUMNS)}
MODEL_START = date(2025, 3, 1)
NOW = datetime(2026, 7, 15, 10, 30, tzinfo=TZ)


def synthetic_world(compounds: int, seed: int = 0) -> history.World:
    """A district of plain values (no database): 60 owned units per compound, most under a property contract."""
    rng = random.Random(seed)
    places, buildings = [], {}
    user = unit = building = 0
    for c in range(1, compounds + 1):
        owners = []
        for b in range(3):
            building += 1
            buildings[building] = f"{b + 1}栋"
            for u in range(20):
                user, unit = user + 1, unit + 1
                owners.append((user, unit, building, "1单元", f"{u // 2 + 1}0{u % 2 + 1}", rng.random() < 0.06))
        contracts = [(date(2015, 1, 1), None, 1 + c % 5)] if rng.random() < 0.8 else []
        places.append(history.Place(c, owners, contracts, rng.random() < 0.7, 90_000 + c % 4,
                                    "乐坪派出所" if c % 2 else "公安分局"))
    departments = {name: i for i, (name, _, _) in enumerate(DEPARTMENTS, start=1)}
    timing = {category: (7, 3, 14) for category in Category.values}
    return history.World(places, buildings, departments, {}, survey_template_id=1, survey_questions="[]", timing=timing)


def plan(world: history.World, **options) -> tuple[history.Planner, dict[str, list[tuple]]]:
    planner = history.Planner(world, **options)
    ids = itertools.count(1)
    rows = defaultdict(list)
    for chunk in planner.chunks(lambda n: [next(ids) for _ in range(n)]):
        for name in ("complaints", "dispatches", "events", "surveys"):
            rows[name].extend(getattr(chunk, name))
        rows["last_numbers"].append(chunk.last_numbers)
    return planner, rows


def local_day(seconds: int) -> date:
    return datetime.fromtimestamp(seconds, TZ).date()


def latest_words(rows) -> dict[int, tuple[bool | None, str | None]]:
    """The resident's latest word per settled case, by the dashboards' own rule (governance/dashboards/facts.py)."""
    from governance.dashboards import facts

    surveys = defaultdict(list)
    for i, s in enumerate(rows["surveys"]):
        surveys[s[S["complaint_id"]]].append(facts.SurveyValues(
            i, s[S["complaint_id"]], s[S["purpose"]], s[S["status"]], s[S["invite_at"]], s[S["invited_at"]],
            s[S["answered_at"]], s[S["solved"]], s[S["satisfaction"]], s[S["still_fixed"]],
        ))
    words = {}
    for c in rows["complaints"]:
        case = facts.CaseValues(*(c[C[name]] for name in facts.CASE_FIELDS))
        words[case.id] = facts.latest_words(case, surveys[case.id])
    return words


@pytest.fixture(scope="module")
def district_years():
    """600 compounds, the year before the model and the year after it."""
    return plan(synthetic_world(600), start=MODEL_START - timedelta(days=365), end=MODEL_START + timedelta(days=365),
                model_start=MODEL_START, seed=11, now=NOW)


def test_categories_hot_compounds_and_seasons_follow_the_domain_brief(district_years):
    planner, rows = district_years
    cases = rows["complaints"]
    assert len(cases) == planner.total == round(600 * history.PER_COMPOUND_YEAR * (1 + 1 - history.DROP))
    shares = Counter(c[C["category"]] for c in cases)
    for category, share in CATEGORY_SHARES.items():
        assert abs(shares[category] / len(cases) - share) < 0.01, category
    per_compound = sorted(Counter(c[C["compound_id"]] for c in cases).values(), reverse=True)
    hot = round(0.11 * 600)
    assert 0.44 <= sum(per_compound[:hot]) / len(cases) <= 0.50  # 11% of compounds, ~47% of complaints
    months = Counter(local_day(c[C["created_at"]]).month for c in cases)
    assert months[7] + months[8] > 1.5 * (months[1] + months[2])


def test_complaints_fall_by_45_percent_and_the_rates_rise_once_the_model_runs(district_years):
    planner, rows = district_years
    settled = planner.model_start + timedelta(days=history.RAMP_DAYS)
    filed = {c[C["id"]]: local_day(c[C["created_at"]]) for c in rows["complaints"]}
    before = [i for i, day in filed.items() if day < MODEL_START]
    after = [i for i, day in filed.items() if day >= MODEL_START]
    assert abs(len(after) / len(before) - (1 - history.DROP)) < 0.005  # −45% year on year

    words = latest_words(rows)

    def rates(ids):
        rated = [words[i] for i in ids if words[i][1] is not None]
        satisfied = sum(rating in ("satisfied", "basically") for _, rating in rated) / len(rated)
        solved = sum(bool(word) for word, _ in rated) / len(rated)
        return satisfied, solved

    settled_ids = [i for i, day in filed.items() if day >= settled]
    sat_before, solved_before = rates(before)
    sat_after, solved_after = rates(settled_ids)
    assert abs(sat_before - 0.70) < 0.03 and abs(sat_after - 0.90) < 0.03, (sat_before, sat_after)
    assert abs(solved_before - 0.55) < 0.04 and abs(solved_after - 0.80) < 0.05, (solved_before, solved_after)

    def on_time(ids):
        ids = set(ids)
        acked = [d for d in rows["dispatches"] if d[D["complaint_id"]] in ids and d[D["acknowledged_at"]] is not None]
        return sum(d[D["acknowledged_at"]] <= d[D["acknowledge_due_at"]] for d in acked) / len(acked)

    assert abs(on_time(before) - 0.60) < 0.03 and abs(on_time(settled_ids) - 0.91) < 0.03

    # Before the model a 不满意 could close a case; from it on only a follow-up answer says so.
    dissatisfied = {c[C["id"]] for c in rows["complaints"] if c[C["rating"]] == "dissatisfied"}
    assert dissatisfied and all(filed[i] < settled for i in dissatisfied)
    followups = Counter(filed[s[S["complaint_id"]]] >= settled for s in rows["surveys"])
    assert followups[True] / len(settled_ids) > 2 * followups[False] / len(before)


def test_every_case_is_settled_consistently(district_years):
    planner, rows = district_years
    now = int(NOW.timestamp())
    by_case = defaultdict(list)
    for d in rows["dispatches"]:
        by_case[d[D["complaint_id"]]].append(d)
    statuses = Counter()
    for c in rows["complaints"]:
        status, dispatches = c[C["status"]], by_case[c[C["id"]]]
        statuses[status] += 1
        assert c[C["created_at"]] < c[C["closed_at"]] <= now
        if status == Status.REJECTED:
            assert c[C["reject_reason"]] and not dispatches and c[C["accepted_at"]] is None
            continue
        assert 1 <= len(dispatches) <= 2
        assert c[C["created_at"]] < c[C["accepted_at"]] <= dispatches[0][D["created_at"]]
        assert c[C["resolved_at"]] <= c[C["closed_at"]] <= c[C["confirm_due_at"]]
        if status == Status.CLOSED:
            assert c[C["answer"]] and c[C["rating"]]
        else:
            assert status == Status.CLOSED_UNCONFIRMED and not c[C["answer"]] and not c[C["rating"]]
        assert c[C["redo_count"]] == (c[C["round"]] - 1) == sum(d[D["is_redo"]] for d in dispatches)
        for d in dispatches:
            assert d[D["created_at"]] < d[D["acknowledge_due_at"]] <= d[D["handle_due_at"]]
            if d[D["round"]] == c[C["round"]]:  # the case's handle-by covers its current handlers'
                assert d[D["handle_due_at"]] <= c[C["handle_due_at"]]
            assert d[D["updated_at"]] <= now
            if d[D["handler_kind"]] == HandlerKind.PROPERTY:
                assert d[D["property_company_id"]] is not None
            if d[D["handler_kind"]] == HandlerKind.DEPARTMENT:
                assert d[D["department_id"]] is not None
            if d[D["status"]] == DispatchStatus.RETURNED:
                assert d[D["return_to_id"]] and d[D["acknowledged_at"]] is None
            else:
                assert d[D["acknowledged_at"]] < d[D["resolved_at"]]
            assert d[D["community_score"]] in (None, 1, 2, 3, 4, 5)
    assert set(statuses) == {Status.CLOSED, Status.CLOSED_UNCONFIRMED, Status.REJECTED}
    assert statuses[Status.CLOSED] > 5 * statuses[Status.CLOSED_UNCONFIRMED]
    assert len(rows["events"]) == 2 * len(rows["complaints"])
    assert {e[E["kind"]] for e in rows["events"]} == {"filed", "confirmed", "closed_unconfirmed", "rejected"}
    for s in rows["surveys"]:
        assert s[S["invite_at"]] < s[S["expires_at"]] <= now
        assert (s[S["answered_at"]] is not None) == (s[S["status"]] == Survey.Status.ANSWERED)
        if s[S["status"]] == Survey.Status.ANSWERED:
            assert s[S["solved"]] in ("solved", "partly") and s[S["satisfaction"]]
    handlers = Counter(d[D["handler_kind"]] for d in rows["dispatches"])
    assert handlers[HandlerKind.PROPERTY] > handlers[HandlerKind.PARTY_BRANCH] > 0 and handlers[HandlerKind.DEPARTMENT] > 0
    assert 0.2 < sum(d[D["is_redo"]] for d in rows["dispatches"]) / len(rows["complaints"]) * 10 < 1.5


def test_a_small_district_gets_its_cases_all_year_round():
    planner, rows = plan(synthetic_world(3), start=date(2024, 11, 29), end=date(2025, 11, 29), model_start=date(2025, 11, 29),
                         seed=2024, now=NOW)
    assert len(rows["complaints"]) == round(3 * history.PER_COMPOUND_YEAR)
    months = Counter(local_day(c[C["created_at"]]).month for c in rows["complaints"])
    assert len(months) == 12 and max(months.values()) <= 4 * min(months.values())


def test_numbers_follow_each_day_counter_in_filing_order():
    world = synthetic_world(10)
    day = date(2025, 5, 6)
    _, rows = plan(world, start=day, end=day + timedelta(days=2), total=40, seed=1, now=NOW, counters={day: 7})
    numbers = [c[C["number"]] for c in rows["complaints"]]
    first_day = [n for n in numbers if n.startswith("TS20250506")]
    assert first_day[0] == "TS202505060008" and len(set(numbers)) == len(numbers)
    assert [c[C["created_at"]] for c in rows["complaints"]] == sorted(c[C["created_at"]] for c in rows["complaints"])
    last = {}
    for numbers_of_chunk in rows["last_numbers"]:
        last.update(numbers_of_chunk)
    assert last[day] == 7 + len(first_day)


def test_same_seed_same_rows_and_lives_never_run_past_now():
    world = synthetic_world(20)
    now = datetime(2026, 7, 15, 10, 30, tzinfo=TZ)
    options = {"start": date(2026, 5, 1), "end": date(2026, 7, 15), "total": 500, "now": now}
    _, one = plan(world, seed=3, **options)
    _, two = plan(world, seed=3, **options)
    _, other = plan(world, seed=4, **options)
    assert one == two and one["complaints"] != other["complaints"]
    limit = int(now.timestamp())
    for c in one["complaints"]:
        assert c[C["closed_at"]] <= limit and c[C["updated_at"]] <= limit
    assert all(d[D["updated_at"]] <= limit for d in one["dispatches"])
    assert all(s[S["expires_at"]] <= limit for s in one["surveys"])


# --- in the database -------------------------------------------------------------------------------


def seed_tiny() -> None:
    call_command("seed_demo", scale="tiny", no_cases=True, stdout=StringIO())


@pytest.mark.django_db
def test_generated_cases_are_valid_rows_of_the_district():
    seed_tiny()
    start, end = date(2024, 1, 1), date(2026, 1, 1)
    counts = history.generate_history(start=start, end=end, total=400, seed=5, now=NOW, rebuild_rollups=False)
    assert counts["cases"] == Complaint.objects.count() == 400
    assert counts["dispatches"] == Dispatch.objects.count() and counts["surveys"] == Survey.objects.count() > 0
    assert TimelineEvent.objects.count() == 800
    # Valid for every field and constraint (Django's full_clean checks the CHECK and unique constraints too).
    for model in (Complaint, Dispatch, TimelineEvent, Survey):
        for row in model.objects.order_by("?")[:15]:
            row.full_clean()
    # Reporters own a unit of the compound; the place is in the compound.
    owners = set(Ownership.objects.verified().values_list("user_id", "unit__building__compound_id"))
    for case in Complaint.objects.select_related("unit__building", "building"):
        assert (case.reporter_id, case.compound_id) in owners
        assert case.building is None or case.building.compound_id == case.compound_id
        assert case.unit is None or case.unit.building_id == case.building_id
    # Property dispatches go to the company under contract that day; department deadlines from their limits.
    for d in Dispatch.objects.select_related("complaint", "department").prefetch_related("department__time_limits"):
        day = timezone.localdate(d.complaint.created_at)
        if d.handler_kind == HandlerKind.PROPERTY:
            assert ServiceContract.objects.active(day).filter(compound_id=d.complaint.compound_id,
                                                               company_id=d.property_company_id).exists()
        if d.handler_kind == HandlerKind.DEPARTMENT:
            limit = d.department.time_limit(d.tier)
            assert d.acknowledge_due_at - d.created_at == limit.acknowledge_within
            assert d.handle_due_at - d.created_at == limit.handle_within + timedelta(hours=d.extension_hours or 0)
    # Every day's counter covers the numbers it issued.
    counters = dict(CaseCounter.objects.values_list("day", "last"))
    for number in Complaint.objects.values_list("number", flat=True):
        day = date(int(number[2:6]), int(number[6:8]), int(number[8:10]))
        assert int(number[10:]) <= counters[day]
    assert Complaint.objects.filter(created_at__lt=datetime(2024, 1, 1, tzinfo=TZ)).count() == 0


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_history():
    digests = []
    for seed in (5, 5, 6):
        with transaction.atomic():
            seed_tiny()
            history.generate_history(start=date(2025, 1, 1), end=date(2025, 7, 1), total=120, seed=seed, now=NOW,
                                     rebuild_rollups=False)
            digests.append(history.checksum())
            transaction.set_rollback(True)
    assert digests[0] == digests[1] != digests[2]


@pytest.mark.django_db
def test_a_case_filed_today_after_the_history_takes_the_next_number():
    seed_tiny()
    today = timezone.localdate()
    history.generate_history(start=today - timedelta(days=2), end=today + timedelta(days=1), total=60, seed=2,
                             now=timezone.now() + timedelta(days=1), rebuild_rollups=False)
    stamp = f"TS{today:%Y%m%d}"
    used = Complaint.objects.filter(number__startswith=stamp).count()
    assert used > 0
    wang = User.objects.get(phone="13800000008")
    case = services.complaint_file(
        actor=wang, compound=Compound.objects.get(name="八一新村"), category=Category.PARKING, urgency="general",
        title="东门乱停车", description="东门每天早上都有车乱停。", place_kind="public_area",
    )
    assert case.number == f"{stamp}{used + 1:04d}"


@pytest.mark.django_db
def test_the_command_prints_counts_and_refuses_an_empty_district():
    with pytest.raises(CommandError):
        call_command("generate_cases", "--total", "5", stdout=StringIO())
    seed_tiny()
    out = StringIO()
    call_command("generate_cases", "--years", "1", "--total", "50", "--seed", "3", stdout=out)
    assert Complaint.objects.count() == 50
    assert "50" in out.getvalue() and "cases_per_second" in out.getvalue()
    first = Complaint.objects.order_by("created_at").first().created_at
    assert timezone.localdate(first) >= timezone.localdate() - timedelta(days=366)
    if history._rollup_rebuild() is not None:  # the dashboards' rollups are rebuilt from the new cases
        from governance.dashboards.models import DailyComplaintStats

        assert sum(DailyComplaintStats.objects.values_list("filed", flat=True)) == 50


@pytest.mark.django_db
def test_seed_demo_adds_a_settled_year_before_the_demo_year_unless_told_not_to():
    call_command("seed_demo", scale="tiny", stdout=StringIO())
    end = timezone.localdate() - timedelta(days=365)
    older = Complaint.objects.filter(created_at__lt=datetime.combine(end, datetime.min.time(), TZ))
    demo_year = Complaint.objects.count() - older.count()
    assert older.count() == round(demo_year / (1 - history.DROP))  # the dashboards show complaints down 45%
    assert not older.filter(created_at__lt=datetime.combine(end - timedelta(days=365), datetime.min.time(), TZ)).exists()
    assert set(older.values_list("status", flat=True)) <= {Status.CLOSED, Status.CLOSED_UNCONFIRMED, Status.REJECTED}
    assert len({timezone.localdate(at).month for at in older.values_list("created_at", flat=True)}) == 12


@pytest.mark.django_db
def test_seed_demo_without_history():
    call_command("seed_demo", scale="tiny", history_years=0, stdout=StringIO())
    assert not Complaint.objects.filter(created_at__lt=timezone.now() - timedelta(days=366)).exists()
    assert Department.objects.exists()

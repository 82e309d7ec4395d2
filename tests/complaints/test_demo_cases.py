"""The demo year of cases (complaints/demo.py): shares, states, numbers, timelines, determinism, demo accounts."""

import random
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from complaints import demo, services
from complaints.escalation import escalations_sweep
from complaints.models import (
    OPEN_STATUSES,
    Attachment,
    CaseCounter,
    Category,
    Complaint,
    Dispatch,
    DispatchStatus,
    Escalation,
    PlaceKind,
    Status,
    TimelineEvent,
)
from complaints.permissions import handled_dispatches
from core.models import Notification
from governance.demo import TZ
from governance.models import Compound
from residents.models import User

NOW = datetime(2026, 7, 15, 10, 30, tzinfo=TZ)


def seed_district(*, cases: bool = True, now: datetime | None = None, seed: int = 2024) -> datetime:
    call_command("seed_demo", scale="tiny", seed=seed, no_cases=True, stdout=StringIO())
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    if cases:
        demo.seed_cases(seed=seed, now=now)
    return now


@pytest.fixture
def year(db):
    now = seed_district()
    return {"now": now, **{u.phone: u for u in User.objects.filter(phone__startswith="1380000000")}}


def test_a_demo_district_year_has_fourteen_cases_per_compound_skewed_and_shared_by_category():
    sketches = demo.sketch_cases(40, random.Random(1), NOW)
    assert len(sketches) == 14 * 40
    shares = Counter(s.category for s in sketches)
    for category, share in demo.CATEGORY_SHARES.items():
        assert abs(shares[category] / len(sketches) - share) < 0.005, category
    per_compound = sorted(Counter(s.compound for s in sketches).values(), reverse=True)
    hot = round(0.11 * 40)
    assert 0.44 <= sum(per_compound[:hot]) / len(sketches) <= 0.50  # 11% of compounds, ~47% of complaints
    assert all(NOW - timedelta(days=366) < s.filed_at < NOW for s in sketches)
    months = Counter(s.filed_at.astimezone(TZ).month for s in sketches)
    assert months[7] + months[8] > months[1] + months[2]  # more in summer
    assert [s.filed_at for s in sketches] == sorted(s.filed_at for s in sketches)


def test_the_district_scale_keeps_the_shares():
    sketches = demo.sketch_cases(600, random.Random(2), NOW)
    assert len(sketches) == 8400
    shares = Counter(s.category for s in sketches)
    assert abs(shares[Category.PROPERTY_SERVICE] / 8400 - 0.32) < 0.001
    assert abs(shares[Category.FIRE_SAFETY] / 8400 - 0.05) < 0.001


def test_cases_stand_in_every_state_and_closed_ones_are_answered(year):
    statuses = Counter(Complaint.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values), statuses
    assert statuses[Status.CLOSED] > statuses[Status.CLOSED_UNCONFIRMED] > 0
    closed = Complaint.objects.filter(status=Status.CLOSED)
    assert not closed.filter(answer="").exists() and not closed.filter(rating="").exists()
    assert not closed.filter(closed_at__isnull=True).exists()
    assert not Complaint.objects.filter(status=Status.MERGED, merged_into__isnull=True).exists()
    assert not Complaint.objects.filter(status=Status.REJECTED, reject_reason="").exists()
    assert not Complaint.objects.filter(status=Status.NEEDS_INFO, paused_at__isnull=True).exists()
    awaiting = Complaint.objects.filter(status=Status.AWAITING_CONFIRMATION)
    assert not awaiting.filter(confirm_due_at__lte=year["now"]).exists()  # the sweeper would have closed them
    assert not Complaint.objects.filter(created_at__gt=year["now"]).exists()
    assert not TimelineEvent.objects.filter(created_at__gt=year["now"]).exists()
    handling = Complaint.objects.filter(status=Status.HANDLING)
    assert not handling.exclude(dispatches__status__in=[DispatchStatus.PENDING, DispatchStatus.ACKNOWLEDGED,
                                                        DispatchStatus.EXTENSION_REQUESTED]).exists()
    assert not Attachment.objects.exists()
    # Property, party branch and departments all take part; departments by what the case is about.
    kinds = Counter(Dispatch.objects.values_list("handler_kind", flat=True))
    assert kinds["property"] > kinds["department"] > 0
    assert set(
        Dispatch.objects.filter(complaint__category=Category.ILLEGAL_BUILDING, handler_kind="department")
        .values_list("department__name", flat=True)
    ) <= {"城管局", "住建局"}


def test_place_and_reporter_fit_the_compound(year):
    for c in Complaint.objects.select_related("unit__building", "building"):
        if c.place_kind == PlaceKind.UNIT:
            assert c.unit.building.compound_id == c.compound_id
        if c.building_id:
            assert c.building.compound_id == c.compound_id
    grid_worker = year["13800000004"]
    reporters = Complaint.objects.exclude(reporter=grid_worker)
    for compound_id, reporter_id in reporters.values_list("compound_id", "reporter_id"):
        assert User.objects.filter(pk=reporter_id, ownerships__status="verified",
                                   ownerships__unit__building__compound_id=compound_id).exists()
    on_behalf = Complaint.objects.filter(source="on_behalf")
    assert on_behalf.exists() and not on_behalf.exclude(filed_by=grid_worker).exists()


def test_case_numbers_are_unique_follow_the_counter_and_a_new_case_does_not_collide(year):
    numbers = list(Complaint.objects.values_list("number", "created_at"))
    assert len({n for n, _ in numbers}) == len(numbers)
    last: dict = defaultdict(int)
    for number, created_at in numbers:
        assert re.fullmatch(r"TS\d{12}", number)
        day = timezone.localtime(created_at).date()
        assert number[2:10] == f"{day:%Y%m%d}"
        last[day] = max(last[day], int(number[10:]))
    assert dict(CaseCounter.objects.values_list("day", "last")) == dict(last)
    wang = year["13800000008"]
    compound = Compound.objects.get(name="八一新村")
    case = services.complaint_file(
        actor=wang, compound=compound, category=Category.PARKING, urgency="general", title="车库门口又堵了",
        description="早上八点车库出口被堵。", place_kind=PlaceKind.PUBLIC_AREA,
    )
    today = timezone.localdate()
    assert case.number == f"TS{today:%Y%m%d}{last.get(today, 0) + 1:04d}"


def test_timelines_run_in_order_and_chain_the_states(year):
    events = defaultdict(list)
    for event in TimelineEvent.objects.order_by("complaint_id", "id"):
        events[event.complaint_id].append(event)
    for complaint in Complaint.objects.all():
        timeline = events[complaint.pk]
        assert timeline[0].kind == "filed" and timeline[0].created_at == complaint.created_at
        times = [e.created_at for e in timeline]
        assert times == sorted(times), complaint.number
        state = Status.SUBMITTED
        for event in timeline[1:]:
            if event.to_status:
                assert event.from_status == state, (complaint.number, event.kind)
                state = event.to_status
        assert state == complaint.status, complaint.number
    # Deadlines of department dispatches come from the department's limits; acknowledgement before handling.
    for d in Dispatch.objects.all():
        assert d.created_at < d.acknowledge_due_at <= d.handle_due_at
        if d.acknowledged_at:
            assert d.created_at <= d.acknowledged_at <= year["now"]


def test_escalations_are_what_the_sweeper_would_raise(year):
    assert Escalation.objects.filter(level="supervision", resolved_at__isnull=True).exists()
    keys = set(Escalation.objects.values_list("key", flat=True))
    counts = escalations_sweep(now=year["now"])
    assert counts == {"reminder": 0, "supervision": 0, "closed_unconfirmed": 0}
    assert set(Escalation.objects.values_list("key", flat=True)) == keys
    assert Escalation.objects.count() == TimelineEvent.objects.filter(kind__startswith="escalation_").count()


def test_demo_accounts_each_have_something_to_do(year):
    wang, community, department, street = (year[p] for p in ("13800000008", "13800000003", "13800000006", "13800000002"))
    mine = Complaint.objects.filter(reporter=wang)
    assert {Status.CLOSED, Status.HANDLING, Status.AWAITING_CONFIRMATION, Status.NEEDS_INFO} <= set(
        mine.values_list("status", flat=True)
    )
    assert mine.filter(source="on_behalf").exists()
    survivor = mine.get(status=Status.HANDLING)  # a neighbour's duplicate was merged into her case
    assert survivor.merged_cases.exists() and survivor.followers.filter(via="merged").exists()
    assert survivor.timeline.filter(kind="absorbed").exists()
    triage = Complaint.objects.visible_to(community).filter(status=Status.SUBMITTED)
    assert triage.count() >= 3 and triage.overdue(year["now"]).exists()
    assert Complaint.objects.visible_to(community).filter(status=Status.RESOLVED).exists()
    inbox = handled_dispatches(department).filter(status=DispatchStatus.PENDING)
    assert inbox.count() >= 2 and inbox.overdue(year["now"]).exists()
    overdue = Complaint.objects.visible_to(street).open().overdue(year["now"])
    assert overdue.exists()
    assert Escalation.objects.filter(complaint__in=overdue, level="supervision", resolved_at__isnull=True).exists()
    assert Dispatch.objects.filter(status=DispatchStatus.EXTENSION_REQUESTED, complaint__in=Complaint.objects.visible_to(street)).exists()
    for user in (wang, community, department, street):
        assert Notification.objects.filter(user=user, read_at__isnull=True).exists(), user.phone
    # Open cases are recent; the year's old cases are settled.
    old_open = Complaint.objects.filter(status__in=OPEN_STATUSES, created_at__lt=year["now"] - timedelta(days=60))
    assert not old_open.exists()


@pytest.mark.django_db
def test_same_seed_and_moment_give_the_same_cases():
    digests = []
    for seed in (2024, 2024, 7):
        with transaction.atomic():
            seed_district(now=NOW, seed=seed)
            digests.append(demo.checksum())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


@pytest.mark.django_db
def test_the_command_seeds_cases_unless_told_not_to():
    call_command("seed_demo", scale="tiny", no_cases=True, stdout=StringIO())
    assert not Complaint.objects.exists()
    demo.seed_cases(seed=1, now=NOW)
    assert Complaint.objects.exists()
    with pytest.raises(ValueError):
        demo.seed_cases(seed=1, now=NOW)


@pytest.mark.django_db
def test_the_plain_command_loads_places_and_cases_together():
    out = StringIO()
    call_command("seed_demo", scale="tiny", stdout=out)
    assert Complaint.objects.count() > 40
    assert "cases" in out.getvalue()

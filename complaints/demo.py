"""A year of demo cases for the demo district (governance.demo), behind `manage.py seed_demo`.

Two layers. `sketch_cases` plans, without the database, how many cases each compound gets (domain.md §4:
~14 per compound per year, 11% of compounds produce 47% of them), their categories (exact shares) and
filing times (the last 365 days, more in summer). `seed_cases` then lives each case through the
workflow of complaints.services — triage, dispatch, 报到, resolution, verification, confirmation,
reopening, escalation — with the same deadlines and the same timeline kinds, stopping at `now`: old
cases end closed (or rejected, merged, parked, closed unconfirmed), recent ones stand in every open
state, late steps carry their Escalation rows (keys as the sweeper writes them, so it never raises
them again). A few scripted cases give every demo account something to do.

Rows are built in memory and bulk-inserted; nothing goes through the services (that would be one
transaction and a dozen queries per step). Same seed and same `now`, same cases (`checksum()`).
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from core.audit import audit
from core.models import Notification
from governance.demo import (
    DEFAULT_SEED,
    HOME_COMPANY,
    SHOWCASE_HOME,
    SHOWCASE_SECOND,
    SHOWCASE_THIRD,
    TZ,
    bulk_insert,
)
from governance.models import (
    DEFAULT_TIME_LIMITS,
    Building,
    Compound,
    Department,
    District,
    PartyOrganisation,
    Role,
    RoleAssignment,
    ServiceContract,
    UrgencyTier,
)
from residents.models import Ownership, User

from . import demo_texts as texts
from .escalation import SUPERVISE_AFTER
from .models import (
    CATEGORIES_REQUIRING_VERIFICATION,
    OPEN_STATUSES,
    Answer,
    CaseCounter,
    Category,
    Complaint,
    Dispatch,
    DispatchStatus,
    Escalation,
    Follower,
    HandlerKind,
    PlaceKind,
    Rating,
    Source,
    Status,
    TimelineEvent,
)
from .services import (
    ACCEPT_WITHIN,
    ACCEPT_WITHIN_DEFAULT,
    COMPOUND_HANDLE_DEFAULT,
    COMPOUND_HANDLE_WITHIN,
    CONFIRM_WITHIN,
)

S, D = Status, DispatchStatus
H = timedelta(hours=1)
BATCH_SIZE = 2000
CASES_PER_COMPOUND = 14
HOT_COMPOUND_SHARE, HOT_CASE_SHARE = 0.11, 0.47
CATEGORY_SHARES: dict[str, float] = {
    Category.PROPERTY_SERVICE: 0.32, Category.PARKING: 0.14, Category.NEIGHBOURS: 0.12, Category.FACILITIES: 0.10,
    Category.SANITATION: 0.10, Category.ILLEGAL_BUILDING: 0.08, Category.COMMITTEE: 0.05, Category.FIRE_SAFETY: 0.05,
    Category.OTHER: 0.04,
}
# More cases in the hot, wet summer (leaks, garbage smell, noise with windows open); fewer at Spring Festival.
MONTH_WEIGHTS = {1: 0.8, 2: 0.7, 3: 0.9, 4: 1.0, 5: 1.1, 6: 1.25, 7: 1.4, 8: 1.4, 9: 1.15, 10: 0.95, 11: 0.85, 12: 0.8}
HOUR_WEIGHTS = [1, 0, 0, 0, 0, 1, 2, 5, 8, 9, 9, 8, 6, 6, 7, 8, 8, 7, 7, 9, 10, 8, 5, 2]
# Share of each category whistled to a department (≈25% overall); the rest stays in the compound.
DEPARTMENT_SHARE = {
    Category.PROPERTY_SERVICE: 0.10, Category.PARKING: 0.18, Category.NEIGHBOURS: 0.14, Category.FACILITIES: 0.35,
    Category.SANITATION: 0.30, Category.ILLEGAL_BUILDING: 0.9, Category.COMMITTEE: 0.25, Category.FIRE_SAFETY: 0.75,
    Category.OTHER: 0.35,
}
URGENCY = {  # (tier, weight) per category
    Category.FACILITIES: [(UrgencyTier.UTILITIES, 6), (UrgencyTier.GENERAL, 3), (UrgencyTier.EMERGENCY, 1)],
    Category.FIRE_SAFETY: [(UrgencyTier.GENERAL, 6), (UrgencyTier.EMERGENCY, 2), (UrgencyTier.COMPLEX, 2)],
    Category.ILLEGAL_BUILDING: [(UrgencyTier.GENERAL, 5), (UrgencyTier.COMPLEX, 5)],
    Category.COMMITTEE: [(UrgencyTier.GENERAL, 4), (UrgencyTier.COMPLEX, 6)],
}
# Urgent cases move faster through the staff steps (an emergency is not left until morning).
PACE = {UrgencyTier.EMERGENCY: 0.15, UrgencyTier.UTILITIES: 0.5}
PACED = frozenset({"triage_after", "dispatch_after", "redispatch_after", "ack_after", "contact_after", "arrival_after",
                   "verify_after"})
DUPLICATE_SHARE = 0.06  # cases a neighbour reports again while open (merged by the community)
NEVER = timedelta(days=10_000)  # a step that has not happened by `now`


@dataclass(frozen=True)
class Sketch:
    """One case before it meets the database: which compound (an index), what, and when."""

    compound: int
    category: str
    filed_at: datetime


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights`, in integers that add up exactly (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def sketch_cases(compound_count: int, rng: random.Random, now: datetime) -> list[Sketch]:
    """Plan a year of cases for `compound_count` compounds, in filing order. No query."""
    total = CASES_PER_COMPOUND * compound_count
    hot = set(rng.sample(range(compound_count), max(1, round(HOT_COMPOUND_SHARE * compound_count))))
    hot_total = round(HOT_CASE_SHARE * total) if len(hot) < compound_count else total
    counts = [0] * compound_count
    for members, share in ((sorted(hot), hot_total), (sorted(set(range(compound_count)) - hot), total - hot_total)):
        if members:
            for index, n in zip(members, apportion(share, [rng.lognormvariate(0, 0.4) for _ in members]), strict=True):
                counts[index] = n
    categories = [c for c, n in zip(CATEGORY_SHARES, apportion(total, list(CATEGORY_SHARES.values())), strict=True)
                  for _ in range(n)]
    rng.shuffle(categories)

    today = timezone.localtime(now, TZ).date()
    days = [today - timedelta(days=d) for d in range(365)]
    day_weights = list(itertools.accumulate(MONTH_WEIGHTS[d.month] for d in days))
    hour_weights = list(itertools.accumulate(HOUR_WEIGHTS))
    sketches = []
    for index, n in enumerate(counts):
        for _ in range(n):
            day = rng.choices(days, cum_weights=day_weights)[0]
            at = datetime.combine(day, time(rng.choices(range(24), cum_weights=hour_weights)[0], rng.randrange(60)), TZ)
            if at > now - timedelta(minutes=10):
                at = now - timedelta(minutes=rng.randint(10, 600))
            sketches.append(Sketch(index, categories.pop(), at))
    sketches.sort(key=lambda s: (s.filed_at, s.compound))
    return sketches


# --- scripted cases: something to do for every demo account ---------------------------------------


@dataclass(frozen=True)
class Script:
    """A case with its decisions fixed (knobs, in hours where a delay), filed `ago` hours before now."""

    name: str
    compound: str
    category: str
    ago: float
    knobs: dict
    reporter: str | None = None  # a demo phone; None: a random owner of the compound
    filed_by: str | None = None  # a grid worker's phone for 代办
    urgency: str = UrgencyTier.GENERAL
    template: int = 0
    natural: bool = False  # staff keep office hours, neighbours join: a generated duplicate, not a showcase


NO = 100_000  # hours: "not yet" for a scripted step
SCRIPTS = [
    # 王秀英 (13800000008): one closed, one being handled, one waiting for her answer, one needing her info.
    Script("wang_closed", SHOWCASE_HOME, Category.PROPERTY_SERVICE, 80 * 24, reporter="13800000008", template=2,
           knobs={"triage": "accept", "handler": "property", "reopen": False, "confirm_after": 10,
                  "answer": Answer.SOLVED, "rating": Rating.SATISFIED}),
    Script("wang_awaiting", SHOWCASE_HOME, Category.FACILITIES, 70, reporter="13800000008", filed_by="13800000004",
           urgency=UrgencyTier.UTILITIES, template=2,
           knobs={"triage": "accept", "triage_after": 1, "dispatch_after": 1, "handler": "property", "ack_after": 1,
                  "contact": True, "contact_after": 1, "arrival": False, "work": 18, "verify_after": 6,
                  "verify_pass": True, "confirm_after": NO}),
    Script("wang_handling", SHOWCASE_HOME, Category.PARKING, 40, reporter="13800000008",
           knobs={"triage": "accept", "triage_after": 2, "dispatch_after": 1, "handler": "property", "ack_after": 1,
                  "contact": True, "work": NO}),
    Script("wang_needs_info", SHOWCASE_HOME, Category.NEIGHBOURS, 20, reporter="13800000008",
           knobs={"triage": "info", "triage_after": 2, "info_wait": NO}),
    Script("merged_into_wang", SHOWCASE_HOME, Category.PARKING, 30, template=0,
           knobs={"triage": "merge", "triage_after": 3, "merge_into": "wang_handling"}),
    # 陈丽华 (13800000003, 新星社区): new cases to accept (one overdue), one to dispatch, one to verify.
    Script("triage_fresh", SHOWCASE_HOME, Category.SANITATION, 2, knobs={"triage_after": NO}),
    Script("triage_lift", SHOWCASE_HOME, Category.FACILITIES, 9, urgency=UrgencyTier.UTILITIES,
           knobs={"triage_after": NO}),
    Script("triage_overdue", SHOWCASE_HOME, Category.PROPERTY_SERVICE, 52, template=1, knobs={"triage_after": NO}),
    Script("accepted_only", SHOWCASE_HOME, Category.COMMITTEE, 6, urgency=UrgencyTier.COMPLEX,
           knobs={"triage": "accept", "triage_after": 1, "dispatch_after": NO}),
    Script("to_verify", SHOWCASE_HOME, Category.ILLEGAL_BUILDING, 144, urgency=UrgencyTier.COMPLEX,
           knobs={"triage": "accept", "triage_after": 2, "dispatch_after": 1, "handler": "department",
                  "department": "城管局", "ack_after": 3, "contact": False, "arrival": True, "arrival_after": 2,
                  "return": False, "extension": False, "park": False, "work": 120, "verify_after": NO}),
    # 孙磊 (13800000006, 城管局): one fresh and one overdue in the inbox, one waiting for an extension.
    Script("cg_pending", SHOWCASE_HOME, Category.ILLEGAL_BUILDING, 8, template=2,
           knobs={"triage": "accept", "triage_after": 2, "dispatch_after": 2, "handler": "department",
                  "department": "城管局", "ack_after": NO}),
    Script("cg_pending_overdue", SHOWCASE_SECOND, Category.ILLEGAL_BUILDING, 40, template=1,
           knobs={"triage": "accept", "triage_after": 3, "dispatch_after": 1, "handler": "department",
                  "department": "城管局", "ack_after": NO}),
    # 刘志强 (13800000002, 乐坪街道): 督办 on late dispatches, an extension to approve.
    Script("cg_extension", SHOWCASE_SECOND, Category.ILLEGAL_BUILDING, 9 * 24,
           knobs={"triage": "accept", "triage_after": 2, "dispatch_after": 1, "handler": "department",
                  "department": "城管局", "ack_after": 4, "arrival": True, "return": False, "extension": True,
                  "extension_after": 100, "extension_decided_after": NO, "work": NO}),
    Script("zj_overdue", SHOWCASE_SECOND, Category.FACILITIES, 12 * 24, template=2,
           knobs={"triage": "accept", "triage_after": 2, "dispatch_after": 1, "handler": "department",
                  "department": "住建局", "ack_after": 10, "return": False, "extension": False, "park": False,
                  "work": NO}),
    Script("property_overdue", SHOWCASE_HOME, Category.PROPERTY_SERVICE, 5 * 24,
           knobs={"triage": "accept", "triage_after": 2, "dispatch_after": 1, "handler": "property",
                  "ack_after": 2, "work": NO}),
    # Every end state in the home community too.
    Script("parked", SHOWCASE_THIRD, Category.ILLEGAL_BUILDING, 50 * 24, urgency=UrgencyTier.COMPLEX,
           knobs={"triage": "accept", "handler": "department", "department": "城管局", "ack_after": 5,
                  "return": False, "extension": False, "park": True, "work": 100}),
    Script("rejected", SHOWCASE_HOME, Category.OTHER, 20 * 24, knobs={"triage": "reject", "triage_after": 4}),
    Script("unconfirmed", SHOWCASE_HOME, Category.SANITATION, 40 * 24,
           knobs={"triage": "accept", "handler": "property", "verify_pass": True, "confirm_after": NO}),
]


# --- the world the cases live in -----------------------------------------------------------------


@dataclass
class _Place:
    compound: Compound
    street_index: int
    owners: list[tuple]  # (user_id, unit_id, building_id, entrance, number, is_party_member)
    company_id: int | None
    company_name: str
    has_branch: bool
    manager: User  # who triages: the community staff where there is a demo account, else street/district
    street_staff: User
    in_grid: bool  # inside the demo grid worker's grid (代办 happens here)


@dataclass
class _World:
    places: list[_Place]
    by_name: dict[str, _Place]
    accounts: dict[str, User]
    departments: dict[str, Department]
    buildings: dict[int, str]
    home_company_id: int | None

    def account(self, phone: str) -> User | None:
        return self.accounts.get(phone)


def _load_world() -> _World:
    """Read what the cases need (about ten queries, whatever the scale)."""
    from governance.demo import DEMO_PHONES

    accounts = {u.phone: u for u in User.objects.filter(phone__in=DEMO_PHONES)}
    departments = {d.name: d for d in Department.objects.prefetch_related("time_limits")}
    buildings = dict(Building.objects.values_list("id", "name"))
    contracts = {
        compound_id: (company_id, name)
        for compound_id, company_id, name in ServiceContract.objects.active().order_by("start")
        .values_list("compound_id", "company_id", "company__name")
    }
    branches = set(PartyOrganisation.objects.filter(kind=PartyOrganisation.Kind.COMPOUND_BRANCH).values_list("compound_id", flat=True))
    grid_worker = accounts.get("13800000004")
    grid_ids = RoleAssignment.objects.active().filter(user=grid_worker, role=Role.GRID_WORKER).values("grid_id")
    grid_compounds = set(Building.objects.filter(grid_id__in=grid_ids).values_list("compound_id", flat=True))
    community_staff = {
        community_id: accounts[phone]
        for phone, community_id in RoleAssignment.objects.active().filter(role=Role.COMMUNITY_STAFF, user__phone__in=DEMO_PHONES)
        .values_list("user__phone", "community_id")
    }
    street_staff = {
        street_id: accounts[phone]
        for phone, street_id in RoleAssignment.objects.active().filter(role=Role.STREET_STAFF, user__phone__in=DEMO_PHONES)
        .values_list("user__phone", "street_id")
    }
    district_staff = accounts.get("13800000001") or accounts.get("13800000000")
    owners: dict[int, list[tuple]] = defaultdict(list)
    rows = (
        Ownership.objects.current().verified().filter(is_developer=False).exclude(user__phone__in=DEMO_PHONES)
        .order_by("id")
        .values_list("unit__building__compound_id", "user_id", "unit_id", "unit__building_id", "unit__entrance",
                     "unit__number", "user__is_party_member")
    )
    for compound_id, *rest in rows.iterator(chunk_size=10_000):
        owners[compound_id].append(tuple(rest))
    compounds = list(Compound.objects.select_related("community__street").order_by("id"))
    street_ids = sorted({c.community.street_id for c in compounds})
    places = []
    for compound in compounds:
        street_id = compound.community.street_id
        street = street_staff.get(street_id, district_staff)
        company_id, company_name = contracts.get(compound.pk, (None, ""))
        places.append(_Place(
            compound=compound, street_index=street_ids.index(street_id), owners=owners[compound.pk],
            company_id=company_id, company_name=company_name, has_branch=compound.pk in branches,
            manager=community_staff.get(compound.community_id, street), street_staff=street,
            in_grid=compound.pk in grid_compounds,
        ))
    home_company = next((p.company_id for p in places if p.company_name == HOME_COMPANY), None)
    return _World(places, {p.compound.name: p for p in places}, accounts, departments, buildings, home_company)


# --- one case, lived step by step until `now` ------------------------------------------------------


@dataclass(slots=True)
class _Event:
    """A timeline row before it has a case id; `row` is the inserted TimelineEvent."""

    complaint: Complaint
    kind: str
    created_at: datetime
    actor_id: int | None = None
    dispatch: Dispatch | None = None
    from_status: str = ""
    to_status: str = ""
    note: str = ""
    internal: bool = False
    data: dict = field(default_factory=dict)
    row: TimelineEvent | None = None


@dataclass
class _Clock:
    """A deadline that the sweeper watches: escalated if its step was still open at due (+ grace)."""

    step: str
    due: datetime
    tier: str
    dispatch: Dispatch | None = None
    end: datetime | None = None  # when the step was done; None: still open at `now`


@dataclass
class _Case:
    complaint: Complaint
    place: _Place
    events: list[tuple[datetime, int, _Event]] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    clocks: list[_Clock] = field(default_factory=list)
    followers: dict[int, Follower] = field(default_factory=dict)
    ended_at: datetime | None = None  # when it left the open states (terminal or parked)
    template: int = 0

    def is_open_at(self, at: datetime) -> bool:
        return self.complaint.created_at <= at and (self.ended_at is None or self.ended_at > at)


class _Life:
    """Lives one case through the workflow with the deadlines of complaints.services."""

    def __init__(self, case: _Case, world: _World, rng: random.Random, now: datetime, knobs: dict, *,
                 office_hours: bool, cases_by_script: dict[str, _Case], neighbours: list[_Case],
                 template: tuple, place_words: dict[str, str]) -> None:
        self.case, self.c, self.world, self.rng, self.now = case, case.complaint, world, rng, now
        self.template, self.place_words = template, place_words
        self.knobs, self.office_hours = knobs, office_hours
        self.cases_by_script, self.neighbours = cases_by_script, neighbours
        self.manager = case.place.manager

    # helpers
    def knob(self, name: str, draw: Callable[[], object]):
        return self.knobs[name] if name in self.knobs else draw()

    def later(self, t: datetime, name: str, median: float, sigma: float = 1.0, *, staff: bool = False) -> datetime:
        """Return when the next step happens: a knob, else a log-normal delay (staff work office hours)."""
        pace = PACE.get(self.c.urgency, 1.0) if name in PACED else 1.0
        hours = self.knob(name, lambda: self.rng.lognormvariate(0, sigma) * median * pace)
        at = t + timedelta(hours=hours)
        if staff and self.office_hours and self.c.urgency != UrgencyTier.EMERGENCY:
            local = timezone.localtime(at, TZ)
            if local.hour < 8 or local.hour >= 20:
                day = local.date() + timedelta(days=1 if local.hour >= 20 else 0)
                at = datetime.combine(day, time(8, self.rng.randrange(60)), TZ)
        return at.replace(microsecond=0)

    def event(self, at: datetime, kind: str, actor: User | int | None, *, from_status: str = "", to_status: str = "",
              note: str = "", dispatch: Dispatch | None = None, internal: bool = False, bump: bool = True,
              **data) -> _Event:
        """Add a timeline row; `actor` is a user, a user id (no query for a reporter) or None (the system)."""
        actor_id = actor.pk if isinstance(actor, User) else actor
        event = _Event(self.c, kind, at, actor_id, dispatch, from_status, to_status, note, internal, data)
        self.case.events.append((at, len(self.case.events), event))
        if bump:
            self.c.version += 1
        self.c.updated_at = max(self.c.updated_at, at)
        return event

    def move(self, at: datetime, to: str, kind: str, actor: User | int | None, *, note: str = "",
             dispatch: Dispatch | None = None, **fields) -> _Event:
        before = self.c.status
        self.c.status = to
        for name, value in fields.items():
            setattr(self.c, name, value)
        if to not in OPEN_STATUSES:
            self.case.ended_at = at
        return self.event(at, kind, actor, from_status=before, to_status=to, note=note, dispatch=dispatch)

    def clock(self, step: str, due: datetime, dispatch: Dispatch | None = None) -> _Clock:
        clock = _Clock(step, due, self.c.urgency, dispatch)
        self.case.clocks.append(clock)
        return clock

    def done(self, at: datetime) -> bool:
        return at > self.now

    def text(self, template: str) -> str:
        return template.format(**self.place_words)

    # the life
    def live(self) -> None:
        c, rng = self.c, self.rng
        t = c.created_at
        self.event(t, "filed", c.filed_by_id, to_status=S.SUBMITTED, bump=False, source=c.source)
        accept = self.clock("accept", c.accept_due_at)
        t = self.later(t, "triage_after", 3, 1.2, staff=True)
        if self.done(t):
            return
        triage = self.knob("triage", lambda: rng.choices(["accept", "reject", "merge", "info"], [84, 6, 4, 6])[0])
        if triage == "merge":
            survivor = self.survivor(t)
            if survivor is None:
                triage = "accept"
            else:
                accept.end = t
                self.merge(t, survivor)
                return
        if triage == "reject":
            accept.end = t
            reason = rng.choice(texts.REJECT_REASONS)
            self.move(t, S.REJECTED, "rejected", self.manager, note=reason, reject_reason=reason, closed_at=t)
            return
        if triage == "info":
            accept.end = t
            question, answer = rng.choice(texts.INFO_REQUESTS)
            self.move(t, S.NEEDS_INFO, "info_requested", self.manager, note=question, status_before_pause=S.SUBMITTED,
                      info_request=question, paused_at=t)
            answered = self.later(t, "info_wait", 8)
            if self.done(answered):
                return
            waited = answered - t
            c.accept_due_at += waited
            self.move(answered, S.SUBMITTED, "info_provided", c.reporter_id, note=self.text(answer), status_before_pause="",
                      paused_at=None, paused_seconds=c.paused_seconds + int(waited.total_seconds()))
            self.case.events[-1][2].data = {"paused_seconds": int(waited.total_seconds())}
            accept = self.clock("accept", c.accept_due_at)
            t = self.later(answered, "triage_after_info", 2, staff=True)
            if self.done(t):
                return
        accept.end = t
        self.move(t, S.ACCEPTED, "accepted", self.manager, accepted_at=t,
                  handle_due_at=t + timedelta(hours=DEFAULT_TIME_LIMITS[c.urgency][1]))
        self.handle(t)

    def handle(self, t: datetime) -> None:
        """From an accepted case: rounds of dispatch → 报到 → result → check → the resident's answer."""
        c, rng = self.c, self.rng
        handle = self.clock("handle", c.handle_due_at)
        handler, department = self.choose_handler()
        t = self.later(t, "dispatch_after", 1.5, staff=True)
        while True:
            if self.done(t):
                return
            outcome, t = self.dispatch(t, handler, department)
            if outcome == "not_yet":
                return
            if outcome == "returned":
                handler, department = HandlerKind.DEPARTMENT, self.world.departments[texts.RETURN_TO[department.name]]
                t = self.later(t, "redispatch_after", 2, staff=True)
                continue
            if outcome == "parked":
                handle.end = t
                return
            if c.status == S.RESOLVED:
                t = self.later(t, "verify_after", 6, 0.8, staff=True)
                if self.done(t):
                    return
                passed = self.knob("verify_pass", lambda: rng.random() < 0.95 or c.round > 1)
                if not passed:
                    handle.end = t
                    self.reopen(t, "verification_failed", self.manager, texts.VERIFY_FAILED)
                    handle = self.clock("handle", c.handle_due_at)
                    t = self.later(t, "dispatch_after", 1.5, staff=True)
                    continue
                handle.end = t
                self.move(t, S.AWAITING_CONFIRMATION, "verified", self.manager, note=rng.choice(texts.VERIFY_PASSED),
                          confirm_due_at=t + CONFIRM_WITHIN)
            else:
                handle.end = t
            self.rate_department(t)
            t = self.confirm(t)
            if t is None:
                return
            handle = self.clock("handle", c.handle_due_at)
            t = self.later(t, "dispatch_after", 1.5, staff=True)

    def choose_handler(self) -> tuple[str, Department | None]:
        place, rng, category = self.case.place, self.rng, self.c.category
        department_name = self.template[3]
        if department_name == "公安分局" and place.street_index == 0:
            department_name = "乐坪派出所"  # the street's own police station
        department = self.world.departments.get(department_name)
        default = HandlerKind.PROPERTY if place.company_id else HandlerKind.PARTY_BRANCH if place.has_branch else HandlerKind.DEPARTMENT
        if default != HandlerKind.DEPARTMENT and category in (Category.NEIGHBOURS, Category.COMMITTEE) and place.has_branch:
            default = rng.choice([default, HandlerKind.PARTY_BRANCH])
        handler = self.knob("handler", lambda: HandlerKind.DEPARTMENT if rng.random() < DEPARTMENT_SHARE[category] else default)
        if "department" in self.knobs:
            department = self.world.departments[self.knobs["department"]]
        if handler == HandlerKind.DEPARTMENT and department is None:
            handler = default if default != HandlerKind.DEPARTMENT else HandlerKind.DEPARTMENT
            department = department or next(iter(self.world.departments.values()))
        if handler == HandlerKind.PROPERTY and not place.company_id:
            handler = HandlerKind.PARTY_BRANCH if place.has_branch else HandlerKind.DEPARTMENT
        if handler == HandlerKind.PARTY_BRANCH and not place.has_branch:
            handler = HandlerKind.DEPARTMENT
        return handler, department if handler == HandlerKind.DEPARTMENT else None

    def handler_actor(self, dispatch: Dispatch) -> User | None:
        """The demo account that works this dispatch, if there is one (else the timeline names the handler)."""
        if dispatch.handler_kind == HandlerKind.DEPARTMENT:
            return self.world.account("13800000006") if dispatch.department.name == "城管局" else None
        if dispatch.handler_kind == HandlerKind.PROPERTY:
            return self.world.account("13800000005") if dispatch.property_company_id == self.world.home_company_id else None
        return self.world.account("13800000007") if self.case.place.compound.name == SHOWCASE_HOME else None

    def dispatch(self, t: datetime, handler: str, department: Department | None) -> tuple[str, datetime]:
        """One dispatch of this round, from sending to its end; returns (outcome, when)."""
        c, rng, place = self.c, self.rng, self.case.place
        if handler == HandlerKind.DEPARTMENT:
            limit = department.time_limit(c.urgency)
            ack_due, handle_due = t + limit.acknowledge_within, t + limit.handle_within
        else:
            within = COMPOUND_HANDLE_WITHIN.get(c.urgency, COMPOUND_HANDLE_DEFAULT)
            ack_due, handle_due = t + min(within, 24 * H) / 2, t + within
        d = Dispatch(
            complaint=c, handler_kind=handler, department=department,
            property_company_id=place.company_id if handler == HandlerKind.PROPERTY else None,
            tier=c.urgency, status=D.PENDING, instructions=texts.INSTRUCTIONS[handler], dispatched_by=self.manager,
            acknowledge_due_at=ack_due, handle_due_at=handle_due, round=c.round, created_at=t, updated_at=t,
        )
        self.case.dispatches.append(d)
        name = department.name if department else place.company_name if handler == HandlerKind.PROPERTY else f"{place.compound.name}党支部"
        kind = "whistled" if handler == HandlerKind.DEPARTMENT else "assigned"
        data = {"acknowledge_due_at": ack_due.isoformat(), "handle_due_at": handle_due.isoformat()}
        if c.status != S.HANDLING:
            self.move(t, S.HANDLING, kind, self.manager, note=name, dispatch=d)
            self.case.events[-1][2].data = data
        else:
            self.event(t, kind, self.manager, note=name, dispatch=d, **data)
        actor = self.handler_actor(d)
        ack_clock, work_clock = self.clock("acknowledge", ack_due, d), self.clock("dispatch_handle", handle_due, d)
        is_department = handler == HandlerKind.DEPARTMENT

        def step(at: datetime, kind: str, note: str = "", **extra) -> None:
            d.updated_at = at
            self.event(at, kind, actor, note=note, dispatch=d, handler=name, **extra)

        t = self.later(t, "ack_after", 5 if is_department else 1.5, 1.1)
        if self.done(t):
            return "not_yet", t
        ack_clock.end = t
        returned = is_department and department.name in texts.RETURN_TO and self.knob("return", lambda: rng.random() < 0.05)
        if returned:
            other = self.world.departments[texts.RETURN_TO[department.name]]
            reason = texts.RETURN_REASON.format(other=other.name)
            work_clock.end = t
            d.status, d.return_reason, d.return_to = D.RETURNED, reason, other
            step(t, "returned", reason, belongs_to=other.name)
            self.move(t, S.ACCEPTED, "back_to_community", actor)
            return "returned", t
        d.status, d.acknowledged_at = D.ACKNOWLEDGED, t
        step(t, "acknowledged")
        if self.knob("contact", lambda: rng.random() < 0.6):
            t = self.later(t, "contact_after", 2)
            if self.done(t):
                return "not_yet", t
            d.contacted_at = t
            step(t, "contact_recorded")
        if self.knob("arrival", lambda: rng.random() < 0.5):
            t = self.later(t, "arrival_after", 4)
            if self.done(t):
                return "not_yet", t
            d.arrived_at = t
            step(t, "arrival_recorded")
        if is_department and self.knob("extension", lambda: rng.random() < 0.06):
            t = self.later(t, "extension_after", 24)
            if self.done(t):
                return "not_yet", t
            d.status, d.extension_hours, d.extension_reason = D.EXTENSION_REQUESTED, 168, texts.EXTENSION_REASON
            step(t, "extension_requested", texts.EXTENSION_REASON, hours=168)
            t = self.later(t, "extension_decided_after", 6, staff=True)
            if self.done(t):
                return "not_yet", t
            before = d.handle_due_at
            d.handle_due_at, d.status, d.updated_at = before + 168 * H, D.ACKNOWLEDGED, t
            work_clock.end = t
            work_clock = self.clock("dispatch_handle", d.handle_due_at, d)
            self.event(t, "extension_approved", place.street_staff, dispatch=d, handler=name,
                       handle_due_before=before.isoformat(), handle_due_after=d.handle_due_at.isoformat())
        parks = is_department and c.category in (Category.ILLEGAL_BUILDING, Category.COMMITTEE, Category.FIRE_SAFETY,
                                                 Category.FACILITIES, Category.OTHER)
        if parks and self.knob("park", lambda: rng.random() < 0.06):
            t = self.later(t, "work", 72)
            if self.done(t):
                return "not_yet", t
            work_clock.end = t
            d.status, d.park_plan = D.PARKED, texts.PARK_PLAN
            step(t, "parked", texts.PARK_PLAN)
            self.move(t, S.PARKED, "parked", actor)
            return "parked", t
        median = {UrgencyTier.EMERGENCY: 1, UrgencyTier.UTILITIES: 8, UrgencyTier.GENERAL: 60, UrgencyTier.COMPLEX: 140}
        t = self.later(t, "work", median[c.urgency] if is_department else min(12, median[c.urgency]), 0.8)
        if self.done(t):
            return "not_yet", t
        work_clock.end = t
        pool = texts.RESULTS.get(c.category) if is_department and c.category in texts.RESULTS else None
        result = rng.choice(pool or texts.RESULTS[handler if not is_department else "department"])
        d.status, d.resolved_at, d.result = D.RESOLVED, t, result
        step(t, "dispatch_resolved", result)
        if is_department or c.category in CATEGORIES_REQUIRING_VERIFICATION:
            self.move(t, S.RESOLVED, "resolved", actor, resolved_at=t)
        else:
            self.move(t, S.AWAITING_CONFIRMATION, "resolved", actor, resolved_at=t, confirm_due_at=t + CONFIRM_WITHIN)
        return "resolved", t

    def rate_department(self, t: datetime) -> None:
        for d in self.case.dispatches:
            if d.handler_kind == HandlerKind.DEPARTMENT and d.community_score is None and d.status in (D.RESOLVED, D.PARKED, D.RETURNED) \
                    and d.round == self.c.round and self.rng.random() < 0.6:
                score = self.rng.choices([5, 4, 3], [5, 4, 1])[0]
                d.community_score, d.community_comment = score, texts.DISPATCH_RATING_COMMENTS[score]
                self.event(t, "dispatch_rated", self.manager, note=d.community_comment, dispatch=d,
                           handler=d.department.name, score=score)

    def confirm(self, t: datetime) -> datetime | None:
        """The resident answers (or not, and the case closes unconfirmed); returns the reopen time, else None."""
        c, rng = self.c, self.rng
        answered = self.later(t, "confirm_after", 16, 1.0)
        if rng.random() < (0.06 if c.round == 1 else 0.15) and "confirm_after" not in self.knobs:
            answered = t + NEVER
        if answered >= c.confirm_due_at:
            if self.done(c.confirm_due_at):
                return None
            self.move(c.confirm_due_at, S.CLOSED_UNCONFIRMED, "closed_unconfirmed", None, closed_at=c.confirm_due_at)
            return None
        if self.done(answered):
            return None
        answer = self.knob("answer", lambda: rng.choices([Answer.SOLVED, Answer.PARTLY, Answer.NOT_SOLVED], [72, 18, 10])[0])
        if answer == Answer.NOT_SOLVED:
            rating = Rating.DISSATISFIED
        else:
            rating = self.knob("rating", lambda: rng.choices([Rating.SATISFIED, Rating.BASICALLY, Rating.DISSATISFIED], [62, 25, 13])[0])
        reopens = (answer == Answer.NOT_SOLVED or rating == Rating.DISSATISFIED) and c.round == 1 and self.knobs.get("reopen", True)
        if not reopens and (rating == Rating.DISSATISFIED or answer == Answer.NOT_SOLVED):
            # A second round ends with an answer that closes the case (services reopen every 不满意).
            answer, rating = Answer.PARTLY, Rating.BASICALLY
        if reopens:
            note = rng.choice(texts.REOPEN_COMMENTS)
            self.reopen(answered, "reopened", c.reporter_id, note, answer=answer, rating=rating)
            return answered
        comment = rng.choice(texts.RATING_COMMENTS[rating])
        self.move(answered, S.CLOSED, "confirmed", c.reporter_id, note=comment, answer=answer, rating=rating,
                  rating_comment=comment, closed_at=answered)
        self.case.events[-1][2].data = {"answer": answer, "rating": rating}
        return None

    def reopen(self, t: datetime, kind: str, actor: User | int | None, note: str, **data) -> None:
        c = self.c
        for d in self.case.dispatches:
            if d.round == c.round and d.status == D.RESOLVED:
                d.is_redo = True
        self.move(t, S.ACCEPTED, kind, actor, note=note, redo_count=c.redo_count + 1, round=c.round + 1,
                  resolved_at=None, confirm_due_at=None,
                  handle_due_at=t + timedelta(hours=DEFAULT_TIME_LIMITS[c.urgency][1]))
        if data:
            self.case.events[-1][2].data = data

    def survivor(self, t: datetime) -> _Case | None:
        if "merge_into" in self.knobs:
            target = self.knobs["merge_into"]
            target = self.cases_by_script[target] if isinstance(target, str) else target
            return target if target.is_open_at(t) else None
        for other in reversed(self.neighbours):
            if other.complaint.category == self.c.category and other.is_open_at(t) and other.complaint.created_at > t - 21 * 24 * H:
                return other
        return None

    def merge(self, t: datetime, survivor: _Case) -> None:
        c = self.c
        for user_id in self.case.followers:
            survivor.followers.setdefault(user_id, Follower(complaint=survivor.complaint, user_id=user_id,
                                                            via=Follower.Via.MERGED, created_at=t))
        self.move(t, S.MERGED, "merged", self.manager, note=survivor.complaint.number, merged_into=survivor.complaint,
                  closed_at=t)
        survivor.events.append((t, len(survivor.events), _Event(
            survivor.complaint, "absorbed", t, self.manager.pk, note=c.number,
        )))

    def me_too(self) -> None:
        """A neighbour or two join the case (我也遇到) while it is open."""
        owners = self.case.place.owners
        for _ in range(self.rng.randint(1, 2)):
            user_id = self.rng.choice(owners)[0]
            at = self.c.created_at + timedelta(seconds=self.rng.randint(3600, 30 * 3600))
            if user_id in self.case.followers or self.done(at) or not self.case.is_open_at(at):
                continue
            self.case.followers[user_id] = Follower(complaint=self.c, user_id=user_id, via=Follower.Via.ME_TOO, created_at=at)
            self.event(at, "me_too", user_id, bump=False)


# --- the whole year ------------------------------------------------------------------------------


def _new_case(world: _World, place: _Place, category: str, filed_at: datetime, rng: random.Random, *,
              script: Script | None = None) -> tuple[_Case, tuple]:
    owners = place.owners
    reporter_id, unit_id, building_id, entrance, number, party_member = rng.choice(owners)
    if script and script.reporter:
        reporter = world.accounts[script.reporter]
        own = Ownership.objects.filter(user=reporter, unit__building__compound=place.compound).values_list(
            "unit_id", "unit__building_id", "unit__entrance", "unit__number").first()
        reporter_id, (unit_id, building_id, entrance, number), party_member = reporter.pk, own, reporter.is_party_member
    templates = texts.TEMPLATES[category]
    template_index = script.template if script else rng.randrange(len(templates))
    template = templates[template_index]
    source, filed_by_id = Source.RESIDENT, reporter_id
    grid_worker = world.account("13800000004")
    if script and script.filed_by:
        source, filed_by_id = Source.ON_BEHALF, world.accounts[script.filed_by].pk
    elif place.in_grid and grid_worker and (not script or script.natural):
        r = rng.random()
        if r < 0.10:
            source, filed_by_id = Source.ON_BEHALF, grid_worker.pk
        elif r < 0.15 and template[2] == PlaceKind.PUBLIC_AREA:
            source, reporter_id = Source.GRID_PATROL, grid_worker.pk
            filed_by_id = reporter_id
    elif (not script or script.natural) and party_member and rng.random() < 0.3:
        source = Source.PARTY_POST
    words = {"b": world.buildings[building_id], "e": entrance, "u": number, "spot": rng.choice(texts.SPOTS)}
    urgency = script.urgency if script and not script.natural else rng.choices(*zip(*URGENCY.get(category, [(UrgencyTier.GENERAL, 1)]), strict=True))[0]
    place_kind = template[2]
    complaint = Complaint(
        compound=place.compound, building_id=building_id if place_kind != PlaceKind.PUBLIC_AREA else None,
        unit_id=unit_id if place_kind == PlaceKind.UNIT else None, place_kind=place_kind,
        place_note=words["spot"] if place_kind == PlaceKind.PUBLIC_AREA else "",
        category=category, urgency=urgency, title=template[0].format(**words)[:60],
        description=template[1].format(**words), hide_name=rng.random() < 0.7, source=source,
        reporter_id=reporter_id, filed_by_id=filed_by_id, status=S.SUBMITTED, version=1,
        accept_due_at=filed_at + ACCEPT_WITHIN.get(urgency, ACCEPT_WITHIN_DEFAULT), created_at=filed_at, updated_at=filed_at,
    )
    case = _Case(complaint, place, template=template_index)
    case.followers[reporter_id] = Follower(complaint=complaint, user_id=reporter_id, via=Follower.Via.REPORTER, created_at=filed_at)
    return case, (template, words)


def plan_cases(world: _World, seed: int, now: datetime) -> list[_Case]:
    """Live every case of the year in memory (unsaved rows), in filing order. Only scripted reporters query."""
    rng = random.Random(f"complaints.demo:{seed}")
    sketches = sketch_cases(len(world.places), rng, now)
    queue: list[tuple[datetime, int, Sketch | Script]] = [(s.filed_at, i, s) for i, s in enumerate(sketches)]
    for script in SCRIPTS:
        if script.compound in world.by_name:
            queue.append(((now - timedelta(hours=script.ago)).replace(second=0, microsecond=0), len(queue), script))
    heapq.heapify(queue)
    cases: list[_Case] = []
    by_compound: dict[int, list[_Case]] = defaultdict(list)
    by_script: dict[str, _Case] = {}
    per_day: dict[date, int] = defaultdict(int)
    sequence = len(queue)
    while queue:
        filed_at, _, entry = heapq.heappop(queue)
        script = entry if isinstance(entry, Script) else None
        place = world.by_name[entry.compound] if script else world.places[entry.compound]
        if not place.owners:
            continue
        case, (template, words) = _new_case(world, place, entry.category, filed_at, rng, script=script)
        day = timezone.localtime(filed_at, TZ).date()
        per_day[day] += 1  # numbers in filing order per day, as complaint_file takes them
        case.complaint.number = f"TS{day:%Y%m%d}{per_day[day]:04d}"
        natural = script is None or script.natural
        life = _Life(case, world, rng, now, script.knobs if script else {}, office_hours=natural,
                     cases_by_script=by_script, neighbours=by_compound[place.compound.pk], template=template,
                     place_words=words)
        life.live()
        if natural and rng.random() < 0.08:
            life.me_too()
        if natural and rng.random() < 0.05 and case.complaint.status not in (S.MERGED, S.REJECTED):
            note_at = case.complaint.created_at + timedelta(seconds=rng.randint(2 * 3600, 20 * 3600))
            if note_at <= now:
                life.event(note_at, "comment", life.manager, note=rng.choice(texts.STAFF_NOTES), internal=True, bump=False)
        if script is None and rng.random() < DUPLICATE_SHARE:
            # A neighbour reports the same problem a little later; the community merges it into this case.
            at = filed_at + timedelta(minutes=rng.randint(60, 48 * 60))
            if at <= now - timedelta(minutes=10) and case.is_open_at(at):
                duplicate = Script(f"duplicate:{case.complaint.number}", place.compound.name, entry.category, 0,
                                   knobs={"triage": "merge", "merge_into": case}, template=case.template, natural=True)
                heapq.heappush(queue, (at, sequence, duplicate))
                sequence += 1
        if script:
            by_script[script.name] = case
        by_compound[place.compound.pk].append(case)
        cases.append(case)
    return cases


def _escalations(case: _Case, now: datetime, rng: random.Random) -> list[Escalation]:
    """The reminder and supervision the sweeper raised for each late step, as it would have raised them.

    A step still open at `now` gets exactly what `escalations_sweep(now=now)` would raise, so the first
    real sweep finds nothing left to do; a step done in time gets nothing.
    """
    rows = []
    for clock in case.clocks:
        supervise_due = clock.due + SUPERVISE_AFTER.get(clock.tier, SUPERVISE_AFTER[UrgencyTier.GENERAL])
        for level, threshold in ((Escalation.Level.REMINDER, clock.due), (Escalation.Level.SUPERVISION, supervise_due)):
            at = threshold + timedelta(seconds=rng.randint(5, 60))  # the next sweep after the deadline
            if clock.end is None:
                if clock.due >= now or threshold > now:
                    continue
                at = min(at, now)
            elif at >= clock.end:
                continue
            escalation = Escalation(complaint=case.complaint, dispatch=clock.dispatch, step=clock.step, level=level,
                                    due_at=clock.due, created_at=at, resolved_at=clock.end)
            handler = ""
            if clock.dispatch is not None:
                d = clock.dispatch
                handler = (d.department.name if d.department_id else case.place.company_name if d.property_company_id
                           else f"{case.place.compound.name}党支部")
            event = _Event(case.complaint, f"escalation_{level}", at, dispatch=clock.dispatch,
                           data={"step": clock.step, "due_at": clock.due.isoformat(), "handler": handler})
            case.events.append((at, len(case.events), event))
            rows.append(escalation)
    return rows


@contextmanager
def _own_timestamps(*models: type[Model]) -> Iterator[None]:
    """Let bulk inserts keep the historic created_at/updated_at we set (auto_now would stamp today).

    Only for this seeding run: the flags are restored at once, whatever happens.
    """
    fields = [f for m in models for f in m._meta.concrete_fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


NOTIFY_TITLES = {
    "new": gettext_noop("New case %(number)s to accept"),
    "sent": gettext_noop("Case %(number)s is sent to you"),
    "info": gettext_noop("Case %(number)s needs more information"),
    "confirm": gettext_noop("Case %(number)s is resolved: is it solved?"),
    "check": gettext_noop("Case %(number)s is resolved: please check it"),
    "reminder": gettext_noop("Reminder: case %(number)s is overdue"),
    "supervision": gettext_noop("Supervision: case %(number)s is overdue"),
    "filed_for_you": gettext_noop("Case %(number)s was filed for you"),
}


def _inbox(cases: list[_Case], world: _World) -> list[Notification]:
    """Unread inbox messages for the demo accounts about what is waiting for them now."""
    demo_ids = {u.pk for u in world.accounts.values()}
    messages: dict[tuple[int, str], Notification] = {}

    def send(user: User | None, case: _Case, event: _Event, what: str) -> None:
        if user is None or user.pk not in demo_ids:
            return
        key = f"case:{case.complaint.pk}:event:{event.row.pk}"
        with translation.override(settings.LANGUAGE_CODE):
            title = translation.gettext(NOTIFY_TITLES[what]) % {"number": case.complaint.number}
        messages[(user.pk, key)] = Notification(
            user=user, key=key, title=title[:120], body=case.complaint.title, url=reverse("complaints:detail", args=[case.complaint.pk]),
            created_at=event.created_at,
        )

    for case in cases:
        c = case.complaint
        if c.status not in OPEN_STATUSES:
            continue
        reporter = next((u for u in world.accounts.values() if u.pk == c.reporter_id), None)
        for _, _, event in case.events:
            if event.kind == "filed" and c.status == S.SUBMITTED:
                send(case.place.manager, case, event, "new")
                if c.filed_by_id != c.reporter_id:
                    send(reporter, case, event, "filed_for_you")
            elif event.kind == "info_requested" and c.status == S.NEEDS_INFO:
                send(reporter, case, event, "info")
            elif event.to_status == S.AWAITING_CONFIRMATION and c.status == S.AWAITING_CONFIRMATION:
                send(reporter, case, event, "confirm")
            elif event.kind == "resolved" and c.status == S.RESOLVED:
                send(case.place.manager, case, event, "check")
            elif event.kind in ("whistled", "assigned") and event.dispatch.status == D.PENDING:
                d = event.dispatch
                if d.handler_kind == HandlerKind.DEPARTMENT and d.department.name == "城管局":
                    send(world.account("13800000006"), case, event, "sent")
                elif d.handler_kind == HandlerKind.PROPERTY and d.property_company_id == world.home_company_id:
                    send(world.account("13800000005"), case, event, "sent")
            elif event.kind == "escalation_supervision":
                send(case.place.street_staff, case, event, "supervision")
            elif event.kind == "escalation_reminder" and event.dispatch is None:
                send(case.place.manager, case, event, "reminder")
    return list(messages.values())


def seed_cases(*, seed: int = DEFAULT_SEED, now: datetime | None = None,
               progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create a year of cases for the seeded demo district in one transaction; return counts.

    Raises ValueError when the district is missing or cases already exist.
    """
    if Complaint.objects.exists():
        raise ValueError("the database already holds cases")
    district = District.objects.order_by("id").first()
    if district is None:
        raise ValueError("seed the demo district first")
    say = progress or (lambda message: None)
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    with transaction.atomic():
        world = _load_world()
        cases = plan_cases(world, seed, now)
        say(f"cases planned: {len(cases)}")
        rng = random.Random(f"complaints.demo.escalations:{seed}")
        escalations = [row for case in cases for row in _escalations(case, now, rng)]
        with _own_timestamps(Complaint, Dispatch, Follower, Escalation, Notification):
            # Merged cases name a survivor, which must be written first (a CHECK constraint says so).
            pending = [case.complaint for case in cases]
            while pending:
                ready = [c for c in pending if c.merged_into is None or c.merged_into.pk]
                bulk_insert(Complaint, ready)
                pending = [c for c in pending if c.pk is None]
            days: dict[date, int] = defaultdict(int)
            for case in cases:
                day = date(int(case.complaint.number[2:6]), int(case.complaint.number[6:8]), int(case.complaint.number[8:10]))
                days[day] = max(days[day], int(case.complaint.number[10:]))
            existing = set(CaseCounter.objects.filter(day__in=days).values_list("day", flat=True))
            CaseCounter.objects.bulk_create([CaseCounter(day=d, last=n) for d, n in sorted(days.items()) if d not in existing])
            bulk_insert(Dispatch, [d for case in cases for d in case.dispatches])
            events = []
            attnames = [f.attname for f in TimelineEvent._meta.concrete_fields]
            for case in cases:
                case.events.sort(key=lambda e: (e[0], e[1]))
                for _, _, e in case.events:
                    values = {"id": None, "complaint_id": e.complaint.pk, "dispatch_id": e.dispatch.pk if e.dispatch else None,
                              "actor_id": e.actor_id, "kind": e.kind, "from_status": e.from_status, "to_status": e.to_status,
                              "note": e.note, "internal": e.internal, "data": e.data, "created_at": e.created_at}
                    # Positional arguments: Django's fast path, ~3x quicker than keywords for 100,000 rows.
                    e.row = TimelineEvent(*[values[name] for name in attnames])
                    events.append(e.row)
            bulk_insert(TimelineEvent, events)
            bulk_insert(Follower, [f for case in cases for f in case.followers.values()])
            for escalation in escalations:
                target = f"d{escalation.dispatch.pk}" if escalation.dispatch else f"c{escalation.complaint.pk}"
                escalation.key = f"{target}:{escalation.step}:{int(escalation.due_at.timestamp())}:{escalation.level}"
            bulk_insert(Escalation, escalations)
            inbox = _inbox(cases, world)
            bulk_insert(Notification, inbox)
        counts = {
            "cases": len(cases), "dispatches": sum(len(c.dispatches) for c in cases), "timeline_events": len(events),
            "escalations": len(escalations), "notifications": len(inbox),
        }
        root = world.account("13800000000")
        audit(actor=root, action="demo.seed_cases", target=district, seed=seed, counts=counts)
    return counts


def checksum() -> str:
    """Return a digest of the seeded cases that ignores ids: equal digests, equal cases."""
    digest = hashlib.sha256()
    rows = [
        Complaint.objects.order_by("number").values_list(
            "number", "compound__name", "category", "urgency", "status", "title", "description", "place_kind",
            "reporter__phone", "filed_by__phone", "source", "created_at", "accepted_at", "resolved_at", "closed_at",
            "answer", "rating", "round", "merged_into__number", "version",
        ),
        Dispatch.objects.order_by("complaint__number", "created_at", "handler_kind", "department__name").values_list(
            "complaint__number", "handler_kind", "department__name", "property_company__name", "status",
            "acknowledge_due_at", "handle_due_at", "acknowledged_at", "resolved_at", "round", "is_redo", "community_score",
        ),
        TimelineEvent.objects.order_by("complaint__number", "created_at", "id").values_list(
            "complaint__number", "kind", "from_status", "to_status", "actor__phone", "note", "created_at",
        ),
        Escalation.objects.order_by("complaint__number", "due_at", "step", "level").values_list(
            "complaint__number", "step", "level", "due_at", "created_at", "resolved_at",
        ),
        CaseCounter.objects.order_by("day").values_list("day", "last"),
    ]
    for queryset in rows:
        for row in queryset.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
    return digest.hexdigest()


__all__ = ["CATEGORY_SHARES", "SCRIPTS", "checksum", "seed_cases", "sketch_cases"]

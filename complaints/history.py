"""Years of settled cases before the demo year, for the dashboards' year-on-year story and the benchmarks.

`generate_history(start=, end=, seed=)` files cases on the days [start, end) in the district's compounds and
settles every one: closed (answered and rated), closed unconfirmed, or not accepted. None is open or merged,
so no queue, inbox or sweeper ever meets them. A case has 0–2 dispatches (its compound's property company
under contract that day most often, else the party branch or a department; a department may acknowledge late,
return the case to the department it names, or get an extension; the community scores departments 1–5; a
resident's 不满意 gives a redo round against the same handler), one "filed" and one closing timeline row,
and some a follow-up survey (answered or expired). Reporters are verified owners of the compound; the place
is their unit or building, or a public spot.

Numbers are TS<yyyymmdd><4+ digits>, in filing order, after the day's CaseCounter, which is raised in the
same transaction (its rows locked meanwhile), so a case filed through complaints.services later never
collides. Same seed, same database before, same `now`: same cases (`checksum()`).

The story (domain.md §1, §4): the 星物管 model starts at `model_start` (default: a year before `end`).
Before it, 1/(1-0.45) times as many cases as after (complaints down 45% year on year); the rates below move
from BEFORE to AFTER over RAMP_DAYS: satisfaction ~70% → ~90%, on-time acknowledgement ~60% → ~90%, …
Before the model a 不满意 could close a case (the old practice); from it on, as complaints.services do, a
不满意 reopens the case and later dissatisfaction shows only in follow-up answers (the resident's latest
word, governance/dashboards/facts.py). 11% of compounds (the same ones complaints.demo makes hot for the
same seed) produce 47% of the cases; categories follow complaints.demo.CATEGORY_SHARES, months its
seasonality.

Speed: rows are plain tuples (times in epoch seconds), written a chunk of days at a time as COPY text made by
compiled formatters on PostgreSQL (executemany elsewhere); complaint ids are reserved from the table's
sequence, the other tables number their own rows. A load at least as large as the cases table builds the
four tables' secondary indexes and checks their keys after the rows are in (_BulkLoad). About 9,000 cases a
second at 2,000,000 cases on the 2-core machine (3.7 min, indexes included), ~30 µs of Python per case.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import itertools
import json
import math
import random
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from django.apps import apps as django_apps
from django.db import connection, transaction
from django.db.models import BooleanField, DateTimeField, ForeignKey, IntegerField, Model
from django.utils import timezone

from governance.demo import DEMO_PHONES, TZ
from governance.models import (
    DEFAULT_TIME_LIMITS,
    Building,
    Compound,
    Department,
    PartyOrganisation,
    Role,
    RoleAssignment,
    ServiceContract,
    UrgencyTier,
)
from residents.models import Ownership, User

from . import demo_texts as texts
from .demo import (
    CASES_PER_COMPOUND,
    CATEGORY_SHARES,
    DEPARTMENT_SHARE,
    HOT_CASE_SHARE,
    HOT_COMPOUND_SHARE,
    HOUR_WEIGHTS,
    MONTH_WEIGHTS,
    URGENCY,
    apportion,
)
from .models import (
    CATEGORIES_REQUIRING_VERIFICATION,
    Answer,
    CaseCounter,
    Category,
    Complaint,
    Dispatch,
    DispatchStatus,
    FollowUpPolicy,
    HandlerKind,
    PlaceKind,
    Rating,
    Source,
    Status,
    Survey,
    SurveyKind,
    TimelineEvent,
)
from .services import (
    ACCEPT_WITHIN,
    ACCEPT_WITHIN_DEFAULT,
    COMPOUND_HANDLE_DEFAULT,
    COMPOUND_HANDLE_WITHIN,
    CONFIRM_WITHIN,
)

DROP = 0.45  # complaints down 45% year on year once the model runs (domain.md §1)
PER_COMPOUND_YEAR = CASES_PER_COMPOUND / (1 - DROP)  # before the model; after it, (1 - DROP) times this
RAMP_DAYS = 120  # the rates move from BEFORE to AFTER over the model's first months
CHUNK_CASES = 20_000
BULK_MIN_CASES = 50_000  # from this many cases, indexes and keys are built after the load (_BulkLoad)
H = 3600
DAY = 86_400
EXTENSION_HOURS = 168
CONFIRM_SECONDS = int(CONFIRM_WITHIN.total_seconds())


@dataclass(frozen=True)
class Rates:
    """Shares that tell the story; `BEFORE` the model and `AFTER` it (interpolated during the ramp)."""

    accept_on_time: float
    ack_on_time: float  # dispatches acknowledged (报到) by their deadline
    resolve_on_time: float
    satisfied: float  # 满意 + 基本满意 among the residents' latest rating words
    solved: float  # "solved" among them
    reject: float
    unconfirmed: float  # closed without the resident's answer
    redo: float  # the resident reopens after the first round
    returned: float  # a department returns the case as not theirs
    extension: float
    followup: float  # closed cases whose follow-up survey went out
    followup_answered: float
    legacy: float  # share of cases where a 不满意 closes the case (the old practice) instead of reopening it
    scores: tuple[float, float, float, float, float]  # weights of the community's scores 1..5


BEFORE = Rates(accept_on_time=0.74, ack_on_time=0.60, resolve_on_time=0.62, satisfied=0.70, solved=0.55, reject=0.07,
               unconfirmed=0.14, redo=0.10, returned=0.08, extension=0.08, followup=0.30, followup_answered=0.45,
               legacy=1.0, scores=(6, 12, 30, 32, 20))
AFTER = Rates(accept_on_time=0.97, ack_on_time=0.91, resolve_on_time=0.90, satisfied=0.90, solved=0.80, reject=0.04,
              unconfirmed=0.05, redo=0.05, returned=0.03, extension=0.04, followup=0.90, followup_answered=0.65,
              legacy=0.0, scores=(1, 2, 8, 34, 55))


def rates_at(progress: float) -> Rates:
    """The rates a fraction `progress` (0 before the model, 1 once it has settled in) of the way."""
    if progress <= 0:
        return BEFORE
    if progress >= 1:
        return AFTER
    mix = {}
    for f in fields(Rates):
        a, b = getattr(BEFORE, f.name), getattr(AFTER, f.name)
        mix[f.name] = tuple(x + (y - x) * progress for x, y in zip(a, b, strict=True)) if isinstance(a, tuple) \
            else a + (b - a) * progress
    return Rates(**mix)


SCORE_COMMENTS = {1: "多次催促才报到，处理不到位。", 2: "报到不及时，结果打了折扣。", **texts.DISPATCH_RATING_COMMENTS}
ANSWERS_JSON = '{{"solved": "{}", "satisfaction": "{}", "speed": {}, "attitude": {}}}'

COMPLAINT_COLUMNS = (
    "id", "number", "compound_id", "building_id", "unit_id", "place_kind", "place_note", "category", "urgency", "title",
    "description", "hide_name", "source", "reporter_id", "filed_by_id", "status", "status_before_pause", "version",
    "merged_into_id", "reject_reason", "info_request", "accept_due_at", "handle_due_at", "confirm_due_at", "paused_at",
    "paused_seconds", "accepted_at", "resolved_at", "closed_at", "answer", "rating", "rating_comment", "redo_count",
    "round", "created_at", "updated_at",
)
DISPATCH_COLUMNS = (
    "complaint_id", "handler_kind", "department_id", "property_company_id", "tier", "status", "instructions",
    "dispatched_by_id", "acknowledge_due_at", "handle_due_at", "acknowledged_at", "contacted_at", "arrived_at",
    "resolved_at", "result", "return_reason", "return_to_id", "extension_hours", "extension_reason", "park_plan",
    "round", "is_redo", "community_score", "community_comment", "created_at", "updated_at",
)
EVENT_COLUMNS = ("complaint_id", "dispatch_id", "actor_id", "kind", "from_status", "to_status", "note", "internal", "data",
                 "created_at")
SURVEY_COLUMNS = (
    "template_id", "questions", "recipient_id", "purpose", "complaint_id", "campaign_id", "unit_id", "status",
    "invite_at", "remind_at", "expires_at", "invited_at", "reminded_at", "answered_at", "answers", "solved",
    "satisfaction", "still_fixed", "created_at", "updated_at",
)


# --- the district, as plain values -----------------------------------------------------------------


@dataclass
class Place:
    compound_id: int
    owners: list[tuple]  # (user_id, unit_id, building_id, entrance, unit number, is_party_member)
    contracts: list[tuple[date, date | None, int]]  # (start, end, company id), by start
    has_branch: bool
    manager_id: int  # who accepts, dispatches and rejects: community staff, else street, district, superuser
    police: str = "公安分局"  # 乐坪派出所 for the first street's compounds (as complaints.demo)

    def company(self, day: date) -> int | None:
        company = None
        for start, end, company_id in self.contracts:
            if start <= day and (end is None or end >= day):
                company = company_id
        return company


@dataclass
class World:
    places: list[Place | None]  # every compound in id order; None: no owner to report anything
    buildings: dict[int, str]  # id → name
    departments: dict[str, int]  # name → id
    limits: dict[tuple[int, str], tuple[int, int]]  # (department id, tier) → (acknowledge, handle) seconds
    survey_template_id: int | None = None
    survey_questions: str = "[]"  # the template's questions as JSON, frozen into every survey
    timing: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # category → invite, remind, expire days

    def limit(self, department_id: int, tier: str) -> tuple[int, int]:
        found = self.limits.get((department_id, tier))
        if found is None:
            ack, handle = DEFAULT_TIME_LIMITS[tier]
            found = (ack * H, handle * H)
        return found


def load_world() -> World:
    """Read what the cases need in a dozen queries, whatever the scale."""
    from .surveys import defaults
    from .surveys.services import template_for

    compounds = list(Compound.objects.order_by("id").values_list("id", "community_id", "community__street_id"))
    if not compounds:
        raise ValueError("seed the district first: there is no compound")
    phones = set(DEMO_PHONES)
    try:
        from committees.demo import CHAIR_PHONE

        phones.add(CHAIR_PHONE)
    except ImportError:  # the committees app is optional here
        pass
    owners: dict[int, list[tuple]] = {}
    rows = (
        Ownership.objects.current().verified().filter(is_developer=False).exclude(user__phone__in=phones)
        .order_by("id")
        .values_list("unit__building__compound_id", "user_id", "unit_id", "unit__building_id", "unit__entrance",
                     "unit__number", "user__is_party_member")
    )
    for compound_id, *rest in rows.iterator(chunk_size=20_000):
        owners.setdefault(compound_id, []).append(tuple(rest))
    contracts: dict[int, list] = {}
    for compound_id, start, end, company_id in ServiceContract.objects.order_by("compound_id", "start", "id").values_list(
            "compound_id", "start", "end", "company_id"):
        contracts.setdefault(compound_id, []).append((start, end, company_id))
    branches = set(PartyOrganisation.objects.filter(kind=PartyOrganisation.Kind.COMPOUND_BRANCH)
                   .values_list("compound_id", flat=True))
    roles = RoleAssignment.objects.active().filter(user__is_active=True).order_by("id")
    community_staff, street_staff = {}, {}
    for community_id, user_id in roles.filter(role=Role.COMMUNITY_STAFF).values_list("community_id", "user_id"):
        community_staff.setdefault(community_id, user_id)
    for street_id, user_id in roles.filter(role=Role.STREET_STAFF).values_list("street_id", "user_id"):
        street_staff.setdefault(street_id, user_id)
    fallback = (roles.filter(role=Role.DISTRICT_STAFF).values_list("user_id", flat=True).first()
                or User.objects.filter(is_superuser=True, is_active=True).order_by("id").values_list("id", flat=True).first())
    first_street = min(street_id for _, _, street_id in compounds)
    places: list[Place | None] = []
    for compound_id, community_id, street_id in compounds:
        mine = owners.get(compound_id)
        if not mine:
            places.append(None)
            continue
        manager = community_staff.get(community_id) or street_staff.get(street_id) or fallback or mine[0][0]
        places.append(Place(compound_id, mine, contracts.get(compound_id, []), compound_id in branches, manager,
                            "乐坪派出所" if street_id == first_street else "公安分局"))
    if not any(places):
        raise ValueError("no compound has a verified owner to report a case")

    departments, limits = {}, {}
    for department in Department.objects.prefetch_related("time_limits").order_by("id"):
        departments.setdefault(department.name, department.pk)
        for tier in UrgencyTier.values:
            limit = department.time_limit(tier)
            limits[(department.pk, tier)] = (limit.acknowledge_hours * H, limit.handle_hours * H)
    if not departments:
        raise ValueError("seed the departments first: cases are whistled to them")

    defaults.create(django_apps)  # the data migration's templates are gone if a test flushed the tables
    template = template_for(SurveyKind.CASE_FOLLOWUP)
    timing = {}
    for category in Category.values:
        t = FollowUpPolicy.timing_for(category)
        timing[category] = (t.invite_after_days, t.remind_after_days, t.expire_after_days)
    return World(
        places=places, buildings=dict(Building.objects.values_list("id", "name")), departments=departments,
        limits=limits, survey_template_id=template.pk if template else None,
        survey_questions=json.dumps(template.snapshot(), ensure_ascii=False) if template else "[]", timing=timing,
    )


# --- the plan: days, counts, and every case's life -------------------------------------------------


@dataclass
class Chunk:
    """The rows of a run of consecutive days, ready to write (complaint ids already in place)."""

    complaints: list[tuple] = field(default_factory=list)
    dispatches: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    surveys: list[tuple] = field(default_factory=list)
    last_numbers: dict[date, int] = field(default_factory=dict)


def day_counts(start: date, end: date, *, compounds: int, rng: random.Random, total: int | None = None,
               per_compound_year: float = PER_COMPOUND_YEAR, model_start: date) -> list[tuple[date, int]]:
    """How many cases each day gets: more in summer, and (1 - DROP) times as many from `model_start` on.

    The total is split exactly over the runs of days that share a month and a side of `model_start`, then
    each run's cases fall on its days at random (a small total is not heaped on the busiest days).
    """
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    if not days:
        return []
    year_mean = sum(MONTH_WEIGHTS[(date(2023, 1, 1) + timedelta(days=i)).month] for i in range(365)) / 365
    runs = [list(run) for _, run in itertools.groupby(days, key=lambda d: (d.year, d.month, d < model_start))]
    weights = [len(run) * MONTH_WEIGHTS[run[0].month] / year_mean * (1 if run[0] < model_start else 1 - DROP)
               for run in runs]
    if total is None:
        total = round(per_compound_year * compounds / 365 * sum(weights))
    counts: dict[date, int] = dict.fromkeys(days, 0)
    for run, n in zip(runs, apportion(total, weights), strict=True):
        for _ in range(n):
            counts[run[int(rng.random() * len(run))]] += 1
    return list(counts.items())


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(weights))


# Plain strings, not the enum members, in the loop below: quicker to compare and to write.
SUBMITTED, AWAITING, CLOSED = Status.SUBMITTED.value, Status.AWAITING_CONFIRMATION.value, Status.CLOSED.value
UNCONFIRMED, REJECTED = Status.CLOSED_UNCONFIRMED.value, Status.REJECTED.value
PROPERTY, BRANCH, DEPARTMENT = HandlerKind.PROPERTY.value, HandlerKind.PARTY_BRANCH.value, HandlerKind.DEPARTMENT.value
D_RESOLVED, D_RETURNED = DispatchStatus.RESOLVED.value, DispatchStatus.RETURNED.value
SOLVED, PARTLY, NOT_SOLVED = Answer.SOLVED.value, Answer.PARTLY.value, Answer.NOT_SOLVED.value
SATISFIED, BASICALLY, DISSATISFIED = Rating.SATISFIED.value, Rating.BASICALLY.value, Rating.DISSATISFIED.value
UNIT, PUBLIC_AREA = PlaceKind.UNIT.value, PlaceKind.PUBLIC_AREA.value
RESIDENT, PARTY_POST = Source.RESIDENT.value, Source.PARTY_POST.value
FOLLOWUP, ANSWERED, EXPIRED = Survey.Purpose.CASE_FOLLOWUP.value, Survey.Status.ANSWERED.value, Survey.Status.EXPIRED.value
BRANCH_CATEGORIES = frozenset({Category.NEIGHBOURS.value, Category.COMMITTEE.value})


@dataclass(frozen=True)
class _Tier:
    name: str
    accept_within: int  # seconds
    case_within: int
    compound_within: int  # a property company's or party branch's handle-by
    pace: float  # urgent cases move faster through the staff steps (as complaints.demo)


@dataclass(frozen=True)
class _Kind:
    """What a category brings: its templates, urgency tiers, share whistled to a department, site check."""

    name: str
    templates: list[tuple[str, str, str, str]]  # (title, description, place kind, department)
    tiers: list[_Tier]
    tier_cum: list[float]
    department_share: float
    verify: bool
    results: list[str]  # a department's result text


def _kinds() -> list[_Kind]:
    tiers = {}
    for tier in UrgencyTier.values:
        tiers[tier] = _Tier(
            tier, int((ACCEPT_WITHIN.get(tier) or ACCEPT_WITHIN_DEFAULT).total_seconds()), DEFAULT_TIME_LIMITS[tier][1] * H,
            int((COMPOUND_HANDLE_WITHIN.get(tier) or COMPOUND_HANDLE_DEFAULT).total_seconds()),
            0.15 if tier == UrgencyTier.EMERGENCY else 0.5 if tier == UrgencyTier.UTILITIES else 1.0,
        )
    kinds = []
    for category in CATEGORY_SHARES:
        weights = URGENCY.get(category, [(UrgencyTier.GENERAL, 1)])
        kinds.append(_Kind(
            str(category.value), [(t, d, str(PlaceKind(k).value), dept) for t, d, k, dept in texts.TEMPLATES[category]],
            [tiers[str(t)] for t, _ in weights], _cumulative(w for _, w in weights), DEPARTMENT_SHARE[category],
            category in CATEGORIES_REQUIRING_VERIFICATION, texts.RESULTS.get(category) or texts.RESULTS["department"],
        ))
    return kinds


class Planner:
    """Lives every case of the history in memory, a chunk of days at a time; no query (tests use it directly).

    Rows are tuples in the order of the *_COLUMNS above, with times as whole seconds since the epoch (UTC).
    """

    def __init__(self, world: World, *, start: date, end: date, seed: int, total: int | None = None,
                 per_compound_year: float = PER_COMPOUND_YEAR, model_start: date | None = None,
                 now: datetime | None = None, counters: dict[date, int] | None = None) -> None:
        self.world = world
        self.now = now or timezone.now()
        self.model_start = model_start or (end - timedelta(days=365))
        self.counters = counters or {}
        self.rng = random.Random(f"complaints.history:{seed}")
        active = [i for i, place in enumerate(world.places) if place is not None]
        self.days = day_counts(start, end, compounds=len(active), rng=self.rng, total=total,
                               per_compound_year=per_compound_year, model_start=self.model_start)
        self.total = sum(n for _, n in self.days)
        # The hot compounds are those complaints.demo picks for the same seed: hotspots last for years.
        count = len(world.places)
        hot = set(random.Random(f"complaints.demo:{seed}").sample(range(count), max(1, round(HOT_COMPOUND_SHARE * count))))
        hot &= set(active)
        cold = [i for i in active if i not in hot]
        weights = {}
        for members, share in ((sorted(hot), HOT_CASE_SHARE if cold else 1.0), (cold, 1 - HOT_CASE_SHARE if hot else 1.0)):
            draws = [self.rng.lognormvariate(0, 0.4) for _ in members]
            for i, w in zip(members, draws, strict=True):
                weights[i] = share * w / sum(draws)
        self.place_list = [world.places[i] for i in active]
        self.place_cum = _cumulative(weights[i] for i in active)
        self.kinds = _kinds()
        self.kind_cum = _cumulative(CATEGORY_SHARES.values())
        self.hour_cum = _cumulative(HOUR_WEIGHTS)
        self.return_to = {world.departments[a]: world.departments[b] for a, b in texts.RETURN_TO.items()
                          if a in world.departments and b in world.departments}
        self.department_names = {v: k for k, v in world.departments.items()}
        self.any_department = next(iter(world.departments.values()))
        self.counts = {"cases": 0, "dispatches": 0, "timeline_events": 0, "surveys": 0}

    def progress(self, day: date) -> float:
        if day < self.model_start:
            return 0.0
        return min(1.0, ((day - self.model_start).days + 1) / RAMP_DAYS)

    def chunks(self, reserve_ids: Callable[[int], list[int]], size: int = CHUNK_CASES) -> Iterator[Chunk]:
        """Yield the rows a run of days at a time; `reserve_ids(n)` gives n new complaint ids, ascending."""
        pending: list[tuple[date, int]] = []
        waiting = 0
        for day, n in self.days:
            pending.append((day, n))
            waiting += n
            if waiting >= size:
                yield self._chunk(pending, reserve_ids(waiting))
                pending, waiting = [], 0
        if pending:
            yield self._chunk(pending, reserve_ids(waiting))

    def _chunk(self, days: list[tuple[date, int]], ids: list[int]) -> Chunk:
        chunk = Chunk()
        rng = self.rng.random
        hour_cum, total_hours = self.hour_cum, self.hour_cum[-1]
        next_id = iter(ids).__next__
        now = int(self.now.timestamp())
        for day, n in days:
            if not n:
                continue
            midnight = int(datetime.combine(day, dtime(), TZ).timestamp())
            seconds = sorted(bisect.bisect(hour_cum, rng() * total_hours) * H + int(rng() * H) for _ in range(n))
            rates = rates_at(self.progress(day))
            last = self.counters.get(day, 0)
            stamp = f"TS{day:%Y%m%d}"
            for offset in seconds:
                last += 1
                self._case(chunk, next_id(), f"{stamp}{last:04d}", day, midnight + offset, now, rates)
            chunk.last_numbers[day] = last
        return chunk

    def _case(self, chunk: Chunk, case_id: int, number: str, day: date, filed: int, now: int, r: Rates) -> None:
        """One case from filing to its end: offsets (seconds after filing) first, rows at the end."""
        rng, world = self.rng.random, self.world
        place = self.place_list[bisect.bisect(self.place_cum, rng() * self.place_cum[-1])]
        kind = self.kinds[bisect.bisect(self.kind_cum, rng() * self.kind_cum[-1])]
        category = kind.name
        title, description, place_kind, department_name = kind.templates[int(rng() * len(kind.templates))]
        reporter, unit_id, building_id, entrance, unit_number, party_member = place.owners[int(rng() * len(place.owners))]
        spot = texts.SPOTS[int(rng() * len(texts.SPOTS))]
        words = {"b": world.buildings[building_id], "e": entrance, "u": unit_number, "spot": spot}
        tier = kind.tiers[bisect.bisect(kind.tier_cum, rng() * kind.tier_cum[-1])] if len(kind.tiers) > 1 else kind.tiers[0]
        source = PARTY_POST if party_member and rng() < 0.3 else RESIDENT
        manager, pace = place.manager_id, tier.pace
        if rng() < r.accept_on_time:
            triage = tier.accept_within * (0.03 + 0.9 * rng() ** 1.5)
        else:
            triage = tier.accept_within * (1.02 + _expo(rng, 0.8))
        head = (
            case_id, number, place.compound_id, building_id if place_kind != PUBLIC_AREA else None,
            unit_id if place_kind == UNIT else None, place_kind, spot if place_kind == PUBLIC_AREA else "", category,
            tier.name, title.format_map(words)[:60], description.format_map(words), rng() < 0.7, source, reporter, reporter,
        )
        accept_due = filed + tier.accept_within
        filed_event = (case_id, None, reporter, "filed", "", SUBMITTED, "", False, f'{{"source": "{source}"}}', filed)
        events = chunk.events
        counts = self.counts
        counts["cases"] += 1
        counts["timeline_events"] += 2
        if rng() < r.reject:
            closed = filed + int(min(triage, max(0, now - filed)))
            reason = texts.REJECT_REASONS[int(rng() * len(texts.REJECT_REASONS))]
            chunk.complaints.append(head + (REJECTED, "", 2, None, reason, "", accept_due, None, None, None, 0, None, None,
                                             closed, "", "", "", 0, 1, filed, closed))
            events.append(filed_event)
            events.append((case_id, None, manager, "rejected", SUBMITTED, REJECTED, reason, False, "{}", closed))
            return

        # Who handles it: the property company under contract that day, the party branch, or a department.
        company = place.company(day)
        default = PROPERTY if company else BRANCH if place.has_branch else DEPARTMENT
        if default != DEPARTMENT and place.has_branch and category in BRANCH_CATEGORIES and rng() < 0.5:
            default = BRANCH
        handler = DEPARTMENT if rng() < kind.department_share else default
        department = None
        if handler == DEPARTMENT:
            name = place.police if department_name == "公安分局" else department_name
            department = world.departments.get(name) or self.any_department

        accepted = triage
        start = accepted + (0.1 + 2.5 * rng()) * H * pace
        spec = self._dispatch(handler, department, company, start, tier, kind, r, 1, True)
        specs = [spec]
        returned = spec[3] == D_RETURNED
        if returned:
            start = spec[15] + (0.5 + 4 * rng()) * H * pace
            spec = self._dispatch(DEPARTMENT, spec[16], None, start, tier, kind, r, 1, False)
            specs.append(spec)
        verify = handler == DEPARTMENT or kind.verify
        resolved = spec[13]
        settled = resolved + ((2 + 22 * rng()) * H * pace if verify else 0)
        redo = not returned and rng() < r.redo
        reopened = 0.0
        if redo:
            reopened = settled + (2 + 40 * rng()) * H
            specs[0][17] = True  # is_redo: the case was reopened against this handler
            start = reopened + (0.5 + 4 * rng()) * H * pace
            spec = self._dispatch(spec[0], spec[1], spec[2], start, tier, kind, r, 2, False)
            specs.append(spec)
            resolved = spec[13]
            settled = resolved + ((2 + 22 * rng()) * H * pace if verify else 0)
        # Closed unconfirmed once the week to answer has passed: only when it has passed by `now`.
        unconfirmed = rng() < r.unconfirmed and filed + settled + CONFIRM_SECONDS < now
        answered = settled + (CONFIRM_SECONDS if unconfirmed else min(6.5 * DAY, (0.3 + _expo(rng, 1)) * 14 * H))
        last = max(answered, *(s[19] for s in specs))
        k = (now - filed) / last if filed + last > now else 1.0  # a life that would run past `now` goes faster

        # The resident's word. Before the model a 不满意 could close a case; from it on it reopens (the redo above)
        # and later dissatisfaction shows in the follow-up answers.
        legacy = rng() < r.legacy
        answer = rating = comment = ""
        if not unconfirmed:
            if legacy and rng() > r.satisfied:
                rating = DISSATISFIED
                answer = NOT_SOLVED if rng() < 0.55 else PARTLY
                comment = texts.REOPEN_COMMENTS[int(rng() * len(texts.REOPEN_COMMENTS))]
            else:
                rating = SATISFIED if rng() < 0.62 else BASICALLY
                answer = SOLVED if rng() < r.solved / r.satisfied else PARTLY
                comments = texts.RATING_COMMENTS[rating]
                comment = comments[int(rng() * len(comments))]

        accepted_at = filed + int(accepted * k)
        handle_due = accepted_at + tier.case_within
        version = 4  # filed, accepted, handling, resolved
        dispatches = chunk.dispatches
        for s in specs:
            row = self._dispatch_row(case_id, s, filed, k, manager, tier.name)
            if s[20] == 2:  # the redo round starts from the reopening
                handle_due = filed + int(reopened * k) + tier.case_within
                version += 3  # reopened, handling, resolved
            elif s[3] == D_RETURNED:
                version += 2  # back to the community, handling again
            if row[9] > handle_due:
                handle_due = row[9]
            dispatches.append(row)
        counts["dispatches"] += len(specs)
        version += 2 if verify else 1  # checked on site, closed
        settled_at = filed + int(settled * k)
        confirm_due = settled_at + CONFIRM_SECONDS
        closed = confirm_due if unconfirmed else filed + int(answered * k)
        chunk.complaints.append(head + (
            UNCONFIRMED if unconfirmed else CLOSED, "", version, None, "", "", accept_due, handle_due, confirm_due, None,
            0, accepted_at, filed + int(resolved * k), closed, answer, rating, comment, int(redo), 2 if redo else 1,
            filed, closed,
        ))
        events.append(filed_event)
        if unconfirmed:
            events.append((case_id, None, None, "closed_unconfirmed", AWAITING, UNCONFIRMED, "", False, "{}", closed))
        else:
            events.append((case_id, None, reporter, "confirmed", AWAITING, CLOSED, comment, False,
                           f'{{"answer": "{answer}", "rating": "{rating}"}}', closed))

        # The follow-up survey, if it went out and its window has passed by `now`.
        if world.survey_template_id is None or rng() >= r.followup:
            return
        invite_days, remind_days, expire_days = world.timing[category]
        invite_at = closed + invite_days * DAY
        expires_at = invite_at + expire_days * DAY
        if expires_at > now:
            return
        remind_at = invite_at + remind_days * DAY if remind_days < expire_days else None
        invited_at = invite_at + 30 + int(rng() * 50)
        unit = unit_id if place_kind == UNIT else None
        counts["surveys"] += 1
        if rng() >= r.followup_answered:
            chunk.surveys.append((
                world.survey_template_id, world.survey_questions, reporter, FOLLOWUP, case_id, None, unit, EXPIRED,
                invite_at, remind_at, expires_at, invited_at, remind_at + 45 if remind_at else None, None, "{}", "", "",
                None, closed, expires_at + 40,
            ))
            return
        answered_at = invited_at + int(min(expire_days * DAY - H, (0.1 + _expo(rng, 1)) * 30 * H))
        # From the model on, the follow-up is where later dissatisfaction shows (a 不满意 at closing reopens).
        unhappy = 0.0 if legacy else min(0.95, (1 - r.satisfied) / max(0.05, r.followup * r.followup_answered))
        if rng() < unhappy:
            satisfaction = DISSATISFIED
        elif rating and rng() < 0.85:
            satisfaction = rating
        else:
            satisfaction = SATISFIED if rng() < 0.6 else BASICALLY
        if answer in (SOLVED, PARTLY) and rng() < 0.9:
            solved = answer
        else:  # "not solved" in a follow-up would have reopened the case: such answers are not history
            solved = SOLVED if rng() < r.solved / r.satisfied else PARTLY
        if satisfaction == DISSATISFIED and solved == SOLVED and rng() < 0.5:
            solved = PARTLY
        chunk.surveys.append((
            world.survey_template_id, world.survey_questions, reporter, FOLLOWUP, case_id, None, unit, ANSWERED, invite_at,
            remind_at, expires_at, invited_at, remind_at + 45 if remind_at and answered_at > remind_at else None,
            answered_at, ANSWERS_JSON.format(solved, satisfaction, 2 + int(rng() * 4), 2 + int(rng() * 4)), solved,
            satisfaction, None, closed, answered_at,
        ))

    def _dispatch(self, handler: str, department: int | None, company: int | None, start: float, tier: _Tier,
                  kind: _Kind, r: Rates, round_: int, may_return: bool) -> list:
        """One dispatch, times as offsets: [0 handler, 1 department, 2 company, 3 status, 4 acknowledge within,
        5 handle within, 6 sent, 7 acknowledged, 8 contacted, 9 arrived, 10 extension hours, 11 score, 12 score
        comment, 13 resolved, 14 result, 15 returned, 16 returned to, 17 is_redo, 18 -, 19 last change, 20 round]."""
        rng = self.rng.random
        is_department = handler == DEPARTMENT
        if is_department:
            ack_within, handle_within = self.world.limit(department, tier.name)
        else:
            handle_within = tier.compound_within
            ack_within = min(handle_within, DAY) / 2
        if rng() < r.ack_on_time:
            ack = start + ack_within * (0.04 + 0.9 * rng() ** 1.3)
        else:
            ack = start + ack_within * (1.03 + _expo(rng, 0.9))
        spec = [handler, department, company, D_RESOLVED, ack_within, handle_within, start, ack, None, None, None, None,
                "", None, "", None, None, False, None, ack, round_]
        if is_department and may_return and department in self.return_to and rng() < r.returned:
            spec[3], spec[7], spec[15], spec[16] = D_RETURNED, None, ack, self.return_to[department]
            self._score(spec, ack + (0.5 + 3 * rng()) * H, r)
            return spec
        if is_department and rng() < r.extension:
            spec[10] = EXTENSION_HOURS
            handle_within += EXTENSION_HOURS * H
        if rng() < r.resolve_on_time:
            done = start + handle_within * (0.08 + 0.85 * rng() ** 1.5) * min(1.0, tier.pace * 2)
        else:
            done = start + handle_within * (1.03 + _expo(rng, 1.5))
        if done < ack + 600:
            done = ack + 600
        if rng() < 0.6:
            spec[8] = ack + (done - ack) * 0.3 * rng()
        if rng() < 0.5:
            spec[9] = ack + (done - ack) * (0.3 + 0.5 * rng())
        spec[13] = spec[19] = done
        pool = kind.results if is_department else texts.RESULTS[handler]
        spec[14] = pool[int(rng() * len(pool))]
        if is_department:
            self._score(spec, done + (2 + 20 * rng()) * H * tier.pace, r)
        return spec

    def _score(self, spec: list, at: float, r: Rates) -> None:
        rng = self.rng.random
        if rng() < 0.6:
            cum = _cumulative(r.scores)
            score = min(5, 1 + bisect.bisect(cum, rng() * cum[-1]))
            spec[11], spec[12] = score, SCORE_COMMENTS[score]
            if at > spec[19]:
                spec[19] = at

    def _dispatch_row(self, case_id: int, s: list, filed: int, k: float, manager: int, tier: str) -> tuple:
        handler = s[0]
        sent = filed + int(s[6] * k)
        return (
            case_id, handler, s[1], s[2] if handler == PROPERTY else None, tier, s[3], texts.INSTRUCTIONS[handler], manager,
            sent + int(s[4]), sent + int(s[5]) + (s[10] or 0) * H,
            None if s[7] is None else filed + int(s[7] * k), None if s[8] is None else filed + int(s[8] * k),
            None if s[9] is None else filed + int(s[9] * k), None if s[13] is None else filed + int(s[13] * k), s[14],
            texts.RETURN_REASON.format(other=self.department_names.get(s[16], "")) if s[16] else "", s[16], s[10],
            texts.EXTENSION_REASON if s[10] else "", "", s[20], s[17], s[11], s[12], sent, filed + int(s[19] * k),
        )


def _expo(rng: Callable[[], float], mean: float) -> float:
    return -math.log(1.0 - rng()) * mean


# --- writing ---------------------------------------------------------------------------------------


class _Days(dict):
    """Day number since the epoch → "YYYY-MM-DD ", made on first use."""

    def __missing__(self, number: int) -> str:
        text = self[number] = f"{date(1970, 1, 1) + timedelta(days=number)} "
        return text


_SPECIAL = re.compile(r"[\\\t\n\r]")
_CLOCK: list[str] = []  # second of the day → "HH:MM:SS+00", built on first use


def _copy_text(value: str) -> str:
    """A string as COPY's text format wants it (our texts almost never need a change)."""
    if not _SPECIAL.search(value):
        return value
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _line_maker(fields_: list, tail: list) -> Callable[[tuple], str]:
    """Compile a function that turns a row tuple (times as epoch seconds) into one line of COPY text."""
    if not _CLOCK:
        _CLOCK.extend(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY))
    parts = []
    for i, f in enumerate(fields_):
        value = f"r[{i}]"
        if isinstance(f, DateTimeField):
            text = f"D[{value} // 86400] + C[{value} % 86400]"
        elif isinstance(f, BooleanField):
            text = f"('t' if {value} else 'f')"
        elif isinstance(f, IntegerField | ForeignKey) or f.choices:  # numbers and choice values need no escaping
            text = value
        else:
            text = f"E({value})"
        parts.append("{" + (f"N if {value} is None else {text}" if f.null else text) + "}")
    for value in tail:
        text = "\\N" if value is None else ("t" if value else "f") if isinstance(value, bool) else _copy_text(str(value))
        parts.append(text.replace("\\", "\\\\").replace("{", "{{").replace("}", "}}").replace('"', '\\"'))
    source = 'lambda r: f"' + "\\t".join(parts) + '\\n"'
    return eval(source, {"D": _Days(), "C": _CLOCK, "E": _copy_text, "N": "\\N"})  # noqa: S307 - our own code


class _Writer:
    """COPY text on PostgreSQL, executemany elsewhere. Columns are attnames; fields left out get their default."""

    def __init__(self) -> None:
        self.postgresql = connection.vendor == "postgresql"
        self.plans: dict[tuple, tuple[str, Callable[[tuple], object]]] = {}

    def _plan(self, model: type[Model], columns: tuple[str, ...]) -> tuple[str, Callable[[tuple], object]]:
        key = (model, columns)
        if key not in self.plans:
            meta = model._meta
            by_attname = {f.attname: f for f in meta.concrete_fields}
            unknown = set(columns) - set(by_attname)
            if unknown:
                raise ValueError(f"{model.__name__} has no field {sorted(unknown)}")
            given = [by_attname[c] for c in columns]
            rest = [f for f in meta.concrete_fields if f.attname not in columns and not f.primary_key]
            tail = []
            for f in rest:  # a field added to the model later: its default, the same for every row
                if not f.has_default() and not f.null:
                    raise ValueError(f"{model.__name__}.{f.name} needs a value in complaints.history")
                value = f.get_default()
                tail.append(json.dumps(value) if isinstance(value, dict | list) else value)
            quote = connection.ops.quote_name
            table, cols = quote(meta.db_table), ", ".join(quote(f.column) for f in given + rest)
            if self.postgresql:
                self.plans[key] = (f"COPY {table} ({cols}) FROM STDIN", _line_maker(given, tail))
            else:
                times = [i for i, f in enumerate(given) if isinstance(f, DateTimeField)]
                adapt, extra = connection.ops.adapt_datetimefield_value, tuple(tail)

                def convert(row: tuple) -> tuple:
                    row = list(row)
                    for i in times:
                        if row[i] is not None:
                            row[i] = adapt(datetime.fromtimestamp(row[i], UTC))
                    return (*row, *extra)

                marks = ", ".join(["%s"] * (len(given) + len(rest)))
                self.plans[key] = (f"INSERT INTO {table} ({cols}) VALUES ({marks})", convert)
        return self.plans[key]

    def write(self, model: type[Model], columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        sql, make = self._plan(model, columns)
        with connection.cursor() as cursor:
            if self.postgresql:
                with cursor.cursor.copy(sql) as copy:
                    for i in range(0, len(rows), 2000):
                        copy.write("".join(map(make, rows[i:i + 2000])))
            else:
                cursor.executemany(sql, list(map(make, rows)))

    def reserve_ids(self, model: type[Model], n: int) -> list[int]:
        """n new primary keys, ascending: from the table's sequence on PostgreSQL, after the largest elsewhere."""
        if not n:
            return []
        meta = model._meta
        with connection.cursor() as cursor:
            if self.postgresql:
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                               [meta.db_table, meta.pk.column, n])
                return sorted(pk for (pk,) in cursor.fetchall())
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            largest = cursor.fetchone()[0] or 0
            if connection.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
                row = cursor.fetchone()
                largest = max(largest, row[0] if row else 0)
        return list(range(largest + 1, largest + n + 1))


class _BulkLoad:
    """On PostgreSQL, for a load as large as what the tables hold: drop the tables' secondary indexes, unique and
    foreign-key constraints, and create them again, exactly as they were, once the rows are in.

    One sorted build per index and one join per foreign key instead of a B-tree insert per row per index and
    a deferred trigger per row per key (which dominated). Transactional: a failure rolls back to the old
    schema. The tables are locked (ACCESS EXCLUSIVE) until the transaction ends; the primary keys stay.
    """

    TABLES = (Complaint, Dispatch, TimelineEvent, Survey)

    def __init__(self) -> None:
        self.indexes: list[str] = []
        self.constraints: list[tuple[str, str, str]] = []  # (table, name, definition)

    def __enter__(self) -> _BulkLoad:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in self.TABLES:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                    "AND contype IN ('f', 'u') ORDER BY contype DESC, conname", [table])
                constraints = cursor.fetchall()
                cursor.execute(
                    "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS ("
                    "SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid) "
                    "ORDER BY i.relname", [table])
                indexes = cursor.fetchall()
                for name, definition in constraints:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    self.constraints.append((table, name, definition))
                for name, definition in indexes:
                    cursor.execute(f"DROP INDEX {quote(name)}")
                    self.indexes.append(definition)
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:
            return  # the transaction rolls back, indexes and constraints included
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for definition in self.indexes:
                cursor.execute(definition)
            # Unique constraints first (a foreign key may need one), then the foreign keys, each checked by one join.
            for table, name, definition in self.constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
            # Fresh planner statistics for what comes next (the rollups' rebuild reads every row).
            cursor.execute(f"ANALYZE {', '.join(quote(model._meta.db_table) for model in self.TABLES)}")

    @classmethod
    def worth_it(cls, cases: int) -> bool:
        """Whether to load this way: PostgreSQL, many cases, and at least as many as the cases table holds."""
        if connection.vendor != "postgresql" or cases < BULK_MIN_CASES:
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [Complaint._meta.db_table])
            held = cursor.fetchone()[0]
        return cases >= max(held, 0)


def _rollup_rebuild() -> Callable | None:
    """governance.dashboards.rollup.rebuild, where the dashboards are installed; None otherwise."""
    try:
        from governance.dashboards.rollup import rebuild
    except ImportError:
        return None
    return rebuild


def generate_history(*, start: date, end: date, total: int | None = None, per_compound_year: float = PER_COMPOUND_YEAR,
                     seed: int, model_start: date | None = None, now: datetime | None = None,
                     progress: Callable[[str], None] | None = None, rebuild_rollups: bool = True) -> dict:
    """File and settle the cases of the days [start, end) in one transaction; return counts and speed.

    `total` cases (spread by season and by the story), else `per_compound_year` per compound per year before
    `model_start` (default: a year before `end`) and (1 - DROP) times that from it on. `end` is never later
    than today. Afterwards the dashboards' rollups are rebuilt from scratch (`rebuild_rollups`), if installed.
    Raises ValueError for an empty range or a district without compounds, owners or departments.
    """
    say = progress or (lambda message: None)
    now = now or timezone.now()
    end = min(end, timezone.localdate(now))
    if start >= end:
        raise ValueError("nothing to generate: start must come before end, and before today")
    started = time.perf_counter()
    writer = _Writer()
    with transaction.atomic():
        world = load_world()
        days = [start + timedelta(days=i) for i in range((end - start).days)]
        # Lock the days' counters (created where missing), so no case filed meanwhile takes one of our numbers.
        CaseCounter.objects.bulk_create([CaseCounter(day=d, last=0) for d in days], ignore_conflicts=True, batch_size=1000)
        counters = dict(CaseCounter.objects.select_for_update().filter(day__gte=start, day__lt=end).values_list("day", "last"))
        planner = Planner(world, start=start, end=end, seed=seed, total=total, per_compound_year=per_compound_year,
                          model_start=model_start, now=now, counters=counters)
        say(f"history: {planner.total:,} cases over {len(days):,} days ({start} – {end - timedelta(days=1)})")
        finals: dict[date, int] = {}
        bulk = _BulkLoad() if _BulkLoad.worth_it(planner.total) else contextlib.nullcontext()
        with bulk:
            for chunk in planner.chunks(lambda n: writer.reserve_ids(Complaint, n)):
                writer.write(Complaint, COMPLAINT_COLUMNS, chunk.complaints)
                writer.write(Dispatch, DISPATCH_COLUMNS, chunk.dispatches)
                writer.write(TimelineEvent, EVENT_COLUMNS, chunk.events)
                writer.write(Survey, SURVEY_COLUMNS, chunk.surveys)
                finals.update(chunk.last_numbers)
                done, seconds = planner.counts["cases"], time.perf_counter() - started
                say(f"history: {done:,}/{planner.total:,} cases, {done / max(seconds, 1e-9):,.0f} cases/s")
            loaded = time.perf_counter()
            if isinstance(bulk, _BulkLoad):
                say("history: building the indexes and checking the keys")
        indexed = time.perf_counter()
        raised = [CaseCounter(day=d, last=n) for d, n in sorted(finals.items()) if n != counters.get(d, 0)]
        CaseCounter.objects.bulk_update(raised, ["last"], batch_size=500)
    seconds = time.perf_counter() - started
    counts: dict = {**planner.counts, "seconds": round(seconds, 1),
                    "cases_per_second": round(planner.counts["cases"] / max(seconds, 1e-9)),
                    "load_seconds": round(loaded - started, 1), "index_seconds": round(indexed - loaded, 1)}
    rebuild = _rollup_rebuild() if rebuild_rollups else None
    if rebuild is not None:
        rolled = time.perf_counter()
        rebuild(progress=progress)
        counts["rollup_seconds"] = round(time.perf_counter() - rolled, 1)
    return counts


def checksum() -> str:
    """A digest of every case, dispatch, timeline row, case survey and counter that ignores ids."""
    digest = hashlib.sha256()
    rows = [
        Complaint.objects.order_by("number").values_list(
            "number", "compound__name", "building__name", "unit__number", "place_kind", "category", "urgency", "title",
            "description", "reporter__phone", "source", "status", "version", "created_at", "accept_due_at", "accepted_at",
            "handle_due_at", "resolved_at", "confirm_due_at", "closed_at", "answer", "rating", "rating_comment",
            "reject_reason", "redo_count", "round",
        ),
        Dispatch.objects.order_by("complaint__number", "created_at", "round", "handler_kind").values_list(
            "complaint__number", "handler_kind", "department__name", "property_company__name", "tier", "status",
            "dispatched_by__phone", "created_at", "acknowledge_due_at", "handle_due_at", "acknowledged_at", "contacted_at",
            "arrived_at", "resolved_at", "return_to__name", "extension_hours", "round", "is_redo", "community_score",
            "updated_at",
        ),
        TimelineEvent.objects.order_by("complaint__number", "created_at", "kind").values_list(
            "complaint__number", "kind", "from_status", "to_status", "actor__phone", "note", "data", "created_at",
        ),
        Survey.objects.filter(complaint__isnull=False).order_by("complaint__number", "purpose").values_list(
            "complaint__number", "purpose", "recipient__phone", "status", "invite_at", "invited_at", "reminded_at",
            "answered_at", "expires_at", "solved", "satisfaction", "answers",
        ),
        CaseCounter.objects.order_by("day").values_list("day", "last"),
    ]
    for queryset in rows:
        for row in queryset.iterator(chunk_size=5000):
            digest.update(repr(row).encode())
    return digest.hexdigest()


__all__ = ["AFTER", "BEFORE", "DROP", "PER_COMPOUND_YEAR", "Planner", "World", "checksum", "day_counts", "generate_history",
           "load_world", "rates_at"]

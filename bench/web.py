"""HTTP scenarios against the app under gunicorn (`bench.server`, `bench.settings`).

- `file_case`: BENCH_CLIENTS residents (default 8), each logged in as a different verified owner of
  新星社区 with its own session, post the “我要报事” form in a loop: CSRF check, form validation,
  `complaint_file` (case number, follower, timeline row, audit row, the community staff's inbox
  notification). Each got the form once first (its CSRF token); the timed request is the POST,
  answered by the redirect to the new case (not followed). Baseline: the same number of clients
  posting to the write ceiling (a bare view inserting one row); reference: the read ceiling (a
  bare JSON GET). Ratio = subject ÷ baseline throughput.
- `case_queue`: the community staff's triage queue (/cases/staff/triage/) fetched by one client,
  after generating 10,000 cases (baseline) and then BENCH_CASES (subject). The generated history is
  settled (no case is open), so 20 owners of 新星社区 first file a case each through
  `complaint_file`: the queue lists those 20 in both stages, among a growing history.
"""

from __future__ import annotations

import itertools
import os
from typing import TYPE_CHECKING

from .cases import target_cases
from .http import Client

if TYPE_CHECKING:
    from .scenarios import Context, Loads, Stages

CLIENTS_ENV = "BENCH_CLIENTS"
DEFAULT_CLIENTS = 8
SECONDS_ENV = "BENCH_LOAD_SECONDS"
DEFAULT_SECONDS = 10.0
QUEUE_BASE_CASES = 10_000
QUEUE_CASES = 20
RESIDENT_PASSWORD = "bench-owner-2024"
COMMUNITY_STAFF = "13800000003"
HOME = "八一新村"
READ_CEILING = "/bench/ceiling/read/"
WRITE_CEILING = "/bench/ceiling/write/"
SIGNED_IN_WRITE_CEILING = "/bench/ceiling/write-signed-in/"
QUEUE = "/cases/staff/triage/"
CATEGORIES = ("property_service", "parking", "neighbours", "facilities", "sanitation")


def clients() -> int:
    return int(os.environ.get(CLIENTS_ENV) or DEFAULT_CLIENTS)


def load_seconds() -> float:
    return float(os.environ.get(SECONDS_ENV) or DEFAULT_SECONDS)


class ReadCeiling:
    def __init__(self, base_url: str):
        self.client = Client(base_url)

    def step(self) -> None:
        self.client.get(READ_CEILING)


class WriteCeiling:
    def __init__(self, base_url: str):
        self.client = Client(base_url)

    def step(self) -> None:
        self.client.post(WRITE_CEILING, {}, expect=200)


class SignedInWriteCeiling:
    """A resident posting (session, CSRF) to a bare view that inserts one row: a form post's fixed cost."""

    def __init__(self, base_url: str, *, phone: str):
        self.client = Client(base_url)
        self.phone = phone

    def setup(self) -> None:
        self.client.login(self.phone, RESIDENT_PASSWORD)
        self.client.read_form("/cases/new/")

    def step(self) -> None:
        self.client.submit(SIGNED_IN_WRITE_CEILING, {}, expect=200)


class Filer:
    """A resident who files one case per step in their home."""

    def __init__(self, base_url: str, *, phone: str, compound_id: int, unit_id: int):
        # The success message would pile up in a cookie: the redirect that shows it is not followed.
        self.client = Client(base_url, ignore_cookies=("messages",))
        self.phone, self.compound_id, self.unit_id = phone, compound_id, unit_id
        self.count = itertools.count(1)

    def setup(self) -> None:
        self.client.login(self.phone, RESIDENT_PASSWORD)
        self.client.read_form(f"/cases/new/?compound={self.compound_id}")

    def step(self) -> None:
        n = next(self.count)
        self.client.submit("/cases/new/", {
            "compound": self.compound_id, "category": CATEGORIES[n % len(CATEGORIES)], "place_kind": "unit",
            "unit": self.unit_id, "urgency": "general", "title": f"楼道灯不亮（第{n}次反映）",
            "description": "三楼楼道的灯坏了一个星期，晚上老人上下楼看不见，请尽快修。", "hide_name": "on",
        })


def community_owners(ctx: Context, count: int) -> list[tuple[int, str, int, int]]:
    """Return (user id, phone, compound id, unit id) of `count` verified owners of the demo community
    (not demo accounts), one unit each, in a stable order."""
    from governance.demo import DEMO_PHONES
    from residents.models import Ownership

    community = ctx.compound(HOME).community
    rows, seen = [], set()
    ownerships = (
        Ownership.objects.current().verified()
        .filter(is_developer=False, unit__building__compound__community=community, user__is_active=True)
        .exclude(user__phone__in=DEMO_PHONES)
        .order_by("user_id", "unit_id").values_list("user_id", "user__phone", "unit__building__compound_id", "unit_id")
    )
    for user_id, phone, compound_id, unit_id in ownerships.iterator():
        if user_id not in seen:
            seen.add(user_id)
            rows.append((user_id, phone, compound_id, unit_id))
        if len(rows) == count:
            break
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows)} owners in {community.name}, {count} needed")
    return rows


def filing_residents(ctx: Context, count: int) -> list[tuple[str, int, int]]:
    """Return (phone, compound id, unit id) of `count` owners of the demo community and give them a
    known password (the seeded owners have none)."""
    from django.contrib.auth.hashers import make_password

    from residents.models import User

    rows = community_owners(ctx, count)
    User.objects.filter(pk__in=[r[0] for r in rows]).update(password=make_password(RESIDENT_PASSWORD))
    return [r[1:] for r in rows]


def file_open_cases(ctx: Context, count: int) -> None:
    """Let `count` owners of the demo community file a case each (open, in the triage queue)."""
    from complaints import services
    from governance.models import Unit
    from residents.models import User

    for n, (user_id, _phone, _compound_id, unit_id) in enumerate(community_owners(ctx, count)):
        unit = Unit.objects.select_related("building__compound").get(pk=unit_id)
        services.complaint_file(
            actor=User.objects.get(pk=user_id), compound=unit.building.compound, category=CATEGORIES[n % len(CATEGORIES)],
            urgency="general", title="楼下垃圾桶满了没人清", description="已经三天没有清运，气味很大。", place_kind="unit",
            unit=unit,
        )


def prepare_file_case(ctx: Context) -> Loads:
    from .scenarios import Loads
    from .views import ensure_ceiling_table

    ensure_ceiling_table()
    n = clients()
    url = ctx.server().base_url
    filers = [Filer(url, phone=p, compound_id=c, unit_id=u) for p, c, u in filing_residents(ctx, n)]
    for filer in filers:
        filer.setup()
    signed_in = [SignedInWriteCeiling(url, phone=filer.phone) for filer in filers]
    for user in signed_in:
        user.setup()
    return Loads(
        baseline=[WriteCeiling(url) for _ in range(n)],
        subject=filers,
        references={"read ceiling": [ReadCeiling(url) for _ in range(n)], "signed-in write ceiling": signed_in},
    )


def prepare_case_queue(ctx: Context) -> Stages:
    from complaints.models import Complaint
    from complaints.staff_views import PAGE_SIZE
    from governance.demo import DEMO_PASSWORD

    from .scenarios import Stage, Stages

    community = ctx.compound(HOME).community
    staff = Client(ctx.server().base_url)
    file_open_cases(ctx, QUEUE_CASES)

    def grown_to(total: int):
        def setup() -> dict:
            facts = ctx.grow_history(total)
            staff.login(COMMUNITY_STAFF, DEMO_PASSWORD)  # after the generation, which may outlast a session
            in_scope = Complaint.objects.filter(compound__community=community)
            return {**facts, "cases": Complaint.objects.count(), "community_cases": in_scope.count(),
                    "in_queue": in_scope.open().count(), "page_size": PAGE_SIZE}
        return setup

    def page() -> None:
        staff.get(QUEUE)

    return Stages(
        baseline=Stage(grown_to(min(QUEUE_BASE_CASES, target_cases())), page),
        subject=Stage(grown_to(target_cases()), page),
    )

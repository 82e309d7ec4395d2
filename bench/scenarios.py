"""Benchmark scenarios: each times a subject against a baseline doing the same work without the
feature under test, on the same data in the same run, so only the ratio matters.

A scenario's `prepare(ctx)` runs once per scale and returns what the harness measures:

- `Pair(baseline, subject)`: two zero-argument callables, alternated; ratio of median times. When
  `same_result` is set the harness checks both return the same value, so a fast but wrong subject
  cannot pass for a fast one.
- `Loads(baseline, subject, references)`: lists of HTTP virtual users (`bench.http`), each list run
  by as many concurrent clients for a fixed time, in turn; ratio of throughputs (requests/s).
- `Stages(baseline, subject)`: one callable timed after each stage's setup (e.g. the same page at
  10,000 and at 2,000,000 cases); the baseline stage runs first; ratio of median times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from .dashboard import prepare_district_dashboard
from .http import VirtualUser
from .roster import prepare_import as prepare_roster_import
from .roster import prepare_reimport as prepare_roster_reimport
from .roster import roster_rows
from .server import AppServer
from .votes import prepare_tally, voters
from .web import prepare_case_queue, prepare_file_case


@dataclass
class Context:
    """What a scenario may use: the scale, the seeded demo accounts, the app server, the case history."""

    scale: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    generated_cases: int = 0  # cases added by grow_history() at this scale
    _server: AppServer | None = field(default=None, repr=False)

    def server(self) -> AppServer:
        """The app under gunicorn on the bench database, started on first use, stopped by close()."""
        if self._server is None:
            self._server = AppServer().start()
        return self._server

    def grow_history(self, total: int) -> dict:
        """Add generated cases until `total` have been generated at this scale; return what it took."""
        from .cases import grow_history

        return grow_history(self, total)

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def account(self, phone: str):
        from residents.models import User

        return User.objects.get(phone=phone)

    def compound(self, name: str):
        from governance.models import Compound

        return Compound.objects.select_related("community__street").get(name=name)


@dataclass
class Pair:
    baseline: Callable[[], Any]
    subject: Callable[[], Any]


@dataclass
class Loads:
    """Throughput: each list of virtual users (one per concurrent client) runs for the same time.
    `references` are measured alongside and reported against both sides (e.g. the read ceiling)."""

    baseline: list[VirtualUser]
    subject: list[VirtualUser]
    references: dict[str, list[VirtualUser]] = field(default_factory=dict)


@dataclass
class Stage:
    setup: Callable[[], dict]  # untimed, run once; returns facts worth recording (sizes, seconds)
    call: Callable[[], Any]  # timed


@dataclass
class Stages:
    baseline: Stage
    subject: Stage


@dataclass
class Scenario:
    description: str
    prepare: Callable[[Context], Pair]
    baseline_label: str
    subject_label: str
    same_result: bool = True
    mutates: bool = False  # True: every timed call runs in a transaction that is rolled back
    repeat: int | None = None  # None: the harness default (Loads: rounds per side)
    warmup: int | None = None  # untimed runs per side first; None: the harness default
    last_scale_only: bool = False  # heavy scenarios run once, at the last (largest) scale of the run
    postgresql_only: bool = False  # skipped, with the reason printed, on SQLite


COMMUNITY_STAFF = "13800000003"
STREET_STAFF = "13800000002"
HOME = "八一新村"
ROSTER_ROWS = roster_rows()


def _compound_list(ctx: Context) -> Pair:
    from governance.api import CompoundViewSet

    staff = ctx.account(COMMUNITY_STAFF)
    community = ctx.compound(HOME).community
    queryset = CompoundViewSet.queryset

    def baseline():
        return [c.pk for c in queryset.filter(community=community).order_by("name")]

    def subject():
        return [c.pk for c in queryset.visible_to(staff).order_by("name")]

    return Pair(baseline, subject)


def _compound_list_api(ctx: Context) -> Pair:
    from django.test import Client

    from residents.models import User

    staff_client = Client()
    staff_client.force_login(ctx.account(COMMUNITY_STAFF))
    root_client = Client()
    root_client.force_login(User.objects.get(phone="13800000000"))
    community = ctx.compound(HOME).community

    def fetch(client, url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return sorted(row["id"] for row in response.json()["results"])

    # The superuser skips scoping, so the baseline is the same page with a plain filter.
    return Pair(
        baseline=lambda: fetch(root_client, f"/api/v1/compounds/?community={community.pk}"),
        subject=lambda: fetch(staff_client, "/api/v1/compounds/"),
    )


def _unit_count(ctx: Context) -> Pair:
    from governance.models import Unit

    staff = ctx.account(STREET_STAFF)
    street = ctx.compound(HOME).community.street
    return Pair(
        baseline=lambda: Unit.objects.filter(building__compound__community__street=street).count(),
        subject=lambda: Unit.objects.visible_to(staff).count(),
    )


def _people_count(ctx: Context) -> Pair:
    from residents.models import Ownership, Tenancy, User

    staff = ctx.account(COMMUNITY_STAFF)
    community = ctx.compound(HOME).community
    here = Q(unit__building__compound__community=community)

    def baseline():
        return User.objects.filter(
            Q(pk=staff.pk)
            | Q(pk__in=Ownership.objects.current().filter(here).values("user_id"))
            | Q(pk__in=Tenancy.objects.current().filter(here).values("user_id"))
        ).count()

    return Pair(baseline, lambda: User.objects.visible_to(staff).count())


def _compound_rows_with_counts(ctx: Context) -> Pair:
    """The place browser's compound table: scoping inside an aggregate query."""
    from governance.models import Compound

    staff = ctx.account(STREET_STAFF)
    street = ctx.compound(HOME).community.street

    def rows(qs):
        return sorted(qs.annotate(n_units=Count("buildings__units")).values_list("pk", "n_units"))

    return Pair(
        baseline=lambda: rows(Compound.objects.filter(community__street=street)),
        subject=lambda: rows(Compound.objects.visible_to(staff, as_staff=True)),
    )


SCENARIOS: dict[str, Scenario] = {
    "compound_list": Scenario(
        "compounds a community's staff sees (the API list queryset)",
        _compound_list, "filter(community=…)", "visible_to(community staff)",
    ),
    "compound_list_api": Scenario(
        "GET /api/v1/compounds/ as community staff",
        _compound_list_api, "superuser ?community=…", "community staff, scoped",
    ),
    "unit_count_street": Scenario(
        "count of units a street office's staff sees",
        _unit_count, "join filter on street", "visible_to(street staff)",
    ),
    "compound_units_street": Scenario(
        "compounds with unit counts for a street office (place browser)",
        _compound_rows_with_counts, "filter(community__street=…)", "visible_to(street staff)",
    ),
    "people_count_community": Scenario(
        "people (owners and tenants) a community's staff sees",
        _people_count, "ownership/tenancy subqueries", "User.objects.visible_to",
    ),
    "roster_import": Scenario(
        f"import a {ROSTER_ROWS:,}-row owner roster into an empty compound",
        prepare_roster_import, "bulk_create of the same rows", "residents.roster service + task",
        mutates=True, repeat=3, warmup=1,
    ),
    "roster_reimport": Scenario(
        f"import the same {ROSTER_ROWS:,}-row roster a second time (changes nothing)",
        prepare_roster_reimport, "first import", "re-import",
        same_result=False, mutates=True, repeat=3, warmup=1,
    ),
    # Heavy scenarios, once per run at the last scale. case_queue comes first: it measures at 10,000
    # generated cases before growing them to BENCH_CASES, which later scenarios (the dashboard) reuse
    # through ctx.grow_history(); file_case comes last, its cases are committed.
    "case_queue": Scenario(
        "community staff's triage queue page over HTTP (gunicorn), at 10,000 and at BENCH_CASES cases",
        prepare_case_queue, "10,000 cases", "BENCH_CASES cases",
        same_result=False, mutates=True, repeat=15, last_scale_only=True, postgresql_only=True,
    ),
    "district_dashboard": Scenario(
        "the district dashboard page over HTTP (gunicorn) as district staff, over BENCH_CASES cases, 13 months",
        prepare_district_dashboard, "raw SQL GROUP BY on the cases", "GET /dashboard/district/…/ (rollups)",
        repeat=10, last_scale_only=True, postgresql_only=True,
    ),
    "vote_tally": Scenario(
        f"tally of an assembly item with {voters():,} voters",
        prepare_tally, "one hand-written SQL aggregate", "committees.selectors.item_outcome_dict",
        last_scale_only=True,
    ),
    "file_case": Scenario(
        "residents filing cases over HTTP (gunicorn), BENCH_CLIENTS at once; requests/s",
        prepare_file_case, "bare view inserting one row", "POST /cases/new/",
        same_result=False, mutates=True, repeat=3, last_scale_only=True, postgresql_only=True,
    ),
    # More scenarios: a `prepare(ctx)` returning Pair(baseline, subject) (or Loads / Stages, see the
    # module docstring); `mutates=True` rolls back after every timed call of a Pair, so each call starts
    # from the same seeded data (for Loads and Stages, whose writes commit, it only refreshes the
    # planner statistics afterwards).
}

"""Generated years of cases for the scenarios that need many (env BENCH_CASES, default 2,000,000).

`grow_history(ctx, total)` adds cases with `complaints.history.generate_history` (bulk COPY; every
case settled, with its dispatches, timeline and surveys; the dashboards' rollups rebuilt) until
`total` have been generated at this scale, then refreshes the planner statistics, as autovacuum
would have done on a database that grew this big over years. The cases are filed over the three
years before today, in the seeded district's compounds.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenarios import Context

CASES_ENV = "BENCH_CASES"
DEFAULT_CASES = 2_000_000
HISTORY_YEARS = 3


def target_cases() -> int:
    return int(os.environ.get(CASES_ENV) or DEFAULT_CASES)


def grow_history(ctx: Context, total: int) -> dict:
    """Generate the cases still missing up to `total`; return counts and seconds (generation, rollups, VACUUM)."""
    from django.db import connection
    from django.utils import timezone

    from complaints.history import generate_history

    from .harness import refresh_statistics

    missing = total - ctx.generated_cases
    if missing < 0:
        raise RuntimeError(
            f"{ctx.generated_cases:,} cases were generated already, more than {total:,}: run this scenario earlier"
        )
    facts = {"generated": missing, "generate_s": 0.0, "rollup_s": 0.0, "vacuum_s": 0.0}
    if not missing:
        return facts
    end = timezone.localdate()  # exclusive: up to yesterday
    start = end - timedelta(days=365 * HISTORY_YEARS)
    started = time.perf_counter()
    # One seed per batch: a second batch adds other cases, not the first batch again.
    counts = generate_history(start=start, end=end, total=missing, seed=ctx.seed + ctx.generated_cases)
    facts["rollup_s"] = counts.get("rollup_seconds", 0.0)
    facts["generate_s"] = round(time.perf_counter() - started - facts["rollup_s"], 1)
    ctx.generated_cases = total
    started = time.perf_counter()
    refresh_statistics(connection)
    facts["vacuum_s"] = round(time.perf_counter() - started, 1)
    return facts

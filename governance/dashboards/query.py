"""Sums of the rollup counters over any date range, grouped by any field of the compound path.

A range [start, end] (both days included) is read as whole months from the monthly tables plus the
days at its two edges from the daily ones, so a year costs twelve monthly rows per key, not 365
daily ones. Each call is at most two queries (monthly, daily), whatever the data size.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from .models import (
    CASE_COUNTERS,
    DISPATCH_COUNTERS,
    DailyComplaintStats,
    DailyDispatchStats,
    MonthlyComplaintStats,
    MonthlyDispatchStats,
)

TABLES = {
    "case": (MonthlyComplaintStats, DailyComplaintStats, CASE_COUNTERS),
    "dispatch": (MonthlyDispatchStats, DailyDispatchStats, DISPATCH_COUNTERS),
}
MONTH = "month"  # group key: the first day of the month
HOUSEHOLDS_CACHE_KEY = "dashboards:households:{database}"  # one per database: test runs share a Redis
HOUSEHOLDS_CACHE_SECONDS = 600


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def add_months(day: date, months: int) -> date:
    """Return the first day of the month `months` after (or before) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def split_period(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """Return (first days of the whole months inside [start, end], day ranges left at the edges)."""
    if end < start:
        return [], []
    first_whole = start if start.day == 1 else add_months(start, 1)
    last_whole = end.replace(day=1) if end == month_end(end) else add_months(end, -1)
    if first_whole > last_whole:  # no whole month: the range is all edge
        return [], [(start, end)]
    months, month = [], first_whole
    while month <= last_whole:
        months.append(month)
        month = add_months(month, 1)
    edges = []
    if start < first_whole:
        edges.append((start, first_whole - timedelta(days=1)))
    after = month_end(last_whole) + timedelta(days=1)
    if after <= end:
        edges.append((after, end))
    return months, edges


def same_period_last_year(start: date, end: date) -> tuple[date, date]:
    def back(day: date) -> date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    return back(start), back(end)


def sums(kind: str, start: date, end: date, *, where: Q | None = None, group_by: Iterable[str] = ()) -> dict[tuple, dict[str, int]]:
    """Return {group values tuple: {counter: sum}} of the "case" or "dispatch" rollups over [start, end].

    `where` filters rollup rows (e.g. Q(compound__community__street_id=3), Q(handler_kind="department"));
    `group_by` names rollup fields or paths (e.g. "compound__community_id", "category", "handler_id")
    and MONTH for a monthly series. No grouping gives {(): sums}.
    """
    monthly, daily, counters = TABLES[kind]
    group_by = tuple(group_by)
    months, edges = split_period(start, end)
    aggregates = {name: Sum(name) for name in counters}
    result: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(counters, 0))
    parts = []
    if months:
        parts.append(monthly.objects.filter(month__in=months))
    if edges:
        day_q = Q()
        for first, last in edges:
            day_q |= Q(day__range=(first, last))
        rows = daily.objects.filter(day_q)
        if MONTH in group_by:
            rows = rows.annotate(month=TruncMonth("day"))
        parts.append(rows)
    for rows in parts:
        if where is not None:
            rows = rows.filter(where)
        for row in rows.order_by().values(*group_by).annotate(**aggregates):
            key = tuple(_plain(row[name]) for name in group_by)
            bucket = result[key]
            for name in counters:
                bucket[name] += row[name] or 0
    if not group_by and () not in result:
        result[()] = dict.fromkeys(counters, 0)
    return dict(result)


def _plain(value):
    """TruncMonth gives a date on both backends for a DateField; keep dates as dates."""
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def households_by_compound() -> dict[int, int]:
    """Return {compound id: number of units}, cached for ten minutes (one query on a miss)."""
    key = HOUSEHOLDS_CACHE_KEY.format(database=connection.settings_dict["NAME"])
    found = cache.get(key)
    if found is None:
        from governance.models import Unit

        found = dict(
            Unit.objects.order_by().values_list("building__compound_id").annotate(n=Count("id")).values_list(
                "building__compound_id", "n"
            )
        )
        cache.set(key, found, HOUSEHOLDS_CACHE_SECONDS)
    return found


def households(compound_ids: Iterable[int]) -> int:
    counts = households_by_compound()
    return sum(counts.get(pk, 0) for pk in compound_ids)


def forget_households() -> None:
    """Drop the cached household counts (after units were added or removed)."""
    cache.delete(HOUSEHOLDS_CACHE_KEY.format(database=connection.settings_dict["NAME"]))

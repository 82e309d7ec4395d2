"""The KPI formulas (governance/dashboards/kpis.py) and the date-range reader (query.py)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.dashboards import kpis
from governance.dashboards.query import add_months, month_end, same_period_last_year, split_period, sums

DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31))


def _days_of(months, edges):
    days = []
    for month in months:
        day = month
        while day <= month_end(month):
            days.append(day)
            day += timedelta(days=1)
    for first, last in edges:
        day = first
        while day <= last:
            days.append(day)
            day += timedelta(days=1)
    return days


@settings(max_examples=300, deadline=None)
@given(DAYS, DAYS)
def test_split_period_covers_every_day_once(a, b):
    start, end = min(a, b), max(a, b)
    months, edges = split_period(start, end)
    days = _days_of(months, edges)
    assert len(days) == len(set(days))  # no day twice
    assert sorted(days) == [start + timedelta(days=i) for i in range((end - start).days + 1)]
    assert all(m.day == 1 for m in months)
    assert len(edges) <= 2  # at most the two edges come from the daily table


def test_split_period_examples():
    assert split_period(date(2026, 1, 1), date(2026, 3, 31)) == ([date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)], [])
    assert split_period(date(2026, 1, 15), date(2026, 3, 10)) == (
        [date(2026, 2, 1)], [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 10))]
    )
    assert split_period(date(2026, 1, 15), date(2026, 2, 20)) == ([], [(date(2026, 1, 15), date(2026, 2, 20))])
    assert split_period(date(2026, 2, 1), date(2026, 1, 1)) == ([], [])


def test_months_and_last_year():
    assert add_months(date(2026, 11, 28), 2) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert same_period_last_year(date(2024, 2, 29), date(2024, 3, 31)) == (date(2023, 2, 28), date(2023, 3, 31))


def test_compute_three_rates_and_score():
    case = {"filed": 12, "merged": 2, "closed": 8, "solved": 6, "rated": 5, "satisfied": 3, "basically": 1, "dissatisfied": 1,
            "accepted": 10, "accepted_on_time": 9, "reopened": 1, "repeat": 1, "close_seconds": 8 * 36 * 3600}
    dispatch = {"dispatched": 4, "ack_on_time": 3, "returned": 1, "acknowledged": 4, "ack_seconds": 4 * 5400}
    values = kpis.compute(case, dispatch, households=2000)
    assert values["cases"] == 10  # merged duplicates left out
    assert values["per_1000"] == 5.0
    assert values["response_rate"] == 75.0
    assert values["solved_rate"] == 75.0
    assert values["satisfied_rate"] == 80.0  # (3 + 1) / 5
    assert values["accepted_on_time_rate"] == 90.0
    assert values["redo_rate"] == 10.0
    assert values["repeat_rate"] == 10.0
    assert values["return_rate"] == 25.0
    assert values["close_hours"] == 36.0
    assert values["ack_hours"] == 1.5
    # 10 : 45 : 45 → (75 * 10 + 75 * 45 + 80 * 45) / 100
    assert values["score"] == 77.2
    assert values["followup_rate"] is None  # nothing sent: no denominator, not 0 %


def test_weights_are_configurable(settings):
    settings.KPI_SATISFACTION_WEIGHTS = {"satisfied": 1, "basically": 0.5, "dissatisfied": 0}
    settings.KPI_SCORE_WEIGHTS = {"response_rate": 0, "solved_rate": 1, "satisfied_rate": 1}
    values = kpis.compute({"closed": 4, "solved": 2, "rated": 4, "satisfied": 2, "basically": 2}, {"dispatched": 1})
    assert values["satisfied_rate"] == 75.0  # (2 + 0.5 * 2) / 4
    assert values["score"] == 62.5  # (50 + 75) / 2, response left out by its weight 0


def test_unconfirmed_closures_are_never_solved():
    values = kpis.compute({"closed": 4, "closed_unconfirmed": 4, "solved": 0}, {})
    assert values["solved_rate"] == 0.0
    assert values["unconfirmed_rate"] == 100.0


def test_handler_kpis():
    values = kpis.compute_handler({
        "dispatched": 10, "ack_on_time": 9, "closed": 8, "solved": 6, "rated": 8, "satisfied": 7, "resolved": 9,
        "resolved_on_time": 6, "score_sum": 13, "score_count": 3, "redo": 1,
    })
    assert (values["response_rate"], values["handler_solved_rate"], values["handler_satisfied_rate"]) == (90.0, 75.0, 87.5)
    assert values["resolved_on_time_rate"] == 66.7
    assert values["community_score"] == 4.33
    assert values["handler_redo_rate"] == 10.0


def test_change_reads_better_or_worse():
    response = kpis.KPI_BY_KEY["response_rate"]
    assert kpis.change(response, 90.0, 80.0) == {"value": 10.0, "unit": "pt", "better": True}
    cases = kpis.KPI_BY_KEY["cases"]
    assert kpis.change(cases, 55, 100) == {"value": -45.0, "unit": "%", "better": None}
    per_1000 = kpis.KPI_BY_KEY["per_1000"]
    assert kpis.change(per_1000, 5.5, 10.0)["better"] is True
    assert kpis.change(response, None, 80.0) is None
    assert kpis.change(cases, 3, 0) is None


@pytest.mark.django_db
def test_sums_reads_whole_months_and_edge_days(django_assert_num_queries):
    from governance.dashboards.models import DailyComplaintStats, MonthlyComplaintStats
    from tests import factories

    compound = factories.CompoundFactory()
    other = factories.CompoundFactory()
    # Daily rows and the monthly rows that sum them, as the rollup keeps them.
    rows = [(date(2026, 1, 20), compound, 2), (date(2026, 2, 10), compound, 3), (date(2026, 3, 5), compound, 5),
            (date(2026, 3, 25), compound, 7), (date(2026, 2, 11), other, 11)]
    monthly = {}
    for day, place, n in rows:
        DailyComplaintStats.objects.create(day=day, compound=place, category="parking", filed=n)
        monthly[(day.replace(day=1), place)] = monthly.get((day.replace(day=1), place), 0) + n
    for (month, place), n in monthly.items():
        MonthlyComplaintStats.objects.create(month=month, compound=place, category="parking", filed=n)

    with django_assert_num_queries(2):  # one monthly, one daily, whatever the range
        found = sums("case", date(2026, 1, 15), date(2026, 3, 10), group_by=("compound_id",))
    assert found[(compound.pk,)]["filed"] == 2 + 3 + 5
    assert found[(other.pk,)]["filed"] == 11
    by_month = sums("case", date(2026, 1, 1), date(2026, 3, 31), group_by=("month",))
    assert {key[0]: value["filed"] for key, value in by_month.items()} == {
        date(2026, 1, 1): 2, date(2026, 2, 1): 14, date(2026, 3, 1): 12
    }
    edge_months = sums("case", date(2026, 1, 15), date(2026, 3, 10), group_by=("month",))
    assert {key[0]: value["filed"] for key, value in edge_months.items()} == {
        date(2026, 1, 1): 2, date(2026, 2, 1): 14, date(2026, 3, 1): 5
    }
    assert sums("case", date(2025, 1, 1), date(2025, 12, 31)) == {(): kpis.empty_case_sums()}

"""Area dashboards: KPI arithmetic from hand-made rollup rows, the page, its date form and the drill-down.

The expected figures are worked out by hand from World.fill() (test_dashboard_area_world.py): the range
2025-01-15 → 2025-03-10 cuts January and March (edge days from the daily table) and holds February whole
(the monthly table); last year's range is 2024-01-15 → 2024-03-10.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from governance.dashboards import selectors
from governance.dashboards.forms import Period, presets

from .test_dashboard_area_world import World, add_cases, own_cache  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db


def zh(text) -> str:
    """The Chinese of a message (the catalog's wording, so the test holds before and after it is compiled)."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)

PERIOD = Period(date(2025, 1, 15), date(2025, 3, 10))


@pytest.fixture
def world(make_staff):
    w = World(make_staff)
    w.fill()
    return w


def test_street_figures_count_only_the_cases_filed_in_the_range_and_the_street(world):
    board = selectors.area_dashboard(world.leping, PERIOD)
    v = board.values
    # 3 (4 filed, 1 merged) in 八一新村 on 20 Jan + 6 in 融和园小区 in February + 2 in 长青小区 on 5 Mar.
    assert v["cases"] == 11
    assert board.households == 7
    assert v["per_1000"] == round(1000 * 11 / 7, 1) == 1571.4
    assert v["solved_rate"] == 80.0  # 8 solved of 10 closed
    assert v["satisfied_rate"] == 75.0  # (1 + 2 + 1 + 2) of 8 rated
    assert v["response_rate"] == 66.7  # 4 acknowledged on time of 6 dispatches (property included)
    assert v["return_rate"] == 16.7  # 1 of 6
    assert v["unconfirmed_rate"] == 10.0
    assert v["redo_rate"] == 0.0


def test_last_year_is_the_same_days_a_year_before_and_the_change_is_in_points_for_rates(world):
    board = selectors.area_dashboard(world.leping, PERIOD)
    assert board.last_period == Period(date(2024, 1, 15), date(2024, 3, 10))
    last = board.last_year_values
    assert (last["cases"], last["solved_rate"], last["satisfied_rate"], last["response_rate"]) == (20, 50.0, 50.0, 25.0)
    rows = {row["key"]: row for row in board.kpis}
    assert rows["cases"]["change"] == {"value": -45.0, "unit": "%", "better": None}
    assert rows["per_1000"]["change"] == {"value": -45.0, "unit": "%", "better": True}
    assert rows["solved_rate"]["change"] == {"value": 30.0, "unit": "pt", "better": True}
    assert rows["satisfied_rate"]["change"] == {"value": 25.0, "unit": "pt", "better": True}
    assert rows["response_rate"]["change"] == {"value": 41.7, "unit": "pt", "better": True}
    assert [row["key"] for row in board.three_rates] == ["response_rate", "solved_rate", "satisfied_rate"]
    assert zh("better") in rows["solved_rate"]["change_text"] and "+30.0" in rows["solved_rate"]["change_text"]


def test_children_categories_months_hotspots_and_departments_add_up(world):
    board = selectors.area_dashboard(world.leping, PERIOD)
    children = {row["name"]: row for row in board.children}
    assert list(children) == ["新星社区", "长青社区"] or set(children) == {"新星社区", "长青社区"}
    assert children["新星社区"]["values"]["cases"] == 9 and children["新星社区"]["households"] == 6
    assert children["长青社区"]["values"]["cases"] == 2 and children["长青社区"]["values"]["solved_rate"] == 100.0
    assert children["新星社区"]["url"].startswith(reverse("dashboards:area", args=["community", world.xinxing.pk]))

    categories = {row["key"]: row for row in board.categories}
    assert set(categories) == {"parking", "sanitation"}
    assert categories["sanitation"]["values"]["cases"] == 6 and categories["sanitation"]["share"] == 54.5
    assert categories["parking"]["values"]["cases"] == 5

    assert [(m["label"], m["cases"], m["last_year_cases"]) for m in board.monthly] == [
        ("2025-01", 3, 0), ("2025-02", 6, 20), ("2025-03", 2, 0),
    ]
    assert board.monthly[1]["solved_rate"] == round(100 * 5 / 6, 1)
    assert board.monthly[1]["last_year_satisfied_rate"] == 50.0

    hot = board.hotspots
    assert [(row["name"], row["cases"]) for row in hot["rows"]] == [("融和园小区", 6), ("八一新村", 3), ("长青小区", 2)]
    assert (hot["compounds"], hot["top_n"], hot["top_share"]) == (3, 1, 54.5)

    departments = {row["name"]: row for row in board.departments}
    assert set(departments) == {"城管局", "住建局"}  # the property company is not a department
    assert (departments["城管局"]["dispatched"], departments["城管局"]["response_rate"],
            departments["城管局"]["resolved_on_time_rate"]) == (2, 50.0, 50.0)
    assert (departments["住建局"]["response_rate"], departments["住建局"]["resolved_on_time_rate"],
            departments["住建局"]["return_rate"]) == (100.0, 100.0, 33.3)


def test_a_compound_breaks_down_by_category_and_links_its_ledger(world):
    board = selectors.area_dashboard(world.bayi, PERIOD)
    assert board.values["cases"] == 3 and board.households == 4
    assert board.child_level == "category"
    assert [(row["key"], row["values"]["cases"]) for row in board.children] == [("parking", 3)]
    assert board.last_year_values["cases"] == 20


def test_a_range_inside_one_month_reads_only_its_days(world):
    add_cases(date(2025, 2, 20), world.ronghe, "sanitation", filed=1)
    board = selectors.area_dashboard(world.leping, Period(date(2025, 2, 1), date(2025, 2, 10)))
    assert board.values["cases"] == 6
    board = selectors.area_dashboard(world.leping, Period(date(2025, 2, 11), date(2025, 2, 28)))
    assert board.values["cases"] == 1
    board = selectors.area_dashboard(world.leping, Period(date(2025, 2, 1), date(2025, 2, 28)))  # the whole month
    assert board.values["cases"] == 7


def test_district_sees_every_street_and_the_other_streets_cases(world):
    board = selectors.area_dashboard(world.district, PERIOD)
    assert board.values["cases"] == 18
    assert {row["name"]: row["values"]["cases"] for row in board.children} == {"乐坪街道": 11, "花山街道": 7}
    assert board.hotspots["top_n"] == 1 and board.hotspots["rows"][0]["name"] == "花山小区"


def test_the_page_shows_the_three_rates_with_their_change_in_words_and_every_definition(client, world):
    client.force_login(world.street_staff)
    response = client.get(reverse("dashboards:area", args=["street", world.leping.pk]), World.PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "乐坪街道" in html and 'id="rate-response_rate"' in html
    assert "66.7%" in html and "80.0%" in html and "75.0%" in html
    assert zh("Year on year") in html and zh("better") in html
    board = response.context["board"]
    for row in board.kpis:
        assert escape(zh(row["kpi"].definition)) in html
    assert zh("How each indicator is counted") in html
    # Drill-down links and the breadcrumb: the street staff see no district link (not theirs).
    assert reverse("dashboards:area", args=["community", world.xinxing.pk]) in html
    assert reverse("dashboards:area", args=["district", world.district.pk]) not in html
    crumbs = response.context["crumbs"]
    assert [c["name"] for c in crumbs] == ["娄星区", "乐坪街道"] and crumbs[0]["url"] is None
    assert 'id="coverage"' in html
    assert "echarts.min.js" in html and 'id="dashboard-data"' in html


def test_community_staff_breadcrumb_links_only_their_own_community(client, world):
    client.force_login(world.community_staff)
    response = client.get(reverse("dashboards:area", args=["compound", world.bayi.pk]), World.PERIOD)
    crumbs = response.context["crumbs"]
    assert [c["name"] for c in crumbs] == ["娄星区", "乐坪街道", "新星社区", "八一新村"]
    assert [bool(c["url"]) for c in crumbs] == [False, False, True, True]


def test_a_bad_date_shows_a_chinese_error_and_the_default_period(client, world):
    client.force_login(world.street_staff)
    url = reverse("dashboards:area", args=["street", world.leping.pk])
    response = client.get(url, {"from": "2025-13-01", "to": "2025-03-10"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "输入一个有效的日期" in html and 'id="range-error"' in html  # Django's own Chinese
    assert response.context["period"].start == timezone.localdate().replace(month=1, day=1)
    response = client.get(url, {"from": "2025-03-10", "to": "2025-01-01"})
    assert zh("The end date must not be before the start date.") in response.content.decode()
    response = client.get(url, {"from": "2020-01-01", "to": "2025-01-01"})
    assert zh("Choose a range of at most three years.") in response.content.decode()


def test_the_default_period_is_this_year_to_today_and_the_presets_end_today():
    today = date(2025, 6, 18)
    labels = [(str(label), p) for label, p in presets(today)]
    assert [p for _, p in labels] == [
        Period(date(2025, 6, 1), today), Period(date(2025, 1, 1), today), Period(date(2024, 7, 1), today),
    ]


def test_dashboard_home_sends_each_user_to_their_widest_place(client, world):
    client.force_login(world.street_staff)
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 302
    assert response.url == reverse("dashboards:area", args=["street", world.leping.pk])
    client.force_login(world.community_staff)
    assert client.get(reverse("dashboards:home")).url == reverse("dashboards:area", args=["community", world.xinxing.pk])
    client.force_login(world.district_staff)
    assert client.get(reverse("dashboards:home")).url == reverse("dashboards:area", args=["district", world.district.pk])


def test_the_menu_shows_the_dashboard_to_area_staff_only(client, world):
    client.force_login(world.street_staff)
    assert 'id="nav-dashboard"' in client.get(reverse("home")).content.decode()
    client.force_login(world.department_staff)
    assert 'id="nav-dashboard"' not in client.get(reverse("home")).content.decode()
    client.force_login(world.resident)
    assert 'id="nav-dashboard"' not in client.get(reverse("home")).content.decode()

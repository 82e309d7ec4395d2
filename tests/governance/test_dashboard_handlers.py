"""Handler KPIs (/dashboard/departments/, /dashboard/property-companies/): arithmetic, scope, sort, XLSX, queries."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from governance.dashboards import handler_selectors as sel
from governance.dashboards import kpis

from .. import factories
from .dashboard_handlers_world import DEPARTMENT, PROPERTY, World, dispatch_row

pytestmark = pytest.mark.django_db

RANGE = {"from": "2025-01-01", "to": "2025-03-31"}


@pytest.fixture
def world(make_staff):
    return World(make_staff).fill()


def _table(user, kind=DEPARTMENT, start=date(2025, 1, 1), end=date(2025, 3, 31), sort=sel.DEFAULT_SORT):
    scope = sel.handler_scope(user, kind)
    assert scope is not None
    return sel.handler_table(scope, start, end, sort)


def _rows(table):
    return {row["name"]: row for row in table["rows"]}


def test_district_staff_see_every_department_over_the_whole_district(world):
    rows = _rows(_table(world.district_staff))
    assert set(rows) == {"城管局", "水务局"}  # 消防 has nothing in the range; the party branch is no department
    cg = rows["城管局"]["values"]
    assert cg["dispatched"] == 20
    assert cg["response_rate"] == 50.0  # (8 + 2) / 20
    assert cg["handler_solved_rate"] == round(100 * 8 / 18, 1) == 44.4
    assert cg["handler_satisfied_rate"] == round(100 * 7 / 15, 1) == 46.7
    assert cg["handler_score"] == kpis._score({"response_rate": 50.0, "solved_rate": 44.4, "satisfied_rate": 46.7})
    assert cg["resolved_on_time_rate"] == 87.5 and cg["return_rate"] == 5.0 and cg["handler_redo_rate"] == 5.0
    assert cg["community_score"] == 4.5 and cg["ack_hours"] == 1.0 and cg["handle_hours"] == 2.0
    assert rows["水务局"]["values"]["handler_score"] == 100.0


def test_street_staff_see_only_their_streets_dispatches_with_last_years_three_rates(world):
    rows = _rows(_table(world.street_staff))
    cg = rows["城管局"]
    assert cg["values"]["dispatched"] == 10
    assert (cg["values"]["response_rate"], cg["values"]["handler_solved_rate"], cg["values"]["handler_satisfied_rate"]) == (
        80.0, 75.0, 80.0)
    assert (cg["before"]["response_rate"], cg["before"]["handler_solved_rate"], cg["before"]["handler_satisfied_rate"]) == (
        50.0, 50.0, 50.0)
    assert cg["changes"]["response_rate"] == {"value": 30.0, "unit": "pt", "better": True}
    assert cg["changes"]["handler_solved_rate"]["value"] == 25.0
    # 大科 street staff see 城管局's other half only
    dake = _rows(_table(world.dake_staff))
    assert set(dake) == {"城管局"} and dake["城管局"]["values"]["response_rate"] == 20.0
    assert dake["城管局"]["before"]["response_rate"] is None and dake["城管局"]["changes"]["response_rate"] is None


def test_department_staff_see_their_own_department_only(world):
    table = _table(world.department_staff)
    assert [row["name"] for row in table["rows"]] == ["城管局"]
    assert table["rows"][0]["values"]["dispatched"] == 20  # all of its dispatches, every street
    assert sel.handler_scope(world.department_staff, PROPERTY) is None


def test_property_staff_see_their_own_company_only(world):
    table = _table(world.property_staff, PROPERTY)
    assert [row["name"] for row in table["rows"]] == ["安居物业"]
    assert sel.handler_scope(world.property_staff, DEPARTMENT) is None


def test_daily_edges_count_and_sorting_puts_missing_values_last(world):
    table = _table(world.district_staff, end=date(2025, 4, 10), sort="response_rate")
    assert [row["name"] for row in table["rows"]] == ["城管局", "消防救援大队", "水务局"]  # 50, 50 (name), 100
    table = _table(world.district_staff, end=date(2025, 4, 10), sort="-handler_solved_rate")
    assert [row["name"] for row in table["rows"]] == ["水务局", "城管局", "消防救援大队"]  # 消防 has no closed case
    table = _table(world.district_staff, sort="nonsense")
    assert table["sort"] == sel.DEFAULT_SORT


def test_pages_scope_and_404s(client, world):
    url = reverse("dashboards:departments")
    client.force_login(world.department_staff)
    response = client.get(url, RANGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "城管局" in body and "水务局" not in body
    assert 'id="nav-my-kpis"' in body and f'href="{url}"' in body  # their way in, in the menu
    assert client.get(reverse("dashboards:property-companies")).status_code == 404
    client.force_login(world.property_staff)
    assert client.get(url).status_code == 404
    assert "安居物业" in client.get(reverse("dashboards:property-companies"), RANGE).content.decode()
    for outsider in (world.resident, factories.UserFactory()):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.get(reverse("dashboards:departments-export")).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_page_shows_definitions_sort_links_and_a_bad_date_as_a_form_error(client, world):
    client.force_login(world.street_staff)
    response = client.get(reverse("dashboards:departments"), {**RANGE, "sort": "-response_rate"})
    body = response.content.decode()
    assert 'id="definitions"' in body and str(kpis.HANDLER_KPI_BY_KEY["response_rate"].definition) in body
    assert 'id="sort-response_rate"' in body and "sort=response_rate" in body  # the next click flips the order
    assert "+30.0" in body
    response = client.get(reverse("dashboards:departments"), {"from": "2025-13-01"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()
    assert client.get(reverse("dashboards:departments-export"), {"from": "nope"}).status_code == 400


def test_xlsx_export_has_the_table_rows(client, world):
    client.force_login(world.district_staff)
    response = client.get(reverse("dashboards:departments-export"), {**RANGE, "sort": "name"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    names = [row[0] for row in rows[2:]]
    assert names == ["城管局", "水务局"]
    assert rows[2][1] == 20 and rows[2][2] == 50.0


def _grow(world, n: int):
    for i in range(n):
        department = factories.DepartmentFactory(district=world.district)
        company = factories.PropertyCompanyFactory()
        for month in (date(2025, 1, 1), date(2025, 2, 1), date(2024, 3, 1)):
            dispatch_row(month=month, compound=world.bayi, kind=DEPARTMENT, handler_id=department.pk, dispatched=3 + i,
                         ack_on_time=i % 3)
            dispatch_row(month=month, compound=world.spring, kind=PROPERTY, handler_id=company.pk, dispatched=2, ack_on_time=1)


@pytest.mark.parametrize("name", ["departments", "property-companies", "departments-export"])
def test_constant_queries_at_two_data_sizes(client, world, django_assert_num_queries, name):
    client.force_login(world.district_staff)
    url = reverse(f"dashboards:{name}")
    params = {"from": "2025-01-10", "to": "2025-03-31"}  # whole months and edge days: both tables
    client.get(url, params)  # warm the session and content-type caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert client.get(url, params).status_code == 200
    _grow(world, 12)
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url, params)
    assert response.status_code == 200


def test_api_tables_scope_and_errors(client, world):
    client.force_login(world.street_staff)
    data = client.get(reverse("api:dashboard-departments"), RANGE).json()
    rows = {row["name"]: row for row in data["rows"]}
    assert rows["城管局"]["kpis"]["response_rate"] == 80.0 and rows["城管局"]["last_year"]["response_rate"] == 50.0
    assert rows["城管局"]["changes"]["response_rate"] == {"value": 30.0, "unit": "pt", "better": True}
    assert data["own_only"] is False and "response_rate" in data["definitions"]
    error = client.get(reverse("api:dashboard-departments"), {"to": "2025-02-30"}).json()["error"]
    assert list(error["fields"]) == ["to"]
    client.force_login(world.property_staff)
    data = client.get(reverse("api:dashboard-property-companies"), RANGE).json()
    assert [row["name"] for row in data["rows"]] == ["安居物业"] and data["own_only"] is True
    assert client.get(reverse("api:dashboard-departments")).status_code == 404
    client.force_login(world.resident)
    assert client.get(reverse("api:dashboard-property-companies")).status_code == 404
    assert client.get(reverse("api:dashboard-rankings")).status_code == 404


def test_api_rankings(client, world):
    from governance.dashboards import rankings

    rankings.publish_month(district=world.district, month=date(2025, 2, 1), kind=DEPARTMENT)
    client.force_login(world.community_staff)
    data = client.get(reverse("api:dashboard-rankings"), {"month": "2025-02"}).json()
    lists = {entry["kind"]: entry for entry in data["lists"]}
    assert data["district"]["name"] == "娄星区"
    assert lists["department"]["published"] and not lists["department"]["preview"]
    assert [r["name"] for r in lists["department"]["red"]] == ["水务局"]
    assert [r["name"] for r in lists["department"]["black"]] == ["城管局"]
    assert lists["property"]["preview"] and not lists["property"]["published"]
    assert client.get(reverse("api:dashboard-rankings"), {"month": "2025-2x"}).status_code == 400


@pytest.mark.parametrize("name", ["dashboard-departments", "dashboard-property-companies", "dashboard-rankings"])
def test_api_constant_queries_at_two_data_sizes(client, world, django_assert_num_queries, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.district_staff)
    url = reverse(f"api:{name}")
    params = {"from": "2025-01-10", "to": "2025-03-31", "month": "2025-02"}
    client.get(url, params)
    with CaptureQueriesContext(connection) as first:
        assert client.get(url, params).status_code == 200
    _grow(world, 12)
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url, params).status_code == 200

"""The area dashboard's export (one workbook of every KPI table) and its API, and constant query counts."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from governance.dashboards import selectors

from .test_dashboard_area_world import World, forget_households, own_cache  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db


def zh(text) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def world(make_staff):
    w = World(make_staff)
    w.fill()
    return w


def _sheet_rows(ws) -> list[list]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_the_workbook_has_every_table_with_the_filters_in_its_first_row(client, world):
    client.force_login(world.street_staff)
    response = client.get(reverse("dashboards:area-export", args=["street", world.leping.pk]), World.PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(workbook.sheetnames) == 6
    indicators, children, categories, monthly, departments, hotspots = (workbook[name] for name in workbook.sheetnames)
    for ws in workbook.worksheets:
        first = _sheet_rows(ws)[0]
        assert "乐坪街道" in first and "2025-01-15" in first and "2025-03-10" in first
        assert "2024-01-15 – 2024-03-10" in first

    rows = {row[0]: row for row in _sheet_rows(indicators)[2:]}
    assert rows[zh("Cases")][2:4] == [11, 20]
    assert rows[zh("Resolution rate")][2:4] == [80.0, 50.0]
    assert rows[zh("Satisfaction rate")][2:4] == [75.0, 50.0]
    assert rows["响应率"][2:4] == [66.7, 25.0]
    assert "+30.0" in rows[zh("Resolution rate")][4]

    header, *body = _sheet_rows(children)[1:]
    assert header[0] == zh(selectors.LEVEL_LABELS["community"])
    cases_col = header.index(zh("Cases"))
    assert {row[0]: row[cases_col] for row in body} == {"新星社区": 9, "长青社区": 2}

    header, *body = _sheet_rows(categories)[1:]
    assert sorted(row[header.index(zh("Cases"))] for row in body) == [5, 6]

    assert [row[:3] for row in _sheet_rows(monthly)[2:]] == [["2025-01", 3, 0], ["2025-02", 6, 20], ["2025-03", 2, 0]]
    assert {row[0]: row[1] for row in _sheet_rows(departments)[2:]} == {"城管局": 2, "住建局": 3}
    assert _sheet_rows(hotspots)[2][:2] == ["融和园小区", 6]


def test_the_export_follows_the_range_asked(client, world):
    client.force_login(world.street_staff)
    response = client.get(reverse("dashboards:area-export", args=["street", world.leping.pk]),
                          {"from": "2025-02-01", "to": "2025-02-28"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = {row[0]: row for row in _sheet_rows(workbook.worksheets[0])[2:]}
    assert rows[zh("Cases")][2:4] == [6, 20]


def test_an_export_with_bad_dates_goes_back_to_the_page_that_names_them(client, world):
    client.force_login(world.street_staff)
    url = reverse("dashboards:area-export", args=["street", world.leping.pk])
    response = client.get(url, {"from": "nonsense"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("dashboards:area", args=["street", world.leping.pk]))


def test_the_api_gives_the_figures_the_change_and_every_table(client, world):
    client.force_login(world.street_staff)
    response = client.get(reverse("api:dashboard-area", args=["street", world.leping.pk]), World.PERIOD)
    assert response.status_code == 200
    data = response.json()
    assert data["place"] == {"level": "street", "id": world.leping.pk, "name": "乐坪街道", "households": 7}
    assert data["range"] == {"from": "2025-01-15", "to": "2025-03-10", "last_year_from": "2024-01-15", "last_year_to": "2024-03-10"}
    assert data["kpis"]["cases"] == {"value": 11, "last_year": 20, "change": {"value": -45.0, "unit": "%", "better": None}}
    assert data["kpis"]["solved_rate"] == {"value": 80.0, "last_year": 50.0, "change": {"value": 30.0, "unit": "pt", "better": True}}
    assert data["kpis"]["response_rate"]["value"] == 66.7
    assert {c["name"]: c["kpis"]["cases"] for c in data["children"]} == {"新星社区": 9, "长青社区": 2}
    assert {c["key"]: c["kpis"]["cases"] for c in data["categories"]} == {"parking": 5, "sanitation": 6}
    assert [(m["month"], m["cases"], m["last_year_cases"]) for m in data["monthly"]] == [
        ("2025-01-01", 3, 0), ("2025-02-01", 6, 20), ("2025-03-01", 2, 0),
    ]
    assert {d["name"]: d["kpis"]["response_rate"] for d in data["departments"]} == {"城管局": 50.0, "住建局": 100.0}
    assert data["hotspots"]["top_share"] == 54.5
    assert set(data["definitions"]) == set(data["kpis"])


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"from": "2025-02-30"}, "from", "输入一个有效的日期。"),
    ({"from": "2025-03-10", "to": "2025-01-01"}, "to", "The end date must not be before the start date."),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "from", "Choose a range of at most three years."),
])
def test_the_api_refuses_bad_dates_naming_the_field_in_chinese(client, world, params, field, message):
    client.force_login(world.street_staff)
    response = client.get(reverse("api:dashboard-area", args=["street", world.leping.pk]), params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {field: [zh(message)]}
    assert error["message"] == zh(message)


def test_the_schema_documents_the_endpoint(client, world):
    client.force_login(world.superuser)
    schema = client.get(reverse("schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/dashboard/{level}/{id}/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"level", "id", "from", "to"}
    assert "AreaDashboard" in schema["components"]["schemas"]


# --- constant query counts ----------------------------------------------------------------------------

# (url name, level, queries): session + user, the place, the compounds, the children's names, the households,
# nine rollup sums of two queries each (whole months + edge days), the department names, the breadcrumb scope,
# and on the page the four governance-coverage queries.
CASES = [
    ("dashboards:area", "street", 35),
    ("dashboards:area", "district", 35),
    ("dashboards:area", "community", 34),
    ("dashboards:area", "compound", 34),
    ("dashboards:area-export", "street", 28),
    ("api:dashboard-area", "street", 28),
    ("api:dashboard-area", "compound", 27),
]


@pytest.mark.parametrize(("name", "level", "expected"), CASES)
def test_queries_are_the_same_for_small_and_large_data(client, world, django_assert_num_queries, name, level, expected):
    place = {"district": world.district, "street": world.leping, "community": world.xinxing, "compound": world.bayi}[level]
    client.force_login(world.street_staff if level != "district" else world.district_staff)
    url = reverse(name, args=[level, place.pk])
    client.get(url, World.PERIOD)  # warm the per-process caches (content types), as in a running server
    for k in (0, 12):
        world.grow(k)
        forget_households()
        with django_assert_num_queries(expected):
            response = client.get(url, World.PERIOD)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200

"""The case ledger (台账): filters, 20 a page, links to the case, XLSX with the filtered rows, scope, queries."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from complaints.models import Complaint, Dispatch, HandlerKind
from governance.dashboards.models import DailyComplaintStats, MonthlyComplaintStats

from .. import factories
from .dashboard_handlers_world import World

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


class Cases:
    def __init__(self, world):
        self.world = world
        self.reporter = factories.UserFactory()
        self.n = 0

    def add(self, compound, filed: datetime, *, category="parking", status="submitted", rating="", department=None,
            company=None):
        self.n += 1
        extra = {"answer": "solved", "rating": rating or "satisfied"} if status == "closed" else {"rating": rating}
        case = Complaint.objects.create(
            number=f"T{self.n:08d}", compound=compound, place_kind="public_area", category=category, title=f"案件{self.n}",
            description="…", reporter=self.reporter, filed_by=self.reporter, status=status, **extra,
        )
        Complaint.objects.filter(pk=case.pk).update(created_at=filed)
        due = filed + timedelta(days=1)
        for kind, handler in ((HandlerKind.DEPARTMENT, department), (HandlerKind.PROPERTY, company)):
            if handler is not None:
                Dispatch.objects.create(
                    complaint=case, handler_kind=kind, tier="general", dispatched_by=self.reporter,
                    acknowledge_due_at=due, handle_due_at=due,
                    **({"department": handler} if kind == HandlerKind.DEPARTMENT else {"property_company": handler}),
                )
        # the rollups' count of cases filed, as rollup.py would keep it
        day = timezone.localdate(filed)
        for model, key in ((DailyComplaintStats, {"day": day}), (MonthlyComplaintStats, {"month": day.replace(day=1)})):
            model.objects.get_or_create(**key, compound=compound, category=category)
            model.objects.filter(**key, compound=compound, category=category).update(filed=F("filed") + 1)
        return case


def at(day: str, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day).replace(hour=hour), TZ)


@pytest.fixture
def world(make_staff):
    w = World(make_staff)
    cases = Cases(w)
    # 八一新村 (乐坪街道): 25 parking cases in March 2025, one a day from 1 March, plus a few others
    for i in range(25):
        cases.add(w.bayi, at("2025-03-01") + timedelta(days=i), department=w.cg if i % 5 == 0 else None)
    cases.add(w.bayi, at("2025-03-10", 12), category="sanitation", status="closed", rating="basically",
              department=w.water, company=w.anju)
    cases.add(w.bayi, at("2025-02-28", 23))  # before the range
    cases.add(w.bayi, at("2025-04-01", 0))  # after the range (local midnight)
    cases.add(w.spring, at("2025-03-05"))  # another street
    w.cases = cases
    return w


RANGE = {"from": "2025-03-01", "to": "2025-03-31"}


def _url(level, pk, suffix="ledger"):
    return reverse(f"dashboards:{suffix}", args=[level, pk])


def test_street_ledger_pages_of_twenty_newest_first_with_links(client, world):
    client.force_login(world.street_staff)
    response = client.get(_url("street", world.leping.pk), RANGE)
    assert response.status_code == 200
    page = response.context["page"]
    assert len(page.rows) == 20 and page.has_next and page.total == 26 and page.num_pages == 2
    filed = [row["filed"] for row in page.rows]
    assert filed == sorted(filed, reverse=True) and filed[0].date().isoformat() == "2025-03-25"
    body = response.content.decode()
    first = page.rows[0]
    assert reverse("complaints:detail", args=[first["id"]]) in body
    second = client.get(_url("street", world.leping.pk), {**RANGE, "page": 2}).context["page"]
    assert len(second.rows) == 6 and not second.has_next
    assert {r["id"] for r in page.rows}.isdisjoint(r["id"] for r in second.rows)
    assert "春园小区" not in {r["compound"] for r in page.rows + second.rows}


def test_filters_category_status_department(client, world):
    client.force_login(world.district_staff)
    url = _url("district", world.district.pk)
    rows = client.get(url, {**RANGE, "category": "sanitation"}).context["page"].rows
    assert [(r["category_key"], r["status_key"], r["rating_key"]) for r in rows] == [("sanitation", "closed", "basically")]
    assert rows[0]["handlers"] == ["水务局", "安居物业"]
    page = client.get(url, {**RANGE, "status": "submitted"}).context["page"]
    assert page.total is None and len(page.rows) == 20 and page.has_next
    page = client.get(url, {**RANGE, "department": world.cg.pk}).context["page"]
    assert len(page.rows) == 5 and all(r["handlers"] == ["城管局"] for r in page.rows)
    assert client.get(url, RANGE).context["page"].total == 27  # 26 in 八一新村 + 1 in 春园小区
    response = client.get(url, {**RANGE, "status": "bogus"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()


def test_xlsx_has_the_filtered_rows(client, world, settings):
    client.force_login(world.community_staff)
    response = client.get(_url("community", world.xinxing.pk, "ledger-export"), {**RANGE, "department": world.cg.pk})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 + 5 and all(row[6] == "城管局" for row in rows[2:])
    assert rows[2][1].startswith("2025-03-21")
    settings.LEDGER_EXPORT_MAX_ROWS = 10
    response = client.get(_url("community", world.xinxing.pk, "ledger-export"), RANGE)
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 2 + 10 + 1 and "10" in rows[-1][0]
    assert client.get(_url("community", world.xinxing.pk, "ledger-export"), {"from": "bad"}).status_code == 400


def test_out_of_scope_places_are_404(client, world):
    client.force_login(world.street_staff)
    assert client.get(_url("street", world.dake.pk)).status_code == 404
    assert client.get(_url("compound", world.spring.pk)).status_code == 404
    assert client.get(_url("compound", world.spring.pk, "ledger-export")).status_code == 404
    assert client.get(_url("compound", world.bayi.pk), RANGE).status_code == 200
    for user in (world.department_staff, world.property_staff, world.resident):
        client.force_login(user)
        assert client.get(_url("compound", world.bayi.pk)).status_code == 404


def test_api_ledger(client, world):
    client.force_login(world.street_staff)
    url = reverse("api:dashboard-ledger", args=["street", world.leping.pk])
    data = client.get(url, RANGE).json()
    assert data["total"] == 26 and len(data["results"]) == 20 and data["has_next"] and "page=2" in data["next"]
    assert data["results"][0]["url"] == reverse("complaints:detail", args=[data["results"][0]["id"]])
    error = client.get(url, {"status": "bogus"}).json()["error"]
    assert "status" in error["fields"]
    assert client.get(url, {"from": "2025-02-30"}).status_code == 400
    assert client.get(reverse("api:dashboard-ledger", args=["street", world.dake.pk])).status_code == 404


@pytest.mark.parametrize("name", ["ledger", "ledger-export", "api"])
def test_constant_queries_at_two_data_sizes(client, world, django_assert_num_queries, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.street_staff)
    url = (reverse("api:dashboard-ledger", args=["street", world.leping.pk]) if name == "api"
           else _url("street", world.leping.pk, name))

    def get():
        response = client.get(url, RANGE)
        if name == "ledger-export":
            b"".join(response.streaming_content)
        return response

    get()
    with CaptureQueriesContext(connection) as first:
        assert get().status_code == 200
    for i in range(30):
        world.cases.add(world.bayi, at("2025-03-02") + timedelta(hours=i), department=world.fire, company=world.lejia)
    with django_assert_num_queries(len(first.captured_queries)):
        assert get().status_code == 200

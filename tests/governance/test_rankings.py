"""Monthly red and black lists: order, ties, minimum dispatches, idempotent publication, notification, pages."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import Notification
from governance.dashboards import rankings
from governance.dashboards.models import RankingList
from governance.dashboards.tasks_rankings import publish_monthly_rankings

from .. import factories
from .dashboard_handlers_world import DEPARTMENT, PROPERTY, World, dispatch_row

pytestmark = pytest.mark.django_db

MARCH = date(2025, 3, 1)


@pytest.fixture
def world(make_staff):
    return World(make_staff)


def _department(world, name, *, dispatched=10, ack=5, solved=5, satisfied=5, compound=None, month=MARCH):
    department = factories.DepartmentFactory(district=world.district, name=name)
    dispatch_row(month=month, compound=compound or world.bayi, kind=DEPARTMENT, handler_id=department.pk,
                 dispatched=dispatched, ack_on_time=ack, cases=dispatched, closed=10, solved=solved, rated=10,
                 satisfied=satisfied)
    return department


@pytest.fixture
def ranked(world):
    """Twelve departments with known scores (weights 10:45:45), two tied pairs, one with too few dispatches."""
    # score = 0.1 R + 0.45 S + 0.45 T with R = ack/10, S = solved/10, T = satisfied/10 (in %)
    _department(world, "甲局", ack=10, solved=10, satisfied=10)              # 100
    _department(world, "乙局", ack=10, solved=9, satisfied=9)                # 91
    _department(world, "丙局", ack=10, solved=5, satisfied=5)                # 55, response 100
    _department(world, "丁局", ack=1, solved=6, satisfied=6)                 # 55, response 10: after 丙局
    _department(world, "戊局", ack=5, solved=5, satisfied=4)                 # 45.5
    _department(world, "己局", ack=5, solved=4, satisfied=4, compound=world.spring)  # 41 (other street)
    _department(world, "庚局", ack=0, solved=4, satisfied=4)                 # 36
    _department(world, "辛局", ack=0, solved=3, satisfied=3)                 # 27
    _department(world, "壬局", ack=0, solved=2, satisfied=2)                 # 18
    _department(world, "癸局", ack=0, solved=1, satisfied=1)                 # 9
    _department(world, "子局", ack=0, solved=0, satisfied=0)                 # 0
    _department(world, "丑局", ack=0, solved=0, satisfied=0)                 # 0, same figures: by name
    _department(world, "少局", dispatched=2, ack=2, solved=10, satisfied=10)  # left out: 2 < 3
    _department(world, "二月局", month=date(2025, 2, 1))                      # another month
    far = factories.DepartmentFactory(district=world.other_district, name="外区局")
    far_compound = factories.CompoundFactory(community=factories.CommunityFactory(street=world.far_street))
    dispatch_row(month=MARCH, compound=far_compound, kind=DEPARTMENT, handler_id=far.pk, dispatched=10, ack_on_time=10)
    return world


def test_red_and_black_lists_by_score_with_ties_and_minimum(ranked):
    lists = rankings.compute_lists(ranked.district, DEPARTMENT, MARCH)
    assert [r["name"] for r in lists["red"]] == ["甲局", "乙局", "丙局", "丁局", "戊局"]
    assert [r["rank"] for r in lists["red"]] == [1, 2, 3, 4, 5]
    assert lists["red"][2]["handler_score"] == lists["red"][3]["handler_score"] == 55.0
    # worst first; 丑局 and 子局 tie on everything and go by name, so 丑局 ranks above 子局 and 子局 is the worst
    assert sorted(["丑局", "子局"]) == ["丑局", "子局"]
    assert [r["name"] for r in lists["black"]] == ["子局", "丑局", "癸局", "壬局", "辛局"]
    assert [r["name"] for r in lists["left_out"]] == ["少局"]
    assert lists["eligible"] == 12 and lists["min_dispatches"] == 3
    assert {"外区局", "二月局"}.isdisjoint(r["name"] for r in lists["red"] + lists["black"] + lists["left_out"])


def test_minimum_is_a_setting_and_small_fields_split_in_half(world, settings):
    settings.RANKING_MIN_DISPATCHES = 11
    _department(world, "甲局", ack=10)
    assert rankings.compute_lists(world.district, DEPARTMENT, MARCH)["left_out"][0]["name"] == "甲局"
    settings.RANKING_MIN_DISPATCHES = 3
    for name, ack in (("乙局", 9), ("丙局", 8)):
        _department(world, name, ack=ack)
    lists = rankings.compute_lists(world.district, DEPARTMENT, MARCH)
    assert [r["name"] for r in lists["red"]] == ["甲局"] and [r["name"] for r in lists["black"]] == ["丙局"]


def test_publication_is_idempotent_and_notifies_district_and_street_staff_once(ranked, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ranking, published = rankings.publish_month(district=ranked.district, month=MARCH, kind=DEPARTMENT)
    assert published and ranking.rows["red"][0]["name"] == "甲局"
    # the figures change afterwards; the snapshot does not, and nothing is published or sent again
    dispatch_row(month=MARCH, compound=ranked.bayi, kind=DEPARTMENT, handler_id=ranking.rows["black"][0]["id"],
                 category="other", dispatched=100, ack_on_time=100)
    with django_capture_on_commit_callbacks(execute=True):
        again, published = rankings.publish_month(district=ranked.district, month=date(2025, 3, 17), kind=DEPARTMENT)
    assert not published and again.pk == ranking.pk and again.rows == ranking.rows
    assert RankingList.objects.count() == 1
    told = set(Notification.objects.filter(key=f"rankings:{ranked.district.pk}:2025-03:department").values_list("user_id", flat=True))
    assert told == {ranked.district_staff.pk, ranked.street_staff.pk, ranked.dake_staff.pk}
    assert Notification.objects.filter(key__startswith="rankings:").count() == 3
    assert "2025-03" in Notification.objects.filter(user=ranked.street_staff).get().title


def test_sweeper_publishes_last_month_from_the_first_at_eight(ranked, django_capture_on_commit_callbacks):
    tz = timezone.get_current_timezone()
    early = timezone.make_aware(datetime(2025, 4, 1, 7, 59), tz)
    assert rankings.due_month(early) is None and rankings.publish_due(now=early) == 0
    later = timezone.make_aware(datetime(2025, 4, 1, 8, 0), tz)
    with django_capture_on_commit_callbacks(execute=True):
        assert rankings.publish_due(now=later) == 4  # two districts × two kinds
        assert rankings.publish_due(now=later) == 0
        assert rankings.publish_due(now=timezone.make_aware(datetime(2025, 4, 20, 12), tz)) == 0
    assert set(RankingList.objects.values_list("month", flat=True)) == {MARCH}
    # the property companies' list of the district had nobody: published empty, nobody told
    assert Notification.objects.filter(key__endswith=":property").count() == 0
    assert publish_monthly_rankings() >= 0  # the Celery task runs the sweeper (this month: last month is due)


def test_back_fill_command(ranked, capsys):
    call_command("publish_rankings", "--month", "2025-03", "--district", str(ranked.district.pk))
    call_command("publish_rankings", "--month", "2025-03", "--district", str(ranked.district.pk))
    out = capsys.readouterr().out
    assert "department: published" in out and "department: already published" in out
    assert RankingList.objects.filter(district=ranked.district, month=MARCH).count() == 2


def test_page_shows_published_lists_and_a_marked_live_preview(client, ranked):
    rankings.publish_month(district=ranked.district, month=MARCH, kind=DEPARTMENT)
    client.force_login(ranked.street_staff)
    body = client.get(reverse("dashboards:rankings"), {"month": "2025-03"}).content.decode()
    assert 'id="red-department"' in body and "甲局" in body and 'id="state-department"' in body
    assert "少局" in body  # listed as left out
    # the property companies' list of March was not published: a live preview, marked as such
    assert "text-bg-warning" in body
    this_month = timezone.localdate().strftime("%Y-%m")
    body = client.get(reverse("dashboards:rankings"), {"month": this_month}).content.decode()
    assert body.count("text-bg-warning") == 2
    response = client.get(reverse("dashboards:rankings"), {"month": "2025-99"})
    assert response.status_code == 200 and "is-invalid" in response.content.decode()


def test_page_scope(client, ranked):
    url = reverse("dashboards:rankings")
    for user in (ranked.district_staff, ranked.street_staff, ranked.community_staff):
        client.force_login(user)
        assert client.get(url, {"month": "2025-03"}).status_code == 200
    client.force_login(ranked.street_staff)
    assert client.get(url, {"district": ranked.other_district.pk}).status_code == 404
    for user in (ranked.department_staff, ranked.property_staff, ranked.resident):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.get(reverse("dashboards:rankings-export")).status_code == 404
    client.force_login(ranked.far_staff)
    assert client.get(url, {"district": ranked.district.pk}).status_code == 404


def test_xlsx_export_of_a_month(client, ranked):
    rankings.publish_month(district=ranked.district, month=MARCH, kind=DEPARTMENT)
    client.force_login(ranked.district_staff)
    response = client.get(reverse("dashboards:rankings-export"), {"month": "2025-03"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    names = [row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row and isinstance(row[0], int)]
    assert names[:5] == ["甲局", "乙局", "丙局", "丁局", "戊局"] and names[5] == "子局"


def _more(world, n, prefix):
    for i in range(n):
        _department(world, f"{prefix}{i}局", ack=i % 10)
        company = factories.PropertyCompanyFactory()
        dispatch_row(month=MARCH, compound=world.bayi, kind=PROPERTY, handler_id=company.pk, dispatched=5, ack_on_time=i % 5)


@pytest.mark.parametrize("published", [True, False])
def test_constant_queries_at_two_data_sizes(client, world, django_assert_num_queries, published):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _more(world, 3, "甲")
    if published:
        for kind in rankings.KINDS:
            rankings.publish_month(district=world.district, month=MARCH, kind=kind)
    client.force_login(world.district_staff)
    url = reverse("dashboards:rankings")
    client.get(url, {"month": "2025-03"})
    with CaptureQueriesContext(connection) as first:
        client.get(url, {"month": "2025-03"})
    _more(world, 15, "乙")
    with django_assert_num_queries(len(first.captured_queries)):
        assert client.get(url, {"month": "2025-03"}).status_code == 200

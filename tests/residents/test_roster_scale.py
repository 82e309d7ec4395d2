"""The roster import at scale: 20,000 rows, and a number of queries that does not grow with the rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.models import Role, Unit
from residents.models import Ownership, RosterImport, User
from residents.tasks import run_roster_import

from .. import factories

HEADER = ["楼栋", "单元", "房号", "楼层", "产权面积", "业主姓名", "业主手机号", "投票人"]


def roster_csv(rows: int, *, area: str = "89.50") -> bytes:
    """Return a roster of `rows` rows: every fifth unit has two co-owners, the first one votes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    unit = 0
    written = 0
    while written < rows:
        building, entrance, number = unit // 240 + 1, unit // 40 % 6 + 1, unit % 40 + 101
        owners = 2 if unit % 5 == 0 and written + 1 < rows else 1
        for k in range(owners):
            voter = "是" if k == 0 else "否"
            writer.writerow([f"{building}栋", f"{entrance}单元", number, (number - 100 + 1) // 2, area,
                             f"业主{written}", f"13{written:09d}", voter])
            written += 1
        unit += 1
    return buffer.getvalue().encode("utf-8")


def import_file(compound, actor, data: bytes) -> RosterImport:
    # Created directly: the upload service would only add the type check and the queue message.
    roster_import = RosterImport.objects.create(
        compound=compound, uploaded_by=actor, file=ContentFile(data, name="roster.csv"), original_name="roster.csv"
    )
    run_roster_import(roster_import.pk)
    roster_import.refresh_from_db()
    return roster_import


def queries_for(rows: int, make_staff) -> tuple[int, RosterImport]:
    compound = factories.CompoundFactory()
    staff = make_staff(Role.COMMUNITY_STAFF, compound.community)
    data = roster_csv(rows)
    with CaptureQueriesContext(connection) as captured:
        roster_import = import_file(compound, staff, data)
    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors[:5]
    return len(captured), roster_import


@pytest.mark.django_db
def test_query_count_barely_grows_with_the_number_of_rows(make_staff):
    small, _ = queries_for(200, make_staff)
    big, roster_import = queries_for(2000, make_staff)
    assert roster_import.summary["counts"]["ownerships_created"] == 2000
    # 10× the rows: progress saves every 500 rows and bulk writes per batch add a few queries,
    # never one per row. SQLite's 999-parameter limit makes its batches smaller than PostgreSQL's.
    limit = 12 if connection.vendor == "postgresql" else 120
    assert big - small <= limit, (small, big)
    assert big < 2000 / 15


@pytest.mark.django_db
def test_a_changed_large_roster_updates_in_bulk(make_staff):
    compound = factories.CompoundFactory()
    staff = make_staff(Role.COMMUNITY_STAFF, compound.community)
    import_file(compound, staff, roster_csv(2000))
    with CaptureQueriesContext(connection) as captured:
        changed = import_file(compound, staff, roster_csv(2000, area="90.00"))
    assert changed.summary["counts"]["units_updated"] == 1666 == changed.summary["total_changes"]
    assert Unit.objects.filter(building__compound=compound, area_register="90.00").count() == 1666
    assert len(captured) < 60


@pytest.mark.django_db
def test_twenty_thousand_rows_import_and_reimport(make_staff):
    """Runs in CI on purpose (no marker): it proves the bulk paths at the size the issue names."""
    compound = factories.CompoundFactory()
    staff = make_staff(Role.COMMUNITY_STAFF, compound.community)
    data = roster_csv(20_000)
    roster_import = import_file(compound, staff, data)

    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors[:5]
    assert roster_import.total_rows == roster_import.processed_rows == 20_000
    counts = roster_import.summary["counts"]
    units = Unit.objects.filter(building__compound=compound)
    assert counts["ownerships_created"] == 20_000 == Ownership.objects.filter(unit__in=units).count()
    assert counts["units_created"] == units.count() == 16_666
    assert counts["people_created"] == 20_000 == User.objects.filter(real_name__startswith="业主").count()
    assert Ownership.objects.filter(unit__in=units, is_voter=True).count() == 16_666
    assert len(roster_import.summary["changes"]) == 200 and roster_import.summary["more_changes"] > 0

    again = import_file(compound, staff, data)
    assert again.summary["total_changes"] == 0


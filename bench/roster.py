"""Roster-import scenarios: an owner roster of N rows (env BENCH_ROSTER_ROWS, default 20,000).

- `roster_import`: subject = the upload service `roster_import_create` then the task
  `run_roster_import` (read, validate, plan, apply), baseline = `bulk_create` of the same
  buildings, units, people and ownerships with no validation and no diffing. The ratio is what
  validation and the idempotent diff cost on top of the bare writes.
- `roster_reimport`: subject = importing a second time the roster already imported into a
  compound (must change nothing), baseline = a first import of a roster of the same size.

Both run in a transaction the harness rolls back. The compounds live in a district of their own
(`bench`) so the scoped-read scenarios do not see them; the re-import scenario commits its first
import once per scale (removed by the flush before the next scale).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # scenarios.py imports this module
    from .scenarios import Context, Pair

ROWS_ENV = "BENCH_ROSTER_ROWS"
DEFAULT_ROWS = 20_000
HEADER = ["楼栋", "单元", "房号", "楼层", "产权面积", "业主姓名", "业主手机号", "投票人"]
SUPERUSER = "13800000000"
# Mobile prefixes the demo data never uses (governance.demo.PHONE_PREFIXES), one per roster.
FIRST_PREFIX = "170"  # the roster imported into an empty compound (always rolled back)
KEPT_PREFIX = "176"  # the roster imported once and kept, then re-imported


def roster_rows() -> int:
    return int(os.environ.get(ROWS_ENV, DEFAULT_ROWS))


def roster_lines(rows: int, *, prefix: str = FIRST_PREFIX, area: str = "89.50") -> list[list[str]]:
    """Return `rows` data rows; every fifth unit has two co-owners (the first one votes).

    Units: 6 entrances × 40 flats per building, so 20,000 rows make ~70 buildings, 16,667 units.
    """
    lines = []
    unit = 0
    while len(lines) < rows:
        building, entrance, number = unit // 240 + 1, unit // 40 % 6 + 1, unit % 40 + 101
        owners = 2 if unit % 5 == 0 and len(lines) + 1 < rows else 1
        for voter in ("是", "否")[:owners]:
            written = len(lines)
            lines.append([f"{building}栋", f"{entrance}单元", str(number), str((number - 99) // 2), area,
                          f"业主{written}", f"{prefix}{written:08d}", voter])
        unit += 1
    return lines


def roster_csv(lines: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8")


@dataclass
class RosterRows:
    """The roster grouped as the baseline writes it (worked out once, outside the timing)."""

    buildings: list[str] = field(default_factory=list)
    units: dict[tuple[str, str, str], tuple[int, Decimal]] = field(default_factory=dict)
    people: dict[str, str] = field(default_factory=dict)  # phone → name
    ownerships: list[tuple[tuple[str, str, str], str, bool]] = field(default_factory=list)

    @classmethod
    def of(cls, lines: list[list[str]]) -> RosterRows:
        grouped = cls()
        for building, entrance, number, floor, area, name, phone, voter in lines:
            if building not in grouped.buildings:
                grouped.buildings.append(building)
            key = (building, entrance, number)
            grouped.units.setdefault(key, (int(floor), Decimal(area)))
            grouped.people.setdefault(phone, name)
            grouped.ownerships.append((key, phone, voter == "是"))
        return grouped


def _bench_compound(name: str):
    """An empty compound in the bench's own district (created once per scale, committed)."""
    from governance.models import Community, Compound, District, Street

    district, _ = District.objects.get_or_create(name="bench")
    street, _ = Street.objects.get_or_create(district=district, name="bench")
    community, _ = Community.objects.get_or_create(street=street, name="bench")
    compound, _ = Compound.objects.get_or_create(community=community, name=name)
    if compound.buildings.exists():
        raise RuntimeError(f"bench compound {name} is not empty")
    return compound


def _changes(roster_import) -> dict[str, int]:
    return {key: n for key, n in roster_import.summary["counts"].items() if n}


def _run_task(roster_import) -> dict[str, int]:
    from residents.models import RosterImport
    from residents.tasks import run_roster_import

    try:
        run_roster_import(roster_import.pk)
        roster_import.refresh_from_db()
    finally:
        roster_import.file.storage.delete(roster_import.file.name)
    if roster_import.status != RosterImport.Status.APPLIED:
        raise RuntimeError(f"roster import {roster_import.status}: {roster_import.errors[:3]}")
    return _changes(roster_import)


def import_through_service(compound, actor, data: bytes) -> dict[str, int]:
    """The real path: the upload service, then the task body; return the non-zero change counts.

    Called inside the harness's rolled-back transaction, so the service's on_commit queueing never
    fires: the task runs here, as a worker would run it.
    """
    from django.core.files.base import ContentFile

    from residents.roster import roster_import_create

    upload = ContentFile(data, name="bench-roster.csv")
    roster_import = roster_import_create(compound=compound, upload=upload, dry_run=False, actor=actor)
    return _run_task(roster_import)


def import_committed(compound, actor, data: bytes) -> dict[str, int]:
    """Import and keep (scenario setup): the task only, so no queue message is sent on commit."""
    from django.core.files.base import ContentFile

    from residents.models import RosterImport

    roster_import = RosterImport.objects.create(
        compound=compound, uploaded_by=actor, file=ContentFile(data, name="bench-roster.csv"),
        original_name="bench-roster.csv",
    )
    return _run_task(roster_import)


def bulk_write(compound, actor, grouped: RosterRows) -> dict[str, int]:
    """The least database work for the same rows: four bulk_creates, no reads, no checks."""
    from django.utils import timezone

    from governance.models import Building, Unit
    from residents.models import Ownership, User
    from residents.roster.applying import BATCH_SIZE, _unusable_password

    now, today = timezone.now(), timezone.localdate()
    password = _unusable_password()
    buildings = {name: Building(compound=compound, name=name) for name in grouped.buildings}
    Building.objects.bulk_create(buildings.values(), batch_size=BATCH_SIZE)
    units = {
        key: Unit(building=buildings[key[0]], entrance=key[1], number=key[2], floor=floor, area_register=area)
        for key, (floor, area) in grouped.units.items()
    }
    Unit.objects.bulk_create(units.values(), batch_size=BATCH_SIZE)
    people = {phone: User(phone=phone, real_name=name, password=password) for phone, name in grouped.people.items()}
    User.objects.bulk_create(people.values(), batch_size=BATCH_SIZE)
    Ownership.objects.bulk_create(
        [
            Ownership(unit=units[key], user=people[phone], status=Ownership.Status.VERIFIED, is_voter=voter,
                      start=today, verified_at=now, verified_by=actor)
            for key, phone, voter in grouped.ownerships
        ],
        batch_size=BATCH_SIZE,
    )
    return {
        "buildings_created": len(buildings), "units_created": len(units),
        "people_created": len(people), "ownerships_created": len(grouped.ownerships),
    }


def prepare_import(ctx: Context) -> Pair:
    from .scenarios import Pair

    actor = ctx.account(SUPERUSER)
    compound = _bench_compound("bench-first-import")
    lines = roster_lines(roster_rows())
    data, grouped = roster_csv(lines), RosterRows.of(lines)
    return Pair(
        baseline=lambda: bulk_write(compound, actor, grouped),
        subject=lambda: import_through_service(compound, actor, data),
    )


def prepare_reimport(ctx: Context) -> Pair:
    from .scenarios import Pair

    actor = ctx.account(SUPERUSER)
    rows = roster_rows()
    first = _bench_compound("bench-first-import")
    first_data = roster_csv(roster_lines(rows))
    kept = _bench_compound("bench-reimport")
    kept_data = roster_csv(roster_lines(rows, prefix=KEPT_PREFIX))
    import_committed(kept, actor, kept_data)

    def reimport():
        changes = import_through_service(kept, actor, kept_data)
        if changes:
            raise AssertionError(f"re-importing the same roster changed {changes}")
        return changes

    return Pair(baseline=lambda: import_through_service(first, actor, first_data), subject=reimport)

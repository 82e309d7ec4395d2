"""Compare a validated roster with the database and apply the difference in bulk.

`plan_roster` reads the compound's buildings, units and current ownerships once, and the people by
mobile number in chunks, then works in dictionaries; `apply_plan` writes with bulk_create and an
UPDATE … FROM (VALUES …) per batch. The number of queries grows with rows ÷ batch size, never per row.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from core.masking import mask_phone
from governance.models import Building, Compound, Unit

from ..models import Ownership, User
from .columns import UNIT_FIELD_KEYS
from .validation import Person, Roster, UnitKey, UnitRows, users_by_phone

BATCH_SIZE = 1000
CHANGES_LIMIT = 200
COUNT_KEYS = (
    "buildings_created", "units_created", "units_updated", "people_created", "people_updated",
    "ownerships_created", "ownerships_updated", "ownerships_ended",
)


@dataclass
class Plan:
    compound: Compound
    buildings: dict[str, Building]
    units: dict[UnitKey, Unit]
    people: dict[str, User]
    new_buildings: list[Building] = field(default_factory=list)
    new_units: list[tuple[UnitKey, Unit]] = field(default_factory=list)
    changed_units: dict[str, list[Unit]] = field(default_factory=lambda: defaultdict(list))  # by field set
    new_people: list[User] = field(default_factory=list)
    changed_people: list[User] = field(default_factory=list)
    new_ownerships: list[tuple[UnitKey, str, bool]] = field(default_factory=list)  # (unit, phone, voter)
    ended_ownerships: list[Ownership] = field(default_factory=list)
    unvoted_ownerships: list[Ownership] = field(default_factory=list)
    voted_ownerships: list[Ownership] = field(default_factory=list)
    verified_ownerships: list[Ownership] = field(default_factory=list)  # pending claims the roster confirms
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    changes: list[dict] = field(default_factory=list)

    def note(self, count_key: str, kind: str, label, detail) -> None:
        """Count a change; describe it only while the list is short (`label`/`detail` may be callables)."""
        self.counts[count_key] += 1
        if len(self.changes) < CHANGES_LIMIT:
            label = label() if callable(label) else label
            detail = detail() if callable(detail) else detail
            self.changes.append({"kind": kind, "label": label, "detail": detail})

    def summary(self, *, dry_run: bool) -> dict:
        total = sum(self.counts.values())
        return {
            "dry_run": dry_run,
            "counts": dict(self.counts),
            "total_changes": total,
            "changes": self.changes,
            "more_changes": max(total - len(self.changes), 0),
        }


def _unusable_password() -> str:
    # What make_password(None) stores, without its slow per-character random choice (20,000 × 40).
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _unit_label(key: UnitKey) -> str:
    building, entrance, number = key
    return f"{building} {entrance}{number}".strip()


def _who(name: str, phone: str) -> dict[str, str]:
    return {"name": name, "phone": mask_phone(phone)}


def _show(value) -> str:
    return "—" if value is None else str(value)


def plan_roster(*, compound: Compound, roster: Roster) -> Plan:
    """Work out what the roster changes (3 queries plus one per 2,000 mobile numbers); write nothing."""
    buildings = {b.name: b for b in Building.objects.filter(compound=compound)}
    names_by_id = {b.pk: name for name, b in buildings.items()}
    units = {
        (names_by_id[u.building_id], u.entrance, u.number): u
        for u in Unit.objects.filter(building__compound=compound).only("building_id", "entrance", "number", *UNIT_FIELD_KEYS)
    }
    current: dict[int, list[Ownership]] = defaultdict(list)
    ownerships = (
        Ownership.objects.filter(unit__building__compound=compound, end__isnull=True)
        .exclude(status=Ownership.Status.REJECTED)
        .select_related("user")
        .only("unit_id", "user_id", "status", "is_voter", "user__phone", "user__real_name")
    )
    for ownership in ownerships:
        current[ownership.unit_id].append(ownership)
    plan = Plan(compound=compound, buildings=buildings, units=units, people=users_by_phone(roster.people))

    for person in roster.people.values():
        _plan_person(plan, person)
    for key, unit_rows in roster.units.items():
        unit = _plan_unit(plan, key, unit_rows)
        _plan_owners(plan, key, unit_rows, current.get(unit.pk, []) if unit.pk else [])
    return plan


def _plan_person(plan: Plan, person: Person) -> None:
    user = plan.people.get(person.phone)
    if user is None:
        user = User(phone=person.phone, real_name=person.name, id_number=person.id_number, password=_unusable_password())
        plan.people[person.phone] = user
        plan.new_people.append(user)
        plan.counts["people_created"] += 1
        return
    details = []
    if user.real_name != person.name:  # validation lets this through only for accounts nobody has claimed
        details.append(_("name: %(old)s → %(new)s") % {"old": user.real_name, "new": person.name})
        user.real_name = person.name
    if person.id_number and not user.id_number:
        details.append(_("ID number added"))
        user.id_number = person.id_number
    if details:
        plan.changed_people.append(user)
        plan.note("people_updated", "updated", f"{person.name} {mask_phone(person.phone)}", "; ".join(details))


def _plan_unit(plan: Plan, key: UnitKey, rows: UnitRows) -> Unit:
    building_name, entrance, number = key
    building = plan.buildings.get(building_name)
    if building is None:
        building = plan.buildings[building_name] = Building(compound=plan.compound, name=building_name)
        plan.new_buildings.append(building)
        plan.note("buildings_created", "created", building_name, lambda: _("new building"))
    unit = plan.units.get(key)
    if unit is None:
        unit = Unit(building=building, entrance=entrance, number=number, **rows.fields)
        plan.units[key] = unit
        plan.new_units.append((key, unit))
        plan.note("units_created", "created", lambda: _unit_label(key), lambda: _("new unit"))
        return unit
    changed = []
    details = []
    for name in UNIT_FIELD_KEYS:
        if name in rows.fields and getattr(unit, name) != rows.fields[name]:
            details.append(f"{Unit._meta.get_field(name).verbose_name}: {_show(getattr(unit, name))} → {_show(rows.fields[name])}")
            setattr(unit, name, rows.fields[name])
            changed.append(name)
    if changed:
        plan.changed_units[",".join(changed)].append(unit)
        plan.note("units_updated", "updated", _unit_label(key), "; ".join(details))
    return unit


def _plan_owners(plan: Plan, key: UnitKey, rows: UnitRows, current: list[Ownership]) -> None:
    label = f"{key[0]} {key[1]}{key[2]}".strip()
    by_phone = {o.user.phone: o for o in current}
    listed = set()
    for owner in rows.owners:
        listed.add(owner.phone)
        ownership = by_phone.get(owner.phone)
        if ownership is None:
            plan.new_ownerships.append((key, owner.phone, owner.is_voter))
            plan.note("ownerships_created", "created", label, lambda owner=owner: (
                _("owner added (voter): %(name)s %(phone)s") if owner.is_voter else _("owner added: %(name)s %(phone)s")
            ) % _who(owner.name, owner.phone))
            continue
        who = _who(owner.name, owner.phone)
        details = []
        if ownership.status != Ownership.Status.VERIFIED:
            details.append(_("%(name)s %(phone)s: ownership verified") % who)
        if ownership.is_voter != owner.is_voter:
            message = _("%(name)s %(phone)s: now the voter") if owner.is_voter else _("%(name)s %(phone)s: no longer the voter")
            details.append(message % who)
        if not details:
            continue
        ownership.is_voter = owner.is_voter
        if ownership.status != Ownership.Status.VERIFIED:
            plan.verified_ownerships.append(ownership)
        elif owner.is_voter:
            plan.voted_ownerships.append(ownership)
        else:
            plan.unvoted_ownerships.append(ownership)
        plan.note("ownerships_updated", "updated", label, "; ".join(details))
    for ownership in current:
        # Pending claims stay for staff to decide; only verified owners missing from the roster end.
        if ownership.user.phone not in listed and ownership.status == Ownership.Status.VERIFIED:
            plan.ended_ownerships.append(ownership)
            plan.note("ownerships_ended", "ended", label,
                      _("owner removed: %(name)s %(phone)s") % _who(ownership.user.real_name, ownership.user.phone))


def _bulk_update(model, objs: list, fields: list[str]) -> None:
    """Write `fields` of `objs` with one UPDATE … FROM (VALUES …) per batch.

    Django's bulk_update builds a CASE WHEN per row and field, which costs seconds of Python for
    thousands of rows; a VALUES list joins on the primary key instead. PostgreSQL and SQLite ≥ 3.33
    both take this form; other databases fall back to bulk_update.
    """
    if not objs:
        return
    sqlite_ok = connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 33)
    if connection.vendor != "postgresql" and not sqlite_ok:
        model.objects.bulk_update(objs, fields, batch_size=BATCH_SIZE)
        return
    opts = model._meta
    columns = [opts.pk, *(opts.get_field(name) for name in fields)]
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    names = ", ".join(quote(f.column) for f in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
    if connection.vendor == "postgresql":
        row = "(" + ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in columns) + ")"
        size = BATCH_SIZE
    else:
        row = "(" + ", ".join("%s" for _f in columns) + ")"
        size = max(connection.features.max_query_params // len(columns), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            batch = objs[start:start + size]
            params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in batch for f in columns]
            cursor.execute(
                f"WITH v ({names}) AS (VALUES {', '.join([row] * len(batch))}) "
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{quote(opts.pk.column)} = v.{quote(opts.pk.column)}",
                params,
            )


def apply_plan(plan: Plan, *, actor) -> None:
    """Write the plan in bulk; call inside one transaction (queries: a few per BATCH_SIZE rows)."""
    now = timezone.now()
    today = timezone.localdate()
    Building.objects.bulk_create(plan.new_buildings, batch_size=BATCH_SIZE)
    Unit.objects.bulk_create([unit for _key, unit in plan.new_units], batch_size=BATCH_SIZE)
    for fields, units in plan.changed_units.items():
        for unit in units:
            unit.updated_at = now
        _bulk_update(Unit, units, [*fields.split(","), "updated_at"])

    User.objects.bulk_create(plan.new_people, batch_size=BATCH_SIZE)
    _bulk_update(User, plan.changed_people, ["real_name", "id_number"])

    # Ownerships were loaded with only a few fields: every field written below is set first.
    # Order matters for "one voter per unit": end and un-vote before anyone becomes the voter.
    for ownership in plan.ended_ownerships:
        ownership.end, ownership.updated_at = today, now
    _bulk_update(Ownership, plan.ended_ownerships, ["end", "updated_at"])
    for ownership in plan.unvoted_ownerships + plan.voted_ownerships:
        ownership.updated_at = now
    _bulk_update(Ownership, plan.unvoted_ownerships, ["is_voter", "updated_at"])
    _bulk_update(Ownership, plan.voted_ownerships, ["is_voter", "updated_at"])
    for ownership in plan.verified_ownerships:
        ownership.status, ownership.verified_at, ownership.verified_by = Ownership.Status.VERIFIED, now, actor
        ownership.updated_at = now
    _bulk_update(Ownership, plan.verified_ownerships, ["is_voter", "status", "verified_at", "verified_by", "updated_at"])
    Ownership.objects.bulk_create(
        [
            Ownership(
                unit=plan.units[key], user=plan.people[phone], status=Ownership.Status.VERIFIED, is_voter=voter,
                start=today, verified_at=now, verified_by=actor,
            )
            for key, phone, voter in plan.new_ownerships
        ],
        batch_size=BATCH_SIZE,
    )

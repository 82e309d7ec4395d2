"""Check every row of a roster and turn it into units with their owners.

Each problem is reported as (spreadsheet row, column header, message) so staff can find it in Excel.
Validation reads the database only to compare people by mobile and ID number (a few queries in
chunks, whatever the number of rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import User, id_number_validator, phone_validator
from .columns import AREA_KEYS, COLUMNS, COLUMNS_BY_KEY, HEADER_LOOKUP, UNIT_FIELD_KEYS, normalise_header

PROGRESS_EVERY = 500
# The validators' own patterns, compiled once: their lazy regex costs more than the check (20,000 rows).
PHONE_RE = re.compile(phone_validator.regex.pattern)
ID_NUMBER_RE = re.compile(id_number_validator.regex.pattern)
ROUNDED_NUMBER = re.compile(r"\d\.\d+E\+\d+")
LOOKUP_CHUNK = 2000
MAX_AREA = Decimal("999999.99")
MAX_LENGTH = {"building": 32, "entrance": 16, "number": 16, "owner_name": 32}
YES = {"是", "y", "yes", "1", "true", "√", "✓", "投票人"}
NO = {"否", "n", "no", "0", "false", "×", "✗"}

UnitKey = tuple[str, str, str]  # (building name, entrance, number)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class OwnerRow:
    row: int
    name: str
    phone: str
    id_number: str
    voter: bool | None  # None: the cell was empty
    is_voter: bool = False  # decided once all rows of the unit are known


@dataclass
class UnitRows:
    key: UnitKey
    row: int  # its first row
    fields: dict[str, object]  # floor/areas, only for columns the file has
    owners: list[OwnerRow] = field(default_factory=list)
    has_bad_rows: bool = False  # then its voter check would only repeat the problem

    @property
    def label(self) -> str:
        building, entrance, number = self.key
        return f"{building} {entrance}{number}".strip()


@dataclass
class Person:
    row: int
    name: str
    phone: str
    id_number: str


@dataclass
class Roster:
    present: frozenset[str]  # column keys the file has
    units: dict[UnitKey, UnitRows]
    people: dict[str, Person]  # by phone
    total_rows: int


class _Collector:
    def __init__(self):
        self.errors: list[RowError] = []
        self.rows_with_errors: set[int] = set()

    def add(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))
        self.rows_with_errors.add(row)


def _parse_area(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("Enter the area as a number greater than 0, e.g. 89.50.")) from None
    if not value.is_finite() or value <= 0:
        raise ValueError(_("Enter the area as a number greater than 0, e.g. 89.50."))
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(_("The area may have at most 2 decimal places."))
    if value > MAX_AREA:
        raise ValueError(_("The area is too large."))
    return value.quantize(Decimal("0.01"))


def _parse_floor(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(_("The floor must be a whole number, e.g. 3.")) from None
    if not -9 <= value <= 999:
        raise ValueError(_("The floor must be a whole number, e.g. 3."))
    return value


def _read_header(number: int, cells: list[str], out: _Collector) -> dict[str, tuple[int, str]]:
    """Return {column key: (cell index, header as written)}; report missing and repeated columns."""
    found: dict[str, tuple[int, str]] = {}
    for index, text in enumerate(cells):
        key = HEADER_LOOKUP.get(normalise_header(text))
        if key is None:
            continue  # extra columns (notes, sequence numbers) are allowed
        if key in found:
            out.add(number, text, _("This column appears twice."))
            continue
        found[key] = (index, text)
    for column in COLUMNS:
        if column.required and column.key not in found:
            out.add(number, column.header, _("This column is missing."))
    if not any(key in found for key in AREA_KEYS):
        out.add(number, COLUMNS_BY_KEY["area_register"].header,
                _("An area column is missing: add 产权面积, 测绘面积 or 合同面积."))
    return found


def validate_roster(
    rows: list[tuple[int, list[str]]], *, progress: Callable[[int], None] | None = None
) -> tuple[Roster | None, list[RowError]]:
    """Check the rows (header first) and return the roster, or None with the errors.

    `progress(n)` is called every PROGRESS_EVERY rows with the number of rows checked.
    """
    out = _Collector()
    if not rows:
        out.add(1, "", _("The file has no rows."))
        return None, out.errors
    header_number, header_cells = rows[0]
    columns = _read_header(header_number, header_cells, out)
    data_rows = rows[1:]
    if out.errors:
        return None, out.errors
    if not data_rows:
        out.add(header_number + 1, "", _("The file has a header row but no owners."))
        return None, out.errors

    headers = {key: text for key, (_index, text) in columns.items()}
    present = frozenset(columns)
    units: dict[UnitKey, UnitRows] = {}
    people: dict[str, Person] = {}
    people_by_id: dict[str, Person] = {}
    seen_owner: dict[tuple[UnitKey, str], int] = {}

    for done, (number, cells) in enumerate(data_rows, start=1):
        if progress and done % PROGRESS_EVERY == 0:
            progress(done)
        values = {key: (cells[index].strip() if index < len(cells) else "") for key, (index, _text) in columns.items()}
        _check_row(number, values, headers, present, units, people, people_by_id, seen_owner, out)

    for unit in units.values():
        _decide_voter(unit, headers, out)

    _check_against_database(people, headers, out)
    if progress:
        progress(len(data_rows))
    if out.errors:
        out.errors.sort(key=lambda e: e.row)
        return None, out.errors
    return Roster(present=present, units=units, people=people, total_rows=len(data_rows)), []


def _check_row(number, values, headers, present, units, people, people_by_id, seen_owner, out: _Collector) -> None:
    for key in ("building", "number", "owner_name", "owner_phone"):
        if not values[key]:
            out.add(number, headers[key], _("This cell must not be empty."))
    for key, limit in MAX_LENGTH.items():
        if key in values and len(values[key]) > limit:
            out.add(number, headers[key], _("Too long: at most %(max)d characters.") % {"max": limit})

    phone = values["owner_phone"].replace(" ", "").replace("-", "")
    if phone and not PHONE_RE.search(phone):
        try:
            phone_validator(phone)  # the message comes from the validator itself
        except ValidationError as exc:
            out.add(number, headers["owner_phone"], exc.messages[0])
        phone = ""
    id_number = values.get("id_number", "").replace(" ", "").upper()
    if ROUNDED_NUMBER.fullmatch(id_number):
        out.add(number, headers["id_number"],
                _("Excel has rounded this ID number. Set the column to text and type the number again."))
        id_number = ""
    elif id_number and not ID_NUMBER_RE.search(id_number):
        try:
            id_number_validator(id_number)
        except ValidationError as exc:
            out.add(number, headers["id_number"], exc.messages[0])
        id_number = ""

    voter: bool | None = None
    voter_text = values.get("is_voter", "").lower()
    if voter_text in YES:
        voter = True
    elif voter_text in NO:
        voter = False
    elif voter_text:
        out.add(number, headers["is_voter"], _("Write 是 or 否."))

    fields: dict[str, object] = {}
    area_error = False
    for key in UNIT_FIELD_KEYS:
        if key not in present:
            continue
        text = values[key]
        if not text:
            fields[key] = None
            continue
        try:
            fields[key] = _parse_floor(text) if key == "floor" else _parse_area(text)
        except ValueError as exc:
            out.add(number, headers[key], str(exc))
            area_error = area_error or key != "floor"
            fields[key] = None
    if not area_error and not any(fields.get(key) for key in AREA_KEYS):
        first_area = next(key for key in AREA_KEYS if key in present)
        out.add(number, headers[first_area], _("Fill in at least one area: 产权面积, 测绘面积 or 合同面积."))

    name = values["owner_name"]
    if not (values["building"] and values["number"]):
        return
    key: UnitKey = (values["building"], values.get("entrance", ""), values["number"])
    unit = units.get(key)
    if unit is None:
        unit = units[key] = UnitRows(key=key, row=number, fields=fields)
    elif number not in out.rows_with_errors:
        for field_key, value in fields.items():
            if unit.fields.get(field_key) != value:
                out.add(number, headers[field_key], _("Differs from row %(row)d for the same unit.") % {"row": unit.row})

    if number in out.rows_with_errors:
        unit.has_bad_rows = True
    if not phone or not name:
        return
    earlier = seen_owner.get((key, phone))
    if earlier is not None:
        out.add(number, headers["owner_phone"],
                _("The same unit and mobile number are already on row %(row)d.") % {"row": earlier})
        return
    seen_owner[(key, phone)] = number

    person = people.get(phone)
    if person is None:
        people[phone] = person = Person(row=number, name=name, phone=phone, id_number=id_number)
    elif person.name != name:
        out.add(number, headers["owner_name"],
                _("This mobile number has the name %(name)s on row %(row)d.") % {"name": person.name, "row": person.row})
    if id_number:
        if person.id_number and person.id_number != id_number:
            out.add(number, headers["id_number"],
                    _("This mobile number has a different ID number on row %(row)d.") % {"row": person.row})
        elif not person.id_number:
            person.id_number = id_number
        holder = people_by_id.setdefault(id_number, person)
        if holder.phone != phone:
            out.add(number, headers["id_number"],
                    _("This ID number belongs to another mobile number on row %(row)d.") % {"row": holder.row})
    unit.owners.append(OwnerRow(row=number, name=name, phone=phone, id_number=id_number, voter=voter))


def _decide_voter(unit: UnitRows, headers, out: _Collector) -> None:
    """Mark the voter: a single owner votes; co-owners must mark exactly one 是."""
    column = headers.get("is_voter", COLUMNS_BY_KEY["is_voter"].header)
    if unit.has_bad_rows:
        return
    if len(unit.owners) == 1:
        owner = unit.owners[0]
        if owner.voter is False:
            out.add(owner.row, column, _("The only owner of a unit is its voter: write 是 or leave it empty."))
        owner.is_voter = True
        return
    if not unit.owners:
        return
    voters = [o for o in unit.owners if o.voter]
    if not voters:
        out.add(unit.owners[0].row, column, _("Co-owners must name one voter: write 是 on exactly one row."))
    for extra in voters[1:]:
        out.add(extra.row, column,
                _("Co-owners may name only one voter; row %(row)d is already the voter.") % {"row": voters[0].row})
    for owner in unit.owners:
        owner.is_voter = bool(voters) and owner is voters[0]


def chunks(items: list, size: int = LOOKUP_CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def users_by_phone(phones) -> dict[str, User]:
    """Return existing users by mobile number (one query per LOOKUP_CHUNK numbers)."""
    found: dict[str, User] = {}
    for part in chunks(sorted(phones)):
        users = User.objects.filter(phone__in=part).only("pk", "phone", "real_name", "id_number", "password")
        found.update((u.phone, u) for u in users)
    return found


def users_by_id_number(id_numbers) -> dict[str, User]:
    found: dict[str, User] = {}
    for part in chunks(sorted(id_numbers)):
        found.update((u.id_number, u) for u in User.objects.filter(id_number__in=part).only("pk", "phone", "id_number"))
    return found


def _check_against_database(people: dict[str, Person], headers, out: _Collector) -> None:
    """A mobile number of a real account must keep its owner's name and ID number."""
    if not people:
        return
    existing = users_by_phone(people)
    holders = users_by_id_number({p.id_number for p in people.values() if p.id_number})
    for phone, person in people.items():
        user = existing.get(phone)
        # Accounts created by an earlier import (no password yet) follow the roster; real accounts do not.
        if user is not None and user.has_usable_password() and user.real_name and user.real_name != person.name:
            out.add(person.row, headers["owner_name"], _("This mobile number is already registered under a different name."))
        if person.id_number:
            holder = holders.get(person.id_number)
            if holder is not None and holder.phone != phone:
                out.add(person.row, headers["id_number"], _("This ID number is registered to another person."))
            elif user is not None and user.id_number and user.id_number != person.id_number:
                out.add(person.row, headers["id_number"], _("This mobile number is registered with a different ID number."))

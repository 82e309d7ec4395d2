"""The case ledger (台账) of a place: every case filed there in a date range, with filters, 20 a page, and XLSX.

At two million cases the list must not sort or count the place's cases:
- rows come from `compound_id IN (the place's compounds) AND created_at in [from, to)` ordered by
  `-created_at, -id` (index complaints_compound_created_idx on (compound, created_at), and the created_at
  order for wide places; see docs/dashboards.md);
- a page reads 21 rows (20 + one to know whether there is a next page), never COUNT(*) over the cases;
- the total shown is the rollups' count of cases filed (query.sums), when no status or department filter applies.

A page costs a fixed number of queries: the department choices (one), the page (one), its handlers
(one, prefetched) and the total (at most two, from the rollups).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Category, Complaint, Dispatch, DispatchStatus, HandlerKind, Rating, Status
from core.forms import BootstrapFormMixin
from governance.models import Compound, Department

from . import query
from .forms import Period
from .selectors import COMPOUND_FIELD

PAGE_SIZE = 20
GONE_DISPATCHES = (DispatchStatus.WITHDRAWN, DispatchStatus.RETURNED)


def district_id_of(level: str, place) -> int:
    """The district a place lies in (its parents are selected by permissions.place_or_404: no query)."""
    if level == "district":
        return place.pk
    if level == "street":
        return place.district_id
    if level == "community":
        return place.street.district_id
    return place.community.street.district_id


class LedgerFilterForm(BootstrapFormMixin, forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["category"].choices = everything + list(Category.choices)
        self.fields["status"].choices = everything + list(Status.choices)
        self.fields["department"].choices = everything + [(str(pk), name) for pk, name in departments]

    def param_errors(self) -> dict[str, list[str]]:
        return {name: [str(m) for m in messages] for name, messages in self.errors.items()}


def filter_form(params, district_id: int) -> LedgerFilterForm:
    """Bind the filters to GET params; the department choices are the district's departments (one query)."""
    departments = Department.objects.filter(district_id=district_id).order_by("name").values_list("pk", "name")
    data = {name: params.get(name, "") for name in ("category", "status", "department")}
    return LedgerFilterForm(data, departments=list(departments), auto_id="ledger-%s")


@dataclass(frozen=True)
class LedgerFilters:
    category: str = ""
    status: str = ""
    department: int | None = None

    @classmethod
    def from_form(cls, form: LedgerFilterForm) -> LedgerFilters:
        """The valid filters of a bound form (an invalid one is dropped, its error shown)."""
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        return cls(data.get("category") or "", data.get("status") or "", data.get("department"))

    def as_params(self) -> dict[str, str]:
        params = {"category": self.category, "status": self.status,
                  "department": "" if self.department is None else str(self.department)}
        return {key: value for key, value in params.items() if value}


def _bounds(period: Period) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(period.start, time.min), tz),
            timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min), tz))


def place_compounds(level: str, place) -> QuerySet:
    return Compound.objects.filter(**{COMPOUND_FIELD[level]: place.pk})


def ledger_queryset(level: str, place, period: Period, filters: LedgerFilters) -> QuerySet[Complaint]:
    """The place's cases filed in the period with the filters, newest first, with what a row shows."""
    lo, hi = _bounds(period)
    if level == "compound":
        qs = Complaint.objects.filter(compound_id=place.pk)
    else:
        qs = Complaint.objects.filter(compound_id__in=place_compounds(level, place).values("pk"))
    qs = qs.filter(created_at__gte=lo, created_at__lt=hi)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.department is not None:
        qs = qs.filter(id__in=Dispatch.objects.filter(department_id=filters.department).values("complaint_id"))
    handlers = Dispatch.objects.exclude(status__in=GONE_DISPATCHES).select_related("department", "property_company").only(
        "id", "complaint_id", "handler_kind", "department__name", "property_company__name",
    ).order_by("id")
    return (
        qs.select_related("compound")
        .only("id", "number", "created_at", "compound__name", "category", "title", "status", "rating")
        .prefetch_related(Prefetch("dispatches", queryset=handlers))
        .order_by("-created_at", "-id")
    )


def handler_names(case: Complaint) -> list[str]:
    """The case's current handlers, each once, in dispatch order (from the prefetched dispatches)."""
    names: list[str] = []
    for dispatch in case.dispatches.all():
        name = str(dispatch.handler_name)
        if name not in names:
            names.append(name)
    return names


def labels() -> dict[str, dict[str, str]]:
    """The display labels of categories, statuses and ratings in the active language, made plain strings once
    (Model.get_FOO_display() hashes the lazy choices on every call: too slow for 100,000 rows)."""
    return {name: {key: str(label) for key, label in choices.choices}
            for name, choices in (("category", Category), ("status", Status), ("rating", Rating))}


def row_of(case: Complaint, names: dict[str, dict[str, str]] | None = None) -> dict:
    names = names or labels()
    return {
        "id": case.pk,
        "number": case.number,
        "filed": timezone.localtime(case.created_at),
        "compound": case.compound.name,
        "category": names["category"].get(case.category, case.category),
        "category_key": case.category,
        "title": case.title,
        "status": names["status"].get(case.status, case.status),
        "status_key": case.status,
        "handlers": handler_names(case),
        "rating": names["rating"].get(case.rating, case.rating),
        "rating_key": case.rating,
    }


@dataclass
class LedgerPage:
    rows: list[dict]
    number: int
    has_next: bool
    total: int | None  # None: not known without counting the cases (a status or department filter applies)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def num_pages(self) -> int | None:
        return None if self.total is None else max(1, -(-self.total // PAGE_SIZE))


def page_number(raw) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1


def rollup_total(level: str, place, period: Period, filters: LedgerFilters) -> int | None:
    """The number of cases filed at the place in the period (and category), from the rollups; None when a
    status or department filter applies (the rollups do not know it)."""
    if filters.status or filters.department is not None:
        return None
    where = Q(compound_id=place.pk) if level == "compound" else Q(compound_id__in=place_compounds(level, place).values("pk"))
    if filters.category:
        where &= Q(category=filters.category)
    return query.sums("case", period.start, period.end, where=where)[()]["filed"]


def ledger_page(level: str, place, period: Period, filters: LedgerFilters, number: int = 1) -> LedgerPage:
    """One page of the ledger (20 rows): two queries for the rows and their handlers, at most two for the total."""
    offset = (number - 1) * PAGE_SIZE
    cases = list(ledger_queryset(level, place, period, filters)[offset:offset + PAGE_SIZE + 1])
    names = labels()
    rows = [row_of(case, names) for case in cases[:PAGE_SIZE]]
    return LedgerPage(rows, number, len(cases) > PAGE_SIZE, rollup_total(level, place, period, filters))


def max_export_rows() -> int:
    return int(getattr(settings, "LEDGER_EXPORT_MAX_ROWS", 100_000))


EXPORT_CHUNK = 2000
EXPORT_FIELDS = ("id", "number", "created_at", "compound__name", "category", "title", "status", "rating")


def _chunks(rows, size: int):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _handlers_of(ids: list[int]) -> dict[int, list[str]]:
    """{case id: its current handlers' names, each once, in dispatch order} for a chunk of cases (one query)."""
    kinds = {key: str(label) for key, label in HandlerKind.choices}
    found: dict[int, list[str]] = {}
    rows = (Dispatch.objects.filter(complaint_id__in=ids).exclude(status__in=GONE_DISPATCHES).order_by("id")
            .values_list("complaint_id", "handler_kind", "department__name", "property_company__name"))
    for case_id, kind, department, company in rows:
        name = (department if kind == HandlerKind.DEPARTMENT else company if kind == HandlerKind.PROPERTY else None) \
            or kinds.get(kind, kind)
        names = found.setdefault(case_id, [])
        if name not in names:
            names.append(name)
    return found


def ledger_xlsx(level: str, place, period: Period, filters: LedgerFilters, *, title: str):
    """Write the filtered ledger to an XLSX file (openpyxl write-only, rows streamed from the database).

    Return an open temporary file positioned at 0. At most LEDGER_EXPORT_MAX_ROWS rows; when there are
    more, a last row says so. Plain tuples rather than model instances, and one handler query per 2,000
    cases, keep it to a few seconds per 10,000 rows.
    """
    from openpyxl import Workbook

    cap = max_export_rows()
    names = labels()
    tz = timezone.get_current_timezone()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Case ledger"))[:31])
    sheet.append([f"{title} {period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}"])
    sheet.append([str(h) for h in HEADERS])
    rows = (ledger_queryset(level, place, period, filters).prefetch_related(None)
            .values_list(*EXPORT_FIELDS)[:cap + 1].iterator(chunk_size=EXPORT_CHUNK))
    written = 0
    cut = False
    for chunk in _chunks(rows, EXPORT_CHUNK):
        if written + len(chunk) > cap:
            chunk, cut = chunk[:cap - written], True
        handlers = _handlers_of([row[0] for row in chunk])
        for pk, number, created_at, compound, category, case_title, status, rating in chunk:
            sheet.append([
                number, created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), compound,
                names["category"].get(category, category), case_title, names["status"].get(status, status),
                "、".join(handlers.get(pk, ())), names["rating"].get(rating, rating),
            ])
        written += len(chunk)
    if cut:
        sheet.append([str(_("Only the first %(n)s cases are exported; narrow the filters to get the rest.") % {"n": cap})])
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out


HEADERS = (_("Case number"), _("Filed"), _("Compound"), _("Category"), _("Title"), _("Status"), _("Handlers"), _("Rating"))

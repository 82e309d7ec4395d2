"""Monthly red and black lists (红黑榜) of a district's departments and property companies (issue 6 §4).

The order is the composite score (kpis.handler_score: the three rates weighted as configured), ties broken
by the response rate, then by name. A handler with fewer than RANKING_MIN_DISPATCHES dispatches (default 3)
in the month is left out and listed as such: a score over one or two cases says nothing.

The red list is the best five, the black list the worst five (worst first). With fewer than ten handlers
ranked, each list takes half of them (rounded down), so nobody is on both.

The figures are the month's dispatch rollups of the district's compounds (cases filed in the month, with
their outcome when read). `publish_month` freezes them as a RankingList snapshot, once per (district,
month, kind), and tells the district's and its streets' staff; the beat sweeper publishes last month's
lists from the 1st at RANKING_PUBLISH_HOUR (default 8:00, Asia/Shanghai) on, idempotently.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext

from core.audit import audit
from core.notifications import notify
from governance.models import Compound, District, Role, RoleAssignment

from . import kpis, query
from .handler_selectors import handler_names
from .models import RankingList

LIST_SIZE = 5
KINDS = (RankingList.Kind.DEPARTMENT, RankingList.Kind.PROPERTY)
FIGURES = ("dispatched", "response_rate", "handler_solved_rate", "handler_satisfied_rate", "handler_score")


def min_dispatches() -> int:
    return int(getattr(settings, "RANKING_MIN_DISPATCHES", 3))


def publish_hour() -> int:
    return int(getattr(settings, "RANKING_PUBLISH_HOUR", 8))


def month_bounds(month: date) -> tuple[date, date]:
    first = query.month_start(month)
    return first, query.month_end(first)


def parse_month(raw: str | None) -> date | None:
    """Return the first day of a "YYYY-MM" month, or None when it is not one."""
    try:
        year, month = (raw or "").strip().split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def _row(pk: int, name: str, values: dict) -> dict:
    return {"id": pk, "name": name, **{key: values[key] for key in FIGURES}}


def _order_key(row: dict):
    """Best first: score, then response rate (higher first; missing last), then name."""
    score = row["handler_score"]
    response = row["response_rate"]
    return (score is None, -(score or 0), response is None, -(response or 0), row["name"])


def compute_lists(district: District | int, kind: str, month: date) -> dict:
    """Return the live lists of a district's handlers of `kind` for the month (two or three queries).

    {"red": [rows best first], "black": [rows worst first], "left_out": [rows by name], "eligible": n,
     "min_dispatches": n, "weights": {...}}; each row {"rank", "id", "name", "dispatched", the three rates, score}.
    """
    district_id = getattr(district, "pk", district)
    first, last = month_bounds(month)
    where = Q(handler_kind=kind, compound_id__in=Compound.objects.filter(community__street__district_id=district_id).values("pk"))
    sums = query.sums("dispatch", first, last, where=where, group_by=("handler_id",))
    sums = {key[0]: value for key, value in sums.items() if key[0]}
    names = handler_names(kind, sums)
    rows = [_row(pk, names.get(pk, f"#{pk}"), kpis.compute_handler(value)) for pk, value in sums.items()]
    floor = min_dispatches()
    ranked = sorted((r for r in rows if r["dispatched"] >= floor), key=_order_key)
    left_out = sorted((r for r in rows if r["dispatched"] < floor), key=lambda r: r["name"])
    size = min(LIST_SIZE, len(ranked) // 2)
    red = [{**row, "rank": i} for i, row in enumerate(ranked[:size], start=1)]
    black = [{**row, "rank": i} for i, row in enumerate(reversed(ranked[len(ranked) - size:]), start=1)] if size else []
    return {
        "red": red, "black": black, "left_out": left_out, "eligible": len(ranked), "min_dispatches": floor,
        "weights": {key: float(value) for key, value in kpis.score_weights().items()},
    }


def _staff_to_tell(district_id: int):
    """The active users holding a current district-staff role over the district or street-staff role over its streets."""
    roles = RoleAssignment.objects.active().filter(
        Q(role=Role.DISTRICT_STAFF, district_id=district_id) | Q(role=Role.STREET_STAFF, street__district_id=district_id)
    )
    return get_user_model().objects.filter(pk__in=roles.values("user_id"), is_active=True)


def publish_month(*, district: District, month: date, kind: str, actor=None, now: datetime | None = None) -> tuple[RankingList, bool]:
    """Publish a district's lists of `kind` for `month` once; return (the list, whether it was published now).

    Idempotent: a month already published is returned untouched (its snapshot is never recomputed) and nobody
    is told twice. Called by the beat sweeper (actor None) and by `manage.py publish_rankings`.
    """
    month = query.month_start(month)
    found = RankingList.objects.filter(district=district, month=month, kind=kind).first()
    if found is not None:
        return found, False
    lists = compute_lists(district, kind, month)
    try:
        with transaction.atomic():
            ranking = RankingList.objects.create(
                district=district, month=month, kind=kind, rows=lists, published_at=now or timezone.now(),
                published_by=actor if getattr(actor, "pk", None) else None,
            )
            audit(actor=actor, action="rankings.publish", target=ranking, month=f"{month:%Y-%m}", kind=kind,
                  red=[r["id"] for r in lists["red"]], black=[r["id"] for r in lists["black"]])
            if lists["red"] or lists["black"]:
                url = f"{reverse('dashboards:rankings')}?month={month:%Y-%m}&district={district.pk}"
                notify(
                    users=_staff_to_tell(district.pk),
                    key=f"rankings:{district.pk}:{month:%Y-%m}:{kind}",
                    title=(gettext_noop("Red and black lists of departments published: %(month)s")
                           if kind == RankingList.Kind.DEPARTMENT
                           else gettext_noop("Red and black lists of property companies published: %(month)s")),
                    params={"month": f"{month:%Y-%m}"}, url=url,
                )
    except IntegrityError:  # published meanwhile by another worker
        return RankingList.objects.get(district=district, month=month, kind=kind), False
    return ranking, True


def due_month(now: datetime | None = None) -> date | None:
    """Return the month whose lists are due (last month), once the 1st's publishing hour has come; else None."""
    local = timezone.localtime(now or timezone.now())
    this_month = local.date().replace(day=1)
    opens = timezone.make_aware(datetime.combine(this_month, time(publish_hour())), local.tzinfo)
    if local.day == 1 and local < opens:
        return None
    return query.add_months(this_month, -1)


def publish_due(*, now: datetime | None = None) -> int:
    """Publish last month's lists of every district that has none yet; return how many were published.

    Cheap when nothing is due: one query for the districts still missing a list.
    """
    month = due_month(now)
    if month is None:
        return 0
    done = set(RankingList.objects.filter(month=month).values_list("district_id", "kind"))
    published = 0
    for district in District.objects.order_by("pk"):
        for kind in KINDS:
            if (district.pk, kind) in done:
                continue
            published += publish_month(district=district, month=month, kind=kind, now=now)[1]
    return published


# --- reading ------------------------------------------------------------------------------------------


def ranking_districts(user, grants: dict[str, set[int]]) -> list[District]:
    """Return the districts whose rankings the user may see (one query): superusers all; district, street
    and community staff the district they work in."""
    if user.is_superuser:
        return list(District.objects.order_by("name"))
    q = Q(pk__in=sorted(grants["district"])) | Q(streets__id__in=sorted(grants["street"])) | Q(
        streets__communities__id__in=sorted(grants["community"]))
    return list(District.objects.filter(q).distinct().order_by("name"))


def month_lists(district: District, month: date, *, today: date | None = None) -> dict:
    """Return both kinds' lists of a month: the published snapshots, or a live preview while unpublished.

    {kind: {"lists", "published": RankingList | None, "preview": bool}}; one query when published, up to
    three more per kind otherwise. Months after this one have no lists (empty, not a preview).
    """
    today = today or timezone.localdate()
    published = {r.kind: r for r in RankingList.objects.filter(district=district, month=month)}
    result = {}
    for kind in KINDS:
        found = published.get(kind)
        if found is not None:
            result[kind] = {"lists": found.rows, "published": found, "preview": False}
        elif month <= today:
            result[kind] = {"lists": compute_lists(district, kind, month), "published": None, "preview": True}
        else:
            result[kind] = {"lists": {"red": [], "black": [], "left_out": [], "eligible": 0,
                                      "min_dispatches": min_dispatches()}, "published": None, "preview": False}
    return result


KIND_LABELS = {RankingList.Kind.DEPARTMENT: _("Functional departments"), RankingList.Kind.PROPERTY: _("Property companies")}


def lists_xlsx(district: District, month: date, lists: dict) -> bytes:
    """A month's lists as XLSX: one sheet per kind with the red list, the black list and those left out."""
    import io

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    header = [str(_("Rank")), str(_("Name")), str(_("Dispatches")), str(pgettext("12345 KPI", "Response rate")), str(_("Resolution rate")),
              str(_("Satisfaction rate")), str(_("Composite score"))]
    for kind in KINDS:
        entry = lists[kind]
        sheet = workbook.create_sheet(title=str(KIND_LABELS[kind])[:31])
        state = _("published") if entry["published"] else _("not yet published (preview)")
        sheet.append([f"{district.name} {month:%Y-%m} {KIND_LABELS[kind]} · {state}"])
        for label, key in ((_("Red list"), "red"), (_("Black list"), "black")):
            sheet.append([])
            sheet.append([str(label)])
            sheet.append(header)
            for row in entry["lists"][key]:
                sheet.append([row["rank"], row["name"], *[row[f] for f in FIGURES]])
        sheet.append([])
        sheet.append([str(_("Left out (fewer than %(n)s dispatches)") % {"n": entry["lists"]["min_dispatches"]})])
        for row in entry["lists"]["left_out"]:
            sheet.append(["", row["name"], row["dispatched"]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

"""`district_dashboard`: the district dashboard page over HTTP (gunicorn) as district staff, over
BENCH_CASES generated cases (default 2,000,000), against the same figures computed by one raw SQL
`GROUP BY` on the cases table — what the page would cost without the rollup tables.

The range is the last twelve whole months plus this month (the page also reads the same range a year
earlier). The baseline groups the cases of both years by street, category and month, with the case
counters the page shows (cases, accepted on time, closed, unconfirmed, closed on time, solved, rated,
satisfied, reopened, average times); it is checked to count as many cases in the range as the page shows.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from .cases import target_cases
from .http import Client

if TYPE_CHECKING:
    from .scenarios import Context, Pair

DISTRICT_STAFF = "13800000001"

RAW_SQL = """
SELECT cm.street_id, c.category,
       date_trunc('month', c.created_at AT TIME ZONE %(tz)s) AS month,
       count(*) FILTER (WHERE c.status <> 'merged') AS cases,
       count(*) FILTER (WHERE c.accepted_at <= c.accept_due_at) AS accepted_on_time,
       count(*) FILTER (WHERE c.accepted_at IS NOT NULL) AS accepted,
       count(*) FILTER (WHERE c.status IN ('closed', 'closed_unconfirmed')) AS closed,
       count(*) FILTER (WHERE c.status = 'closed_unconfirmed') AS unconfirmed,
       count(*) FILTER (WHERE c.status IN ('closed', 'closed_unconfirmed')
                          AND coalesce(c.resolved_at, c.closed_at) <= c.handle_due_at) AS closed_on_time,
       count(*) FILTER (WHERE c.status = 'closed' AND c.answer = 'solved') AS solved,
       count(*) FILTER (WHERE c.rating <> '') AS rated,
       count(*) FILTER (WHERE c.rating IN ('satisfied', 'basically')) AS satisfied,
       count(*) FILTER (WHERE c.redo_count > 0) AS reopened,
       avg(extract(epoch FROM c.accepted_at - c.created_at)) AS accept_seconds,
       avg(extract(epoch FROM c.closed_at - c.created_at)) AS close_seconds
FROM complaints_complaint c
JOIN governance_compound cp ON cp.id = c.compound_id
JOIN governance_community cm ON cm.id = cp.community_id
WHERE c.created_at >= %(start)s AND c.created_at < %(end)s
GROUP BY 1, 2, 3
"""


def _range(today: date) -> tuple[date, date]:
    start = date(today.year - 1, today.month, 1)
    return start, today


def prepare_district_dashboard(ctx: Context) -> Pair:
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from governance.demo import DEMO_PASSWORD
    from governance.models import District, RoleAssignment

    from .scenarios import Pair

    ctx.grow_history(target_cases())
    district = District.objects.get(pk=RoleAssignment.objects.get(user=ctx.account(DISTRICT_STAFF)).district_id)
    start, end = _range(timezone.localdate())
    tz = ZoneInfo(settings.TIME_ZONE)
    # Both years, as the page reads the same range a year before.
    sql_start = datetime.combine(start.replace(year=start.year - 1), time.min, tz)
    sql_end = datetime.combine(end + timedelta(days=1), time.min, tz)
    staff = Client(ctx.server().base_url)
    staff.login(DISTRICT_STAFF, DEMO_PASSWORD)
    url = f"/dashboard/district/{district.pk}/?from={start:%Y-%m-%d}&to={end:%Y-%m-%d}"

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"tz": settings.TIME_ZONE, "start": sql_start, "end": sql_end})
            rows = cursor.fetchall()
        this_year = datetime(start.year, start.month, 1)
        return sum(row[3] for row in rows if row[2] >= this_year)

    def page():
        html = staff.get(url).text
        found = re.search(r'id="cases-value">([\d,]+)<', html)
        return int(found.group(1).replace(",", "")) if found else None

    return Pair(baseline=raw, subject=page)

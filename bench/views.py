"""Bare views: what a request costs on this server with no feature in it (served under bench.urls only).

- read ceiling: the framework (gunicorn, middleware, URL routing, a JSON response), no database;
- write ceiling: the same plus one INSERT of one row into `bench_ceiling`, a table of the bench's own
  (created by `ensure_ceiling_table`), so nothing the app reads changes;
- signed-in write ceiling: the write ceiling behind what every form post of a resident pays before any
  feature — the session read and saved again (SESSION_SAVE_EVERY_REQUEST), the user loaded, the CSRF check.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

CEILING_TABLE = "bench_ceiling"


def ensure_ceiling_table() -> None:
    """Create the write ceiling's table if it is missing (on the bench database only)."""
    key = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {CEILING_TABLE} (id {key}, at TIMESTAMP WITH TIME ZONE NOT NULL)")


@require_GET
def ceiling_read(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": 1})


@csrf_exempt
@require_POST
def ceiling_write(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {CEILING_TABLE} (at) VALUES (%s)", [timezone.now()])
    return JsonResponse({"ok": 1})


@login_required
@require_POST
def ceiling_write_signed_in(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {CEILING_TABLE} (at) VALUES (%s)", [timezone.now()])
    return JsonResponse({"ok": 1})

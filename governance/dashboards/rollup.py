"""Keeping the rollup tables current as cases move, and rebuilding them from scratch.

Incremental path:
- `enqueue(ids)`: called by the services in the transaction that changes a case (complaints.services._event,
  survey answers, the survey sweeper). It inserts RollupQueue rows — committed with the change or not at
  all — and, on commit, sends the Celery task that drains them (run at once when tasks are eager).
- `drain()` claims queue rows (SELECT … FOR UPDATE SKIP LOCKED: concurrent drains never share a row),
  syncs their cases and deletes the claimed rows, in one transaction per batch. A change committed while
  a drain works on its case has a queue row of its own, which that drain did not claim: the next drain
  (after that change's commit, or the beat sweeper) syncs the case again.
- Syncing a batch of cases: lock their ComplaintFact rows first (INSERT … ON CONFLICT DO NOTHING, then
  SELECT … FOR UPDATE, in id order), so two syncs of one case run one after the other and the second reads
  what the first committed; read the cases, dispatches and surveys (a fixed number of queries for the
  batch); compute each case's rows with facts.case_rows; add new − old to the daily and monthly tables,
  one upsert per table (keys sorted, so concurrent upserts take row locks in one order and cannot
  deadlock); store the new rows. Syncing a case whose rows did not change writes nothing (idempotent).
- Repeat flags: a case that is new to the rollups or changed category (or day, or compound) may change
  the flag of the later cases of its unit in the 30 days after it: those are queued in the same
  transaction and synced next.

`rebuild()` recomputes everything from the cases, with the same facts.case_rows, streaming the cases
in id order and writing facts and summed rows with COPY (PostgreSQL) or bulk_create (SQLite).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import islice

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from complaints.models import Complaint, Dispatch, Survey

from . import facts
from .models import (
    CASE_COUNTERS,
    DISPATCH_COUNTERS,
    ComplaintFact,
    DailyComplaintStats,
    DailyDispatchStats,
    MonthlyComplaintStats,
    MonthlyDispatchStats,
    RollupQueue,
)

BATCH = 500  # cases synced in one transaction
ROWS_PER_STATEMENT = 1000  # rows per upsert statement (SQLite allows 32,766 parameters)
REBUILD_CHUNK = 10_000  # cases read at a time by rebuild()

# kind → (daily model, monthly model, key columns after the period, counters)
TABLES = {
    "case": (DailyComplaintStats, MonthlyComplaintStats, ("compound_id", "category"), CASE_COUNTERS),
    "dispatch": (DailyDispatchStats, MonthlyDispatchStats, ("compound_id", "category", "handler_kind", "handler_id"),
                 DISPATCH_COUNTERS),
}
# The counter that every row of a kind has (a row without it is all zeros and is removed).
PRESENCE = {"case": "filed", "dispatch": "dispatched"}


# --- incremental -------------------------------------------------------------------------------


def enqueue(complaint_ids: Iterable[int]) -> None:
    """Queue cases for a sync, in the current transaction; a worker drains them right after it commits.

    The drain runs as a Celery task, not in the request: a resident filing a case does not wait for
    the dashboards (in tests and with CELERY_TASK_ALWAYS_EAGER the task runs at once, on commit).
    """
    ids = sorted({int(pk) for pk in complaint_ids if pk is not None})
    if not ids:
        return
    RollupQueue.objects.bulk_create([RollupQueue(complaint_id=pk) for pk in ids])

    def drain_queued() -> None:
        from .tasks import drain_rollup_queue

        drain_rollup_queue.delay(ids)

    # robust: a failing publish or drain must not fail the request that committed; the sweeper drains the row.
    transaction.on_commit(drain_queued, robust=True)


def drain(complaint_ids: Iterable[int] | None = None, limit: int = 5000) -> dict[str, int]:
    """Sync the queued cases (only those of `complaint_ids`, if given), at most `limit` queue rows.

    Returns {"claimed": queue rows done, "cases": cases synced, "changed": cases whose rows changed}.
    """
    targets = None if complaint_ids is None else {int(pk) for pk in complaint_ids}
    counts = {"claimed": 0, "cases": 0, "changed": 0}
    while counts["claimed"] < limit and targets != set():
        size = min(BATCH, limit - counts["claimed"])
        with transaction.atomic():
            queue = RollupQueue.objects.order_by("id")
            if targets is not None:
                queue = queue.filter(complaint_id__in=sorted(targets))
            claimed = list(queue.select_for_update(skip_locked=True).values_list("id", "complaint_id")[:size])
            if not claimed:
                break
            case_ids = sorted({pk for _, pk in claimed})
            changed, dependents = _sync_batch(case_ids)
            RollupQueue.objects.filter(id__in=[row for row, _ in claimed]).delete()
        counts["claimed"] += len(claimed)
        counts["cases"] += len(case_ids)
        counts["changed"] += changed
        if targets is not None:
            targets |= dependents  # queued in that transaction: sync them too
        if len(claimed) < size and not dependents:
            break
    return counts


def sync_cases(complaint_ids: Iterable[int]) -> dict[str, int]:
    """Bring the rollup rows of these cases up to date now (queued or not); idempotent.

    Returns {"cases": cases synced, "changed": cases whose rows changed} (later cases whose repeat
    flag may have changed are synced too, through the queue).
    """
    ids = sorted({int(pk) for pk in complaint_ids})
    counts = {"cases": len(ids), "changed": 0}
    dependents: set[int] = set()
    for start in range(0, len(ids), BATCH):
        with transaction.atomic():
            changed, more = _sync_batch(ids[start:start + BATCH])
        counts["changed"] += changed
        dependents |= more
    if dependents:
        counts["changed"] += drain(dependents)["changed"]
    return counts


def _cases_with_repeat(ids: list[int]):
    """The cases' values (facts.CASE_FIELDS) and their repeat flag, in one query."""
    earlier = Complaint.objects.filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
        unit_id=OuterRef("unit_id"), category=OuterRef("category"),
        created_at__gte=OuterRef("created_at") - facts.REPEAT_WINDOW,
    )
    return (Complaint.objects.filter(pk__in=ids).annotate(is_repeat=Exists(earlier)).order_by()
            .values_list(*facts.CASE_FIELDS, "is_repeat"))


def _grouped(rows, make) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        value = make(row)
        grouped[value.complaint_id].append(value)
    return grouped


def _dispatches(**where):
    return Dispatch.objects.filter(**where).order_by().values_list(*facts.DISPATCH_FIELDS)


def _surveys(**where):
    return (Survey.objects.filter(purpose__in=facts.CASE_SURVEYS, **where).order_by()
            .values_list(*facts.SURVEY_FIELDS))


def _sync_batch(ids: list[int]) -> tuple[int, set[int]]:
    """Sync these cases (sorted ids) in the current transaction; return (cases changed, dependents queued)."""
    ComplaintFact.objects.bulk_create([ComplaintFact(complaint_id=pk, rows=[]) for pk in ids], ignore_conflicts=True)
    old = {pk: facts.from_json(rows) for pk, rows in ComplaintFact.objects.select_for_update()
           .filter(complaint_id__in=ids).order_by("complaint_id").values_list("complaint_id", "rows")}
    cases = {row[0]: row for row in _cases_with_repeat(ids)}
    dispatches = _grouped(_dispatches(complaint_id__in=ids), facts.DispatchValues._make)
    surveys = _grouped(_surveys(complaint_id__in=ids), facts.SurveyValues._make)

    deltas: dict[tuple, dict[str, int]] = defaultdict(dict)
    stored, moved = [], []
    for pk in ids:
        row = cases.get(pk)
        case = facts.CaseValues._make(row[:-1]) if row else None
        new = facts.case_rows(case, dispatches[pk], surveys[pk], row[-1]) if case else {}
        if new == old.get(pk, {}):
            continue
        for key, counters in old.get(pk, {}).items():
            facts.add(deltas[key], counters, -1)
        for key, counters in new.items():
            facts.add(deltas[key], counters)
        stored.append(ComplaintFact(complaint_id=pk, rows=facts.to_json(new), synced_at=timezone.now()))
        if case and case.unit_id and _case_key(new) != _case_key(old.get(pk, {})):
            moved.append((case.unit_id, case.created_at))
    dependents = _queue_dependents(moved, ids)
    _apply(deltas)
    if stored:
        ComplaintFact.objects.bulk_create(stored, update_conflicts=True, unique_fields=["complaint_id"],
                                          update_fields=["rows", "synced_at"])
    return len(stored), dependents


def _case_key(rows: facts.Rows) -> tuple | None:
    return next((key for key in rows if key[0] == "case"), None)


def _queue_dependents(moved: list[tuple[int, object]], ids: list[int]) -> set[int]:
    """Queue the later cases of the same units, filed within 30 days after a case that moved."""
    if not moved:
        return set()
    window = facts.REPEAT_WINDOW
    later = (Complaint.objects.filter(unit_id__in={unit for unit, _ in moved},
                                      created_at__gte=min(at for _, at in moved),
                                      created_at__lte=max(at for _, at in moved) + window)
             .exclude(pk__in=ids).order_by().values_list("pk", "unit_id", "created_at"))
    dependents = {pk for pk, unit, at in later if any(u == unit and m <= at <= m + window for u, m in moved)}
    RollupQueue.objects.bulk_create([RollupQueue(complaint_id=pk) for pk in sorted(dependents)])
    return dependents


def _apply(deltas: dict[tuple, dict[str, int]]) -> None:
    """Add the deltas to the daily and monthly tables (one upsert per table); drop rows left all zero."""
    for kind, (daily, monthly, _key, _counters) in TABLES.items():
        days: dict[tuple, dict[str, int]] = {}
        months: dict[tuple, dict[str, int]] = defaultdict(dict)
        for key, delta in deltas.items():
            if key[0] == kind and any(delta.values()):
                days[key[1:]] = delta
                facts.add(months[(key[1].replace(day=1), *key[2:])], delta)
        months = {key: delta for key, delta in months.items() if any(delta.values())}
        for model, rows in ((daily, days), (monthly, months)):
            _upsert(model, kind, rows)
            emptied = [key for key, delta in rows.items() if delta.get(PRESENCE[kind], 0) < 0]
            if emptied:
                _delete_empty(model, kind, emptied)


def _period(model) -> str:
    return "day" if model in (DailyComplaintStats, DailyDispatchStats) else "month"


def _upsert(model, kind: str, rows: dict[tuple, dict[str, int]]) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE SET c = t.c + EXCLUDED.c (PostgreSQL and SQLite), keys sorted."""
    if not rows:
        return
    _daily, _monthly, key, counters = TABLES[kind]
    q = connection.ops.quote_name
    columns = [_period(model), *key, *counters]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    update = ", ".join(f"{q(c)} = t.{q(c)} + EXCLUDED.{q(c)}" for c in counters)
    items = sorted(rows.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), ROWS_PER_STATEMENT):
            part = items[start:start + ROWS_PER_STATEMENT]
            params = []
            for k, delta in part:
                params += [connection.ops.adapt_datefield_value(k[0]), *k[1:], *(delta.get(c, 0) for c in counters)]
            cursor.execute(
                f"INSERT INTO {q(model._meta.db_table)} AS t ({', '.join(q(c) for c in columns)}) "
                f"VALUES {', '.join([one] * len(part))} "
                f"ON CONFLICT ({', '.join(q(c) for c in columns[:len(key) + 1])}) DO UPDATE SET {update}",
                params,
            )


def _delete_empty(model, kind: str, keys: list[tuple]) -> None:
    names = (_period(model), *TABLES[kind][2])
    match = Q()
    for k in keys:
        match |= Q(**dict(zip(names, k, strict=True)))
    model.objects.filter(match, **{PRESENCE[kind]: 0}).delete()


# --- rebuild -----------------------------------------------------------------------------------


def _fast_cursor(cursor):
    """On PostgreSQL, the raw psycopg cursor loading timestamps with psycopg's C loader: Django's own
    loader is pure Python and was most of a rebuild's reading time. Values are the same (UTC, aware)."""
    from psycopg import adapters
    from psycopg.postgres import types
    from psycopg.pq import Format

    oid = types["timestamptz"].oid
    cursor.adapters.register_loader(oid, adapters.get_loader(oid, Format.TEXT))
    return cursor


def _rows(queryset, chunk: int = 20_000) -> Iterator[tuple]:
    """The rows of a values_list() query, streamed in chunks (server-side cursor on PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield from queryset.iterator(chunk_size=chunk)
        return
    sql, params = queryset.query.sql_with_params()
    with _fast_cursor(connection.connection.cursor(name=f"rollup_{id(queryset)}")) as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


def _fetch(queryset) -> list[tuple]:
    """All the rows of a values_list() query (with the fast timestamp loader on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        raw = _fast_cursor(cursor.cursor)
        raw.execute(sql, params)
        return raw.fetchall()


def _repeat_ids() -> set[int]:
    """Ids of the repeat cases, in one pass over the cases with a unit sorted by unit, category, time."""
    repeat, previous = set(), (None, None, None)
    query = (Complaint.objects.filter(unit__isnull=False).order_by("unit_id", "category", "created_at", "id")
             .values_list("id", "unit_id", "category", "created_at"))
    for pk, unit, category, created_at in _rows(query, 50_000):
        before = previous[2] if previous[:2] == (unit, category) else None
        if facts.repeats(before, created_at):
            repeat.add(pk)
        previous = (unit, category, created_at)
    return repeat


def _truncate() -> None:
    tables = [m._meta.db_table for m in (RollupQueue, ComplaintFact, *(m for t in TABLES.values() for m in t[:2]))]
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Rows written earlier in this transaction have deferred foreign-key checks pending, which
            # TRUNCATE refuses: run them now, then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE TABLE {', '.join(q(t) for t in tables)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {q(table)}")


def _copy(model, columns: list[str], rows: Iterable[tuple]) -> None:
    """Write rows: COPY on PostgreSQL, bulk_create elsewhere (columns are attnames)."""
    if connection.vendor != "postgresql":
        objs = (model(**dict(zip(columns, row, strict=True))) for row in rows)
        while batch := list(islice(objs, 2000)):
            model.objects.bulk_create(batch)
        return
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {q(model._meta.db_table)} ({', '.join(q(c) for c in columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _fact_rows(chunk: list[tuple[int, list]], now) -> Iterable[tuple]:
    if connection.vendor != "postgresql":
        return ((pk, rows, now) for pk, rows in chunk)
    import json

    return ((pk, json.dumps(rows, separators=(",", ":")), now) for pk, rows in chunk)


def rebuild(progress: Callable[[str], None] | None = None) -> dict[str, int | float]:
    """Empty the rollups, facts and queue and recompute them from every case, in one transaction.

    Returns counts ({"cases", "dispatches", "daily_case_rows", ...}) and "seconds".
    """
    say = progress or (lambda message: None)
    started = time.monotonic()
    index = {kind: {name: i for i, name in enumerate(TABLES[kind][3])} for kind in TABLES}
    sums: dict[str, dict[tuple, list[int]]] = {kind: {} for kind in TABLES}
    counts = {"cases": 0, "dispatches": 0}
    with transaction.atomic():
        _truncate()
        repeat = _repeat_ids()
        say(f"repeat cases: {len(repeat):,}")
        now, last = timezone.now(), 0
        while True:
            chunk = _fetch(Complaint.objects.filter(pk__gt=last).order_by("pk").values_list(*facts.CASE_FIELDS)
                           [:REBUILD_CHUNK])
            if not chunk:
                break
            first, last = chunk[0][0], chunk[-1][0]
            dispatches = _grouped(_fetch(_dispatches(complaint_id__gte=first, complaint_id__lte=last)),
                                  facts.DispatchValues._make)
            surveys = _grouped(_fetch(_surveys(complaint_id__gte=first, complaint_id__lte=last)),
                               facts.SurveyValues._make)
            stored = []
            for row in chunk:
                case = facts.CaseValues._make(row)
                rows = facts.case_rows(case, dispatches.get(case.id, ()), surveys.get(case.id, ()), case.id in repeat)
                for key, counters in rows.items():
                    kind, positions = key[0], index[key[0]]
                    acc = sums[kind].get(key[1:])
                    if acc is None:
                        acc = sums[kind][key[1:]] = [0] * len(positions)
                    for name, n in counters.items():
                        acc[positions[name]] += n
                stored.append((case.id, facts.to_json(rows)))
                counts["dispatches"] += len(dispatches.get(case.id, ()))
            _copy(ComplaintFact, ["complaint_id", "rows", "synced_at"], _fact_rows(stored, now))
            counts["cases"] += len(chunk)
            say(f"cases: {counts['cases']:,}")
        for kind, (daily, monthly, key, counters) in TABLES.items():
            months: dict[tuple, list[int]] = {}
            for k, values in sums[kind].items():
                acc = months.setdefault((k[0].replace(day=1), *k[1:]), [0] * len(values))
                for i, n in enumerate(values):
                    acc[i] += n
            for model, rows in ((daily, sums[kind]), (monthly, months)):
                _copy(model, [_period(model), *key, *counters], ((*k, *v) for k, v in sorted(rows.items())))
                counts[f"{'daily' if model is daily else 'monthly'}_{kind}_rows"] = len(rows)
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts

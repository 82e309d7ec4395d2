"""Seed each scale into the bench's own database, time every scenario, report ratios.

Absolute times depend on the machine; the ratios (subject ÷ baseline at one scale, and
district ÷ demo for one query) are what to compare between runs. Nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = os.environ.get("BENCH_DB") or "xwg_bench"
DEFAULT_REPEAT = 25
WARMUP = 2


def use_own_database() -> tuple[str, str | None]:
    """Point DATABASE_URL at a fresh bench database before Django reads the settings.

    PostgreSQL (from DATABASE_URL): drop and create `xwg_bench` (env BENCH_DB) on the same server.
    Otherwise: a SQLite file in a temporary folder. Return (label, folder to remove or None).
    """
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        import psycopg

        admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
        return f"PostgreSQL {parts.hostname}:{parts.port or 5432}/{BENCH_DB}", None
    folder = tempfile.mkdtemp(prefix="xwg-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    return f"SQLite {folder}/bench.sqlite3", folder


def _timed(fn, mutates: bool):
    from django.db import transaction

    if not mutates:
        started = time.perf_counter()
        value = fn()
        return value, time.perf_counter() - started
    with transaction.atomic():
        started = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return value, elapsed


def measure(scenario, ctx, repeat: int) -> dict:
    """Prepare the scenario, then measure what it returned (a Pair, Loads or Stages)."""
    from .scenarios import Loads, Stages

    prepared = scenario.prepare(ctx)
    if isinstance(prepared, Loads):
        return measure_throughput(prepared, rounds=scenario.repeat or repeat)
    if isinstance(prepared, Stages):
        return measure_stages(scenario, prepared, repeat)
    return measure_pair(scenario, prepared, repeat)


def measure_pair(scenario, pair, repeat: int) -> dict:
    """Warm up, check both sides agree, then alternate baseline and subject `repeat` times."""
    for _ in range(WARMUP if scenario.warmup is None else max(scenario.warmup, 1)):
        expected, _ = _timed(pair.baseline, scenario.mutates)
        actual, _ = _timed(pair.subject, scenario.mutates)
    if scenario.same_result and expected != actual:
        raise AssertionError(f"subject and baseline disagree: {actual!r:.200} != {expected!r:.200}")
    base, subj = [], []
    for _ in range(scenario.repeat or repeat):
        base.append(_timed(pair.baseline, scenario.mutates)[1])
        subj.append(_timed(pair.subject, scenario.mutates)[1])
    baseline_ms = statistics.median(base) * 1000
    subject_ms = statistics.median(subj) * 1000
    return {
        "baseline_ms": round(baseline_ms, 3),
        "subject_ms": round(subject_ms, 3),
        "ratio": round(subject_ms / baseline_ms, 3),
        "baseline_min_ms": round(min(base) * 1000, 3),
        "subject_min_ms": round(min(subj) * 1000, 3),
        "runs": len(base),
    }


def _time_calls(call, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def measure_stages(scenario, stages, repeat: int) -> dict:
    """Set up the baseline stage and time its call, then the same for the subject stage."""
    runs = scenario.repeat or repeat
    warmup = WARMUP if scenario.warmup is None else scenario.warmup
    row: dict = {}
    for side, stage in (("baseline", stages.baseline), ("subject", stages.subject)):
        started = time.perf_counter()
        facts = stage.setup() or {}
        row[f"{side}_setup"] = {**facts, "seconds": round(time.perf_counter() - started, 1)}
        print(f"    {side} stage ready: {_facts(row[f'{side}_setup'])}", flush=True)
        times = _time_calls(stage.call, runs, warmup)
        row[f"{side}_ms"] = round(statistics.median(times) * 1000, 3)
        row[f"{side}_min_ms"] = round(min(times) * 1000, 3)
    row["ratio"] = round(row["subject_ms"] / row["baseline_ms"], 3)
    row["runs"] = runs
    return row


def measure_throughput(loads, rounds: int) -> dict:
    """Run each side's virtual users for the same time, `rounds` times in turn; median requests/s.

    Refuses a run in which any request failed: a throughput of errors says nothing.
    """
    from .http import run_load
    from .web import load_seconds

    seconds = load_seconds()
    sides = {"baseline": loads.baseline, "subject": loads.subject, **loads.references}
    results: dict[str, list] = {name: [] for name in sides}
    for users in sides.values():  # warm-up: workers' imports, connections, caches
        run_load(users, min(seconds, 2.0))
    for _ in range(rounds):
        for name, users in sides.items():
            result = run_load(users, seconds)
            if result.errors:
                raise AssertionError(f"{name}: {result.errors} failed requests, first: {result.first_error}")
            results[name].append(result)

    def summary(name: str) -> dict:
        median = sorted(results[name], key=lambda r: r.rps)[len(results[name]) // 2]  # the median round
        return {"rps": round(median.rps, 1), "p50_ms": round(median.percentile_ms(0.5), 2),
                "p95_ms": round(median.percentile_ms(0.95), 2), "requests": median.requests}

    base, subj = summary("baseline"), summary("subject")
    row = {
        "unit": "req/s", "baseline_rps": base["rps"], "subject_rps": subj["rps"],
        "ratio": round(subj["rps"] / base["rps"], 3), "baseline": base, "subject": subj,
        "clients": len(loads.subject), "load_seconds": seconds, "runs": rounds, "references": {},
    }
    for name in loads.references:
        ref = summary(name)
        row["references"][name] = {**ref, "baseline_ratio": round(base["rps"] / ref["rps"], 3),
                                   "subject_ratio": round(subj["rps"] / ref["rps"], 3)}
    return row


def _facts(facts: dict) -> str:
    return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in facts.items())


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in
                       enumerate(zip(row, widths, strict=True))) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scales", default=os.environ.get("BENCH_SCALES", "demo,district"),
                        help="comma-separated scales (default: env BENCH_SCALES, else demo,district)")
    parser.add_argument("--only", default="", help="comma-separated scenario names (default: all)")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed runs per side (default 25)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the demo data")
    parser.add_argument("--output", default=None, help="results file (default var/bench-results.json)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    db_label, folder = use_own_database()
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    from governance import demo

    from .scenarios import SCENARIOS, Context

    seed = demo.DEFAULT_SEED if args.seed is None else args.seed
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    wanted = [n.strip() for n in args.only.split(",") if n.strip()] or list(SCENARIOS)
    names = [n for n in SCENARIOS if n in wanted]  # always in SCENARIOS order: later ones may reuse data
    unknown = [n for n in wanted if n not in SCENARIOS] + [s for s in scales if s not in demo.SCALES]
    if unknown:
        parser.error(f"unknown scenario or scale: {', '.join(unknown)}")

    print(f"bench database: {db_label}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    report: dict = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": connection.vendor,
        "database_version": ".".join(map(str, connection.Database.sqlite_version_info))
        if connection.vendor == "sqlite" else str(connection.pg_version),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "seed": seed,
        "repeat": args.repeat,
        "scales": {},
        "results": [],
    }
    try:
        for i, scale in enumerate(scales):
            if i:
                call_command("flush", interactive=False, verbosity=0)
                ContentType.objects.clear_cache()
            print(f"seeding {scale} …", flush=True)
            started = time.perf_counter()
            counts = demo.seed(scale=scale, seed=seed)
            seed_seconds = time.perf_counter() - started
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh planner statistics, as in a database that has been running
            report["scales"][scale] = {"seed_seconds": round(seed_seconds, 1), "counts": counts}
            print(f"  {seed_seconds:.1f} s: {counts['compounds']:,} compounds, {counts['units']:,} units", flush=True)
            ctx = Context(scale=scale, seed=seed, counts=counts)
            try:
                for name in names:
                    scenario = SCENARIOS[name]
                    if scenario.last_scale_only and scale != scales[-1]:
                        continue
                    row = {"scenario": name, "scale": scale, "description": scenario.description,
                           "baseline": scenario.baseline_label, "subject": scenario.subject_label}
                    if scenario.postgresql_only and connection.vendor != "postgresql":
                        row["skipped"] = "needs PostgreSQL (set DATABASE_URL)"
                        report["results"].append(row)
                        print(f"  {name}: skipped, {row['skipped']}", flush=True)
                        continue
                    print(f"  {name} …", flush=True)
                    started = time.perf_counter()
                    try:
                        row.update(measure(scenario, ctx, args.repeat))
                    except Exception as exc:  # a broken scenario must not hide the others' figures
                        row["error"] = f"{type(exc).__name__}: {exc}"
                    row["seconds"] = round(time.perf_counter() - started, 1)
                    report["results"].append(row)
                    if scenario.mutates:
                        refresh_statistics(connection)
                    shown = row.get("error") or f"ratio {row['ratio']:.2f}"
                    print(f"  {name}: {shown} ({row['seconds']} s)", flush=True)
            finally:
                ctx.close()
    finally:
        if folder and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)

    report["cross_scale"] = _cross_scale(report["results"], scales)
    output = Path(args.output) if args.output else Path(settings.BASE_DIR) / "var" / "bench-results.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _print_report(report, scales)
    print(f"\nwritten to {output}")
    return report


def refresh_statistics(connection) -> None:
    """Clear what rolled-back writes leave behind (dead rows inflate the planner's row estimates),
    so the scenarios after a mutating one, and the kept database, plan as right after seeding."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _cross_scale(results: list[dict], scales: list[str]) -> list[dict]:
    """For each scenario: how much slower the larger scale is than the first (same query, same scope size)."""
    if len(scales) < 2:
        return []
    by_key = {(r["scenario"], r["scale"]): r for r in results if "subject_ms" in r}
    rows = []
    first = scales[0]
    for scale in scales[1:]:
        for (name, s), r in by_key.items():
            if s != scale or (name, first) not in by_key:
                continue
            small = by_key[(name, first)]
            rows.append({
                "scenario": name, "from": first, "to": scale,
                "subject_growth": round(r["subject_ms"] / small["subject_ms"], 3),
                "baseline_growth": round(r["baseline_ms"] / small["baseline_ms"], 3),
            })
    return rows


def _print_report(report: dict, scales: list[str]) -> None:
    print(f"\n{report['database']} {report['database_version']}, {report['cpus']} CPUs, "
          f"median of {report['repeat']} runs; ratio = subject ÷ baseline")
    for scale, info in report["scales"].items():
        print(f"  seed {scale}: {info['seed_seconds']} s")
    rows = [["scenario", "scale", "baseline", "subject", "unit", "ratio"]]
    references = []
    for r in report["results"]:
        if "error" in r or "skipped" in r:
            rows.append([r["scenario"], r["scale"], "-", "-", "", "error" if "error" in r else "skipped"])
        elif r.get("unit") == "req/s":
            rows.append([r["scenario"], r["scale"], f"{r['baseline_rps']:.1f}", f"{r['subject_rps']:.1f}",
                         f"req/s ({r['clients']} clients)", f"{r['ratio']:.2f}"])
            references += [(r["scenario"], name, ref) for name, ref in r["references"].items()]
        else:
            rows.append([r["scenario"], r["scale"], f"{r['baseline_ms']:.2f}", f"{r['subject_ms']:.2f}", "ms",
                         f"{r['ratio']:.2f}"])
    print()
    print(_table(rows))
    for scenario, name, ref in references:
        print(f"  {scenario} against the {name} ({ref['rps']:.1f} req/s): "
              f"baseline {ref['baseline_ratio']:.2f}, subject {ref['subject_ratio']:.2f}")
    if report["cross_scale"]:
        rows = [["scenario", "scales", "subject growth", "baseline growth"]]
        for r in report["cross_scale"]:
            rows.append([r["scenario"], f"{r['from']}→{r['to']}", f"{r['subject_growth']:.2f}", f"{r['baseline_growth']:.2f}"])
        print()
        print(_table(rows))
    errors = [r for r in report["results"] if "error" in r]
    for r in errors:
        print(f"\n{r['scenario']} ({r['scale']}): {r['error']}", file=sys.stderr)

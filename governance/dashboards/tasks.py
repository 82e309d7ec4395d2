"""Draining the rollup queue: right after each change (sent on commit) and by the beat sweeper for what is left."""

from celery import shared_task

from . import rollup


@shared_task(name="governance.dashboards.tasks.drain_rollup_queue")
def drain_rollup_queue(complaint_ids: list[int] | None = None) -> dict[str, int]:
    """Sync queued cases: those just changed (sent on commit by rollup.enqueue), or, run every sweep by
    beat without ids, whatever is still queued (RollupQueue), a bounded batch at a time."""
    return rollup.drain(complaint_ids)

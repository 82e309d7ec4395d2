from celery import shared_task

from .roster import roster_import_run


@shared_task(name="residents.tasks.run_roster_import")
def run_roster_import(import_id: int) -> str:
    """Validate and apply one roster import; re-running a finished import does nothing."""
    return roster_import_run(import_id=import_id)

from celery import shared_task

from . import escalation


@shared_task(name="complaints.tasks.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """Run every minute by beat: escalate overdue steps once, close unconfirmed cases."""
    return escalation.escalations_sweep()

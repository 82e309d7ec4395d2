from celery import shared_task

from . import escalation
from .surveys import scheduling


@shared_task(name="complaints.tasks.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """Run every minute by beat: escalate overdue steps once, close unconfirmed cases."""
    return escalation.escalations_sweep()


@shared_task(name="complaints.tasks.sweep_surveys")
def sweep_surveys() -> dict[str, int]:
    """Run every sweep by beat: invite, remind and expire follow-up surveys (complaints.surveys.scheduling)."""
    return scheduling.surveys_sweep()

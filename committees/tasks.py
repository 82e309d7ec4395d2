from celery import shared_task

from .services import meetings_close_due


@shared_task(name="committees.tasks.close_due_votes")
def close_due_votes() -> int:
    """Run every minute by beat: close each vote whose deadline passed and publish its result, once."""
    return meetings_close_due()

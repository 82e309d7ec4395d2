from celery import shared_task

from . import outbox


@shared_task(name="core.tasks.deliver_due_messages")
def deliver_due_messages() -> dict[str, int]:
    """Run by beat every sweep: send due SMS and e-mail from the outbox (see core.outbox for the guarantees)."""
    return outbox.deliver_due()

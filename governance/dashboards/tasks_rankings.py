"""Celery task of the monthly red and black lists (rankings.py)."""

from celery import shared_task

from . import rankings


@shared_task(name="governance.dashboards.tasks_rankings.publish_monthly_rankings")
def publish_monthly_rankings() -> int:
    """Run every sweep by beat: publish last month's lists of each district once (idempotent); return how many."""
    return rankings.publish_due()

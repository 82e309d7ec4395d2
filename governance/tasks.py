from celery import shared_task

from . import services
from .dashboards import tasks_rankings  # noqa: F401  (registers the rankings task with the worker)
from .dashboards.tasks import drain_rollup_queue  # noqa: F401 (autodiscovery finds only <app>.tasks)


@shared_task(name="governance.tasks.sync_role_grants")
def sync_role_grants() -> dict[str, int]:
    return services.role_grants_sync()

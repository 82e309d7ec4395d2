from celery import shared_task

from . import services


@shared_task(name="governance.tasks.sync_role_grants")
def sync_role_grants() -> dict[str, int]:
    return services.role_grants_sync()

"""The rollup queue's beat sweeper on a real Celery worker and beat, over Redis, against PostgreSQL.

A case changed and committed, but the process died before its on-commit drain: the queue row is left.
Beat (every second here) runs governance.dashboards.tasks.drain_rollup_queue on the worker, which syncs
the case and empties the queue.
"""

import random
import time

import pytest

from complaints.models import Complaint, Status
from governance.dashboards import rollup
from governance.dashboards.models import DailyComplaintStats, RollupQueue

from . import test_role_sweeper_celery as role_sweeper
from .test_rollups import Life, snapshot, world  # noqa: F401 - world is a fixture

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


celery_env = role_sweeper.celery_env  # the same fixture: workers and beat on Redis against the test database


def test_beat_drains_a_queue_row_left_by_a_lost_drain(world, celery_env, tmp_path):  # noqa: F811
    case = Life(world, random.Random(1)).file(world["compounds"][0])  # drained on commit
    assert DailyComplaintStats.objects.get().rejected == 0
    # The change committed with its queue row; the drain after the commit never ran.
    Complaint.objects.filter(pk=case.pk).update(status=Status.REJECTED)
    RollupQueue.objects.create(complaint_id=case.pk)
    celery_env("worker", "rollup")
    celery_env("beat")

    deadline = time.monotonic() + 60
    while RollupQueue.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not RollupQueue.objects.exists(), (tmp_path / "worker-rollup.log").read_text()[-2000:]
    assert DailyComplaintStats.objects.get().rejected == 1
    kept = snapshot()
    rollup.rebuild()
    assert snapshot() == kept

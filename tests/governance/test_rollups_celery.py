"""The rollup queue's beat sweeper on a real Celery worker and beat, over Redis, against PostgreSQL.

A case changed and committed, but the process died before its on-commit drain: the queue row is left.
Beat (every second here) runs governance.dashboards.tasks.drain_rollup_queue on the worker, which syncs
the case and empties the queue.
"""

import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from complaints.models import Complaint, Status
from governance.dashboards import rollup
from governance.dashboards.models import DailyComplaintStats, RollupQueue

from ..conftest import require
from .test_rollups import Life, snapshot, world  # noqa: F401 - world is a fixture

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def _redis_ok() -> bool:
    if not settings.REDIS_URL:
        return False
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def worker_and_beat(tmp_path):
    """Start one worker and beat on a queue of their own; stop them after the test."""
    require(connection.vendor == "postgresql", "the Celery test needs PostgreSQL (set DATABASE_URL)")
    require(_redis_ok(), "the Celery test needs Redis (set REDIS_URL)")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": f"xwg-test-{uuid.uuid4().hex[:8]}",
        "SWEEP_SECONDS": "1",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"),
    }
    started = []
    for kind, extra in (("worker", ["--concurrency", "1", "--hostname", "rollup@%h", "--without-gossip",
                                    "--without-mingle"]), ("beat", [])):
        log = open(tmp_path / f"{kind}.log", "ab")  # noqa: SIM115 - closed with the process
        started.append(subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", kind, "--loglevel", "INFO",
                                         *extra], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    yield tmp_path
    for proc in started:
        proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_beat_drains_a_queue_row_left_by_a_lost_drain(world, worker_and_beat):  # noqa: F811
    case = Life(world, random.Random(1)).file(world["compounds"][0])  # drained on commit
    assert DailyComplaintStats.objects.get().rejected == 0
    # The change committed with its queue row; the drain after the commit never ran.
    Complaint.objects.filter(pk=case.pk).update(status=Status.REJECTED)
    RollupQueue.objects.create(complaint_id=case.pk)

    deadline = time.monotonic() + 60
    while RollupQueue.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not RollupQueue.objects.exists(), (worker_and_beat / "worker.log").read_text()[-2000:]
    assert DailyComplaintStats.objects.get().rejected == 1
    kept = snapshot()
    rollup.rebuild()
    assert snapshot() == kept

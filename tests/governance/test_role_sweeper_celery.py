"""The beat sweeper on a real Celery worker and beat, over Redis, against PostgreSQL.

The role ends a few seconds into the test; beat fires every second; two workers race. The grant must be
revoked exactly once (one audit row), and a restart of the worker changes nothing.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from core.models import AuditEvent
from governance import services
from governance.models import Compound, Role, RoleAssignment

from ..conftest import require
from ..factories import CommunityFactory, CompoundFactory, UserFactory

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
def celery_env(tmp_path):
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
    started: list[subprocess.Popen] = []

    def start(kind: str, name: str = "") -> subprocess.Popen:
        cmd = [sys.executable, "-m", "celery", "-A", "config", kind, "--loglevel", "INFO"]
        if kind == "worker":
            cmd += ["--concurrency", "2", "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle"]
        log = open(tmp_path / f"{kind}-{name or 'beat'}.log", "ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_for(predicate, timeout: float = 45.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_ended_role_is_revoked_once_by_the_beat_sweeper(celery_env):
    community = CommunityFactory()
    compound = CompoundFactory(community=community)
    root = UserFactory(is_superuser=True)
    staff = UserFactory()
    assignment = services.role_assignment_create(
        user=staff, role=Role.COMMUNITY_STAFF, scope=community, actor=root,
        end=timezone.now() + timedelta(seconds=4),
    )
    future = services.role_assignment_create(
        user=UserFactory(), role=Role.COMMUNITY_STAFF, scope=community, actor=root,
        start=timezone.now() + timedelta(seconds=3),
    )
    assert list(Compound.objects.visible_to(staff)) == [compound]
    assert not future.granted

    celery_env("worker", "w1")
    celery_env("worker", "w2")
    beat = celery_env("beat")

    def revoked() -> bool:
        return not RoleAssignment.objects.get(pk=assignment.pk).granted

    assert wait_for(revoked), "the sweeper did not revoke the ended role"
    assert wait_for(lambda: RoleAssignment.objects.get(pk=future.pk).granted), "the future role was not granted"
    assert list(Compound.objects.visible_to(staff)) == []
    assert list(Compound.objects.visible_to(future.user)) == [compound]

    # More sweeps, and a restarted worker, change nothing: exactly one revocation and one grant.
    time.sleep(3)
    beat.terminate()
    beat.wait(timeout=20)
    celery_env("worker", "w3")
    celery_env("beat")
    time.sleep(4)
    revocations = AuditEvent.objects.filter(action="role.revoked", target_id=str(assignment.pk))
    grants = AuditEvent.objects.filter(action="role.granted", target_id=str(future.pk))
    assert revocations.count() == 1
    assert grants.count() == 1

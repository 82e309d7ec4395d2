"""1,000 due follow-up surveys through a real Celery worker and beat on a private Redis, against PostgreSQL:
the survey sweeper invites them (inbox + SMS in the outbox) and the outbox sweeper sends the SMS. The
worker is SIGKILLed mid-batch (one SMS sent, its row not yet marked) and restarted, and Redis is restarted:
afterwards every survey is invited once, every SMS delivered once, and the SMS provider's own record
shows 1,000 distinct sends and no second one.

The machinery (private redis-server, the slow file SMS backend that can hold a send, the kill) is the
outbox test's (tests/core/test_outbox_celery.py).
"""

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from complaints.models import Complaint, Survey, SurveyTemplate
from core.models import Notification, OutboxMessage

from ..conftest import require
from ..core.test_outbox_celery import _kill_tree, outbox_env, private_redis  # noqa: F401 - fixtures
from ..factories import CompoundFactory, UserFactory
from ..governance import test_role_sweeper_celery as role_sweeper
from .test_surveys import put_back_default_templates

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
celery_env = role_sweeper.celery_env
wait_for = role_sweeper.wait_for
TOTAL = 1000


@pytest.fixture
def survey_env(outbox_env, monkeypatch):  # noqa: F811 - the fixture imported above
    """Small survey batches too, so the sweep of 1,000 takes many transactions (read by the workers)."""
    monkeypatch.setenv("SURVEY_SWEEP_BATCH", "10")
    return outbox_env


def due_followups(n: int) -> set[int]:
    """n closed cases, each with its follow-up survey due a day ago (as the closing would have scheduled it)."""
    put_back_default_templates()
    compound = CompoundFactory()
    people = UserFactory.create_batch(20)
    now = timezone.now()
    Complaint.objects.bulk_create([
        Complaint(number=f"TS20260101{i:04d}", compound=compound, place_kind="public_area", category="other",
                  title=f"第{i}号问题", description="已办结", reporter=people[i % 20], filed_by=people[i % 20],
                  status="closed", answer="solved", rating="satisfied", closed_at=now - timedelta(days=8))
        for i in range(n)
    ])
    template = SurveyTemplate.objects.get(key="case-followup")
    questions = template.snapshot()
    Survey.objects.bulk_create([
        Survey(template=template, questions=questions, recipient_id=case.reporter_id, purpose="case_followup",
               complaint=case, invite_at=now - timedelta(days=1), remind_at=now + timedelta(days=2),
               expires_at=now + timedelta(days=13))
        for case in Complaint.objects.filter(compound=compound)
    ])
    return set(Survey.objects.values_list("pk", flat=True))


def test_a_thousand_due_followups_are_delivered_once_through_a_killed_worker_and_a_redis_restart(survey_env, celery_env):
    ids = due_followups(TOTAL)
    assert len(ids) == TOTAL
    invited = Survey.objects.filter(status="invited")
    sms = OutboxMessage.objects.filter(channel="sms", key__startswith="survey:", key__endswith=":invite")
    delivered = sms.filter(status=OutboxMessage.Status.DELIVERED)

    worker = celery_env("worker", "w1")
    celery_env("beat")
    assert wait_for(lambda: delivered.exists(), timeout=60), "the sweepers did not start"
    assert len(redis.Redis.from_url(survey_env.redis.url).client_list()) >= 2  # they really use this Redis

    # Kill the worker in the worst place: an SMS sent, its row not yet marked delivered.
    (survey_env.sms_dir / "hold").touch()
    assert wait_for(lambda: any(survey_env.sms_dir.glob("held-*")), timeout=30), "no send was held"
    time.sleep(0.5)
    _kill_tree(worker.pid)
    worker.wait(timeout=10)
    (survey_env.sms_dir / "hold").unlink()
    in_flight = set(sms.filter(status=OutboxMessage.Status.SENDING).values_list("pk", flat=True))
    invited_at_kill = invited.count()
    assert in_flight, "the worker was not killed in the middle of a batch"
    assert delivered.count() < TOTAL
    workers = [celery_env("worker", "w2")]

    def supervised(done):
        """Start a fresh worker when one exits (Celery's worker may exit on a broker restart), as a supervisor would."""

        def check() -> bool:
            if workers[-1].poll() is not None:
                workers.append(celery_env("worker", f"w{len(workers) + 2}"))
            return done()

        return check

    assert wait_for(supervised(lambda: delivered.count() >= 500), timeout=60), "the new worker did not carry on"
    survey_env.redis.restart()
    assert delivered.count() < TOTAL, "the batch finished before Redis was restarted"
    assert wait_for(supervised(lambda: delivered.count() >= TOTAL and invited.count() >= TOTAL), timeout=90), (
        f"{invited.count()} invited, {delivered.count()} delivered: {Counter(sms.values_list('status', flat=True))}"
    )

    # The surveys: every one invited, once; the inbox got one message each.
    assert set(invited.values_list("pk", flat=True)) == ids
    assert Notification.objects.filter(key__startswith="survey:", key__endswith=":invite").count() == TOTAL
    # The outbox: one SMS per survey, all delivered; those the killed worker held were claimed again.
    assert sorted(sms.values_list("key", flat=True)) == sorted(f"survey:{pk}:invite" for pk in ids)
    assert delivered.count() == TOTAL
    assert sms.filter(pk__in=in_flight, attempts__gte=2).count() == len(in_flight)
    # The provider's record of every call: 1,000 distinct sends, none twice; repeats were only suppressed.
    calls = [line.split("\t", 2)[:2] for line in survey_env.sms_log.read_text(encoding="utf-8").splitlines()]
    sent = Counter(key for key, outcome in calls if outcome == "sent")
    assert len(sent) == TOTAL and max(sent.values()) == 1
    assert set(sent) == {f"outbox-{pk}" for pk in sms.values_list("pk", flat=True)}
    repeats = [key for key, outcome in calls if outcome == "duplicate"]
    assert set(repeats) <= {f"outbox-{pk}" for pk in in_flight}
    print(f"killed with {invited_at_kill} of {TOTAL} invited and {len(in_flight)} SMS in flight; "
          f"{len(repeats)} repeat sends suppressed; {len(workers) - 1} worker(s) restarted after the Redis restart")


def test_make_run_without_redis_invites_and_texts_through_the_embedded_broker(tmp_path):
    """`make run` on a laptop: no Redis, kombu's file-system broker; beat's schedule carries sweep_surveys."""
    assert settings.CELERY_BEAT_SCHEDULE["sweep-surveys"]["task"] == "complaints.tasks.sweep_surveys"
    require(connection.vendor == "postgresql", "the Celery test needs PostgreSQL (set DATABASE_URL)")
    ids = due_followups(3)
    db = connection.settings_dict
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "REDIS_URL": "",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_QUEUE": f"xwg-test-{uuid.uuid4().hex[:8]}", "SWEEP_SECONDS": "1", "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "beat-schedule"), "SMS_QUIET_HOURS": "",
        "SMS_BACKEND": "core.channels.FileSmsBackend", "SMS_FILE_DIR": str(tmp_path / "sms"),
    }
    started = []
    for kind in ("worker", "beat"):
        cmd = [sys.executable, "-m", "celery", "-A", "config", kind, "--loglevel", "INFO"]
        if kind == "worker":
            cmd += ["--concurrency", "1", "--hostname", f"fs-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle"]
        log = open(tmp_path / f"{kind}.log", "ab")  # noqa: SIM115 - closed with the process
        started.append(subprocess.Popen(cmd, cwd=role_sweeper.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    sms = OutboxMessage.objects.filter(channel="sms", key__endswith=":invite", status=OutboxMessage.Status.DELIVERED)
    try:
        assert wait_for(lambda: sms.count() >= 3, timeout=60), (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            proc.wait(timeout=20)
    assert set(Survey.objects.filter(status="invited").values_list("pk", flat=True)) == ids
    assert "filesystem" in (tmp_path / "worker.log").read_text()

"""1,000 SMS through a real Celery worker and beat over Redis, against PostgreSQL: the worker is SIGKILLed
mid-batch and Redis is restarted mid-way, and still every message is delivered, and none twice.

"Delivered" is counted twice: in the outbox (status) and in the SMS backend's own file, where every call to
the provider is a line, so a second real send would show.

Redis here is a server of the test's own (same options as .ci/run, on a free port): restarting the shared one
would pull the broker from under every other test run on the machine.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.utils import timezone

from core.channels import FileSmsBackend
from core.models import OutboxMessage

from ..conftest import require
from ..factories import UserFactory
from ..governance import test_role_sweeper_celery as role_sweeper

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
celery_env = role_sweeper.celery_env  # the same fixture: workers and beat on Redis against the test database
wait_for = role_sweeper.wait_for
TOTAL = 1000


class SlowFileSms(FileSmsBackend):
    """The file backend with a provider's latency. While a file "hold" exists, a worker stops right after a
    send, before the outbox row is marked, and says so with a file "held-<pid>": the test kills it there."""

    def send(self, *, key, phone, text):
        time.sleep(0.02)
        fresh = super().send(key=key, phone=phone, text=text)
        if (self.path.parent / "hold").exists():
            (self.path.parent / f"held-{os.getpid()}").touch()
            time.sleep(120)
        return fresh


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def private_redis(settings, tmp_path):
    """A Redis server for this test alone; `restart()` stops it without saving and starts it empty."""
    server = shutil.which("redis-server")
    require(server is not None, "the outbox Celery test needs redis-server on PATH")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    cmd = [
        server, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
        "--dir", str(tmp_path), "--logfile", str(tmp_path / "redis.log"), "--pidfile", str(tmp_path / "redis.pid"),
    ]

    def start() -> None:
        subprocess.run(cmd, check=True)
        assert wait_for(lambda: _ping(url), timeout=10), "redis-server did not start"

    def stop() -> None:
        try:
            redis.Redis.from_url(url).shutdown(nosave=True)
        except redis.RedisError:
            pass  # the server closes the connection as it goes
        assert wait_for(lambda: not _ping(url), timeout=10), "redis-server did not stop"

    def restart(down_for: float = 2.0) -> None:
        stop()
        time.sleep(down_for)
        start()

    start()
    settings.REDIS_URL = url  # read by celery_env for the workers and beat
    yield SimpleNamespace(url=url, restart=restart)
    if _ping(url):
        stop()


@pytest.fixture
def outbox_env(private_redis, monkeypatch, tmp_path):
    """Settings for the worker processes (celery_env copies os.environ): the file backend, short lease."""
    monkeypatch.setenv("SMS_BACKEND", f"{__name__}.SlowFileSms")
    monkeypatch.setenv("SMS_FILE_DIR", str(tmp_path / "sms"))
    monkeypatch.setenv("SMS_QUIET_HOURS", "")  # the test may run at night in Shanghai
    monkeypatch.setenv("OUTBOX_BATCH", "10")
    monkeypatch.setenv("OUTBOX_LEASE_SECONDS", "5")
    (tmp_path / "sms").mkdir()
    return SimpleNamespace(redis=private_redis, sms_dir=tmp_path / "sms", sms_log=tmp_path / "sms" / "sms.log")


def _kill_tree(pid: int) -> None:
    """SIGKILL a worker and its pool processes at once (the ones actually sending)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    for victim in [pid, *children]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_thousand_sms_are_delivered_once_through_a_killed_worker_and_a_redis_restart(outbox_env, celery_env):
    users = UserFactory.create_batch(10)
    now = timezone.now()
    OutboxMessage.objects.bulk_create([
        OutboxMessage(recipient=users[i % 10], channel="sms", key=f"survey:{i}:invite", address=users[i % 10].phone,
                      body=f"请填写第{i}号回访问卷", next_attempt_at=now)
        for i in range(TOTAL)
    ])
    ids = set(OutboxMessage.objects.values_list("pk", flat=True))
    delivered = OutboxMessage.objects.filter(status=OutboxMessage.Status.DELIVERED)

    worker = celery_env("worker", "w1")
    celery_env("beat")
    assert wait_for(lambda: delivered.count() >= 150, timeout=60), "the sweeper did not start delivering"
    assert len(redis.Redis.from_url(outbox_env.redis.url).client_list()) >= 2  # they really use this Redis

    # Kill the worker in the worst place: a message sent, its row not yet marked delivered.
    (outbox_env.sms_dir / "hold").touch()
    assert wait_for(lambda: any(outbox_env.sms_dir.glob("held-*")), timeout=30), "no send was held"
    time.sleep(0.5)
    _kill_tree(worker.pid)
    worker.wait(timeout=10)
    (outbox_env.sms_dir / "hold").unlink()
    in_flight = set(OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING).values_list("pk", flat=True))
    assert in_flight, "the worker was not killed in the middle of a batch"
    assert delivered.count() < TOTAL
    workers = [celery_env("worker", "w2")]

    def supervised(target: int):
        """Like a process supervisor: Celery 5.7's worker may exit on a broker restart ("Unrecoverable
        error" while restoring unacked messages); start a fresh one then, as systemd or Docker would."""

        def reached() -> bool:
            if workers[-1].poll() is not None:
                workers.append(celery_env("worker", f"w{len(workers) + 2}"))
            return delivered.count() >= target

        return reached

    assert wait_for(supervised(500), timeout=60), "the new worker did not carry on"
    outbox_env.redis.restart()
    assert delivered.count() < TOTAL, "the batch finished before Redis was restarted"
    assert wait_for(supervised(TOTAL), timeout=90), (
        f"only {delivered.count()} of {TOTAL} delivered: "
        f"{Counter(OutboxMessage.objects.values_list('status', flat=True))}"
    )

    # The outbox: all delivered; the ones the killed worker held were claimed again after their lease.
    assert set(delivered.values_list("pk", flat=True)) == ids
    assert OutboxMessage.objects.filter(pk__in=in_flight, attempts__gte=2).count() == len(in_flight)
    # The provider's record of every call: each message sent exactly once; repeats were only suppressed.
    calls = [line.split("\t", 2)[:2] for line in outbox_env.sms_log.read_text(encoding="utf-8").splitlines()]
    sent = Counter(key for key, outcome in calls if outcome == "sent")
    assert len(sent) == TOTAL and max(sent.values()) == 1
    assert set(sent) == {f"outbox-{pk}" for pk in ids}
    repeats = [key for key, outcome in calls if outcome == "duplicate"]
    assert repeats and set(repeats) <= {f"outbox-{pk}" for pk in in_flight}  # the held sends came again, folded
    print(f"killed with {len(in_flight)} in flight; {len(repeats)} repeat sends suppressed by the backend; "
          f"{len(workers) - 1} worker(s) restarted after the Redis restart")

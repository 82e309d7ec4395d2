"""The deadline sweeper on a real Celery worker and beat over Redis, against PostgreSQL; and in two threads.

Dispatches that were due days ago must get exactly one 催办 and one 督办 each, however many sweeps run,
with two workers racing and after a worker restart.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from complaints.escalation import escalations_sweep
from complaints.models import Complaint, Dispatch, Escalation, TimelineEvent
from core.models import Notification

from ..conftest import require
from ..governance import test_role_sweeper_celery as role_sweeper
from .builders import whistled

pytestmark = [pytest.mark.django_db(transaction=True)]
celery_env = role_sweeper.celery_env  # the same fixture: workers and beat on Redis against the test database
wait_for = role_sweeper.wait_for
OVERDUE = 3


def overdue_dispatches(w, n: int = OVERDUE) -> list[Dispatch]:
    """Whistle `n` cases whose acknowledgement was due three days ago (both 催办 and 督办 are due)."""
    dispatches = [whistled(w, title=f"第{i}个问题") for i in range(n)]
    past, far = timezone.now() - timedelta(days=3), timezone.now() + timedelta(days=60)
    Dispatch.objects.filter(pk__in=[d.pk for d in dispatches]).update(acknowledge_due_at=past, handle_due_at=far)
    Complaint.objects.filter(dispatches__in=dispatches).update(handle_due_at=far)
    return dispatches


def assert_escalated_exactly_once(w, dispatches) -> None:
    for dispatch in dispatches:
        rows = Escalation.objects.filter(dispatch=dispatch)
        assert sorted(rows.values_list("step", "level")) == [("acknowledge", "reminder"), ("acknowledge", "supervision")]
        events = TimelineEvent.objects.filter(dispatch=dispatch, kind__startswith="escalation_")
        assert sorted(events.values_list("kind", flat=True)) == ["escalation_reminder", "escalation_supervision"]
        for event in events:
            notified = Notification.objects.filter(key=f"case:{dispatch.complaint_id}:event:{event.pk}")
            expected = w["department_staff"] if event.kind == "escalation_reminder" else w["street_staff"]
            assert list(notified.values_list("user_id", flat=True)) == [expected.pk]
    assert Escalation.objects.count() == 2 * len(dispatches)
    assert TimelineEvent.objects.filter(kind__startswith="escalation_").count() == 2 * len(dispatches)


@pytest.mark.celery
def test_overdue_dispatches_are_escalated_once_by_racing_workers_and_after_a_restart(celery_env, case_world):
    w = case_world
    dispatches = overdue_dispatches(w)
    celery_env("worker", "w1")
    celery_env("worker", "w2")
    beat = celery_env("beat")

    assert wait_for(lambda: Escalation.objects.count() >= 2 * OVERDUE), "the sweeper did not escalate the overdue steps"
    time.sleep(4)  # several more sweeps, on two workers
    assert_escalated_exactly_once(w, dispatches)

    beat.terminate()
    beat.wait(timeout=20)
    celery_env("worker", "w3")
    celery_env("beat")
    time.sleep(5)
    assert_escalated_exactly_once(w, dispatches)


def test_two_sweeps_at_once_escalate_each_step_once(case_world):
    require(connection.vendor == "postgresql", "the concurrent sweep test needs PostgreSQL (set DATABASE_URL)")
    w = case_world
    dispatches = overdue_dispatches(w, n=6)
    barrier = threading.Barrier(2)
    results: list = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(escalations_sweep())
        except Exception as error:  # noqa: BLE001 - reported below
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(r, dict) for r in results), results
    assert sum(r["reminder"] for r in results) == len(dispatches)
    assert sum(r["supervision"] for r in results) == len(dispatches)
    assert_escalated_exactly_once(w, dispatches)

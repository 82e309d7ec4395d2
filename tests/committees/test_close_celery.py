"""The vote closes at its deadline: beat and two real Celery workers on Redis, against PostgreSQL.

A meeting whose deadline has passed is closed and its result published exactly once, however many
sweeps run on however many workers, and after a worker restart; a meeting still open is left alone.
"""

import time

import pytest

from committees import services
from committees.models import Meeting
from core.models import AuditEvent, Notification

from ..governance import test_role_sweeper_celery as role_sweeper
from .conftest import end_now, published_assembly

pytestmark = [pytest.mark.django_db(transaction=True)]
celery_env = role_sweeper.celery_env  # the same fixture: workers and beat on Redis against the test database
wait_for = role_sweeper.wait_for


def assert_closed_once(meeting: Meeting, w) -> None:
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED and meeting.result_published_at is not None
    assert AuditEvent.objects.filter(action="meeting.close", target_id=str(meeting.pk)).count() == 1
    majority, supermajority = meeting.items.order_by("position")
    assert majority.passed is True and majority.result["reason"] == "passed"
    assert majority.result["participation"] == {"count": 10, "area": "1256.00"}
    assert supermajority.passed is False and supermajority.result["reason"] == "yes_area_not_enough"
    key = f"meeting:{meeting.pk}:result"
    owners = {u.pk for u in [*w["owners"], w["double_owner"], w["developer"]]}
    assert sorted(Notification.objects.filter(key=key).values_list("user_id", flat=True)) == sorted(owners)


@pytest.mark.celery
def test_a_vote_past_its_deadline_is_closed_once_by_racing_workers_and_after_a_restart(celery_env, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    majority, supermajority = meeting.items.order_by("position")
    for user in [*w["owners"][:8], w["double_owner"], w["developer"]]:  # 10 of 12 owners, 1,256 of 1,450 m²
        services.vote_online(item=majority, actor=user, choice="yes")
    for user in [*w["owners"][:7], w["double_owner"]]:  # 8 of 10 owners but 802 of 1,256 m²: short of 3/4
        services.vote_online(item=supermajority, actor=user, choice="yes")
    for user in (w["owners"][7], w["developer"]):
        services.vote_online(item=supermajority, actor=user, choice="no")
    still_open = published_assembly(w)
    end_now(meeting)

    celery_env("worker", "w1")
    celery_env("worker", "w2")
    beat = celery_env("beat")

    def closed() -> bool:
        return Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.CLOSED

    assert wait_for(closed), "the beat sweeper did not close the vote"
    assert wait_for(lambda: Notification.objects.filter(key=f"meeting:{meeting.pk}:result").exists(), timeout=10)
    time.sleep(4)  # several more sweeps on two workers
    assert_closed_once(meeting, w)

    beat.terminate()
    beat.wait(timeout=20)
    celery_env("worker", "w3")
    celery_env("beat")
    time.sleep(4)
    assert_closed_once(meeting, w)
    still_open.refresh_from_db()
    assert still_open.status == Meeting.Status.NOTICED and still_open.result_published_at is None
    assert not still_open.items.get().result

"""Two people act on the same case at the same moment (PostgreSQL, one connection per thread).

One wins; the other gets a clear conflict message in Chinese; nothing is lost or written twice.
"""

import re
import threading

import pytest
from django.db import connection, connections
from django.utils import translation

from complaints import services
from complaints.models import Complaint, Dispatch, DispatchStatus, Status, TimelineEvent
from core.errors import ApplicationError
from core.models import Notification

from ..conftest import require
from .builders import dispatch_in, file_case

pytestmark = pytest.mark.django_db(transaction=True)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def race(*calls):
    """Run the calls in threads released together by a barrier; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        translation.activate("zh-hans")  # the portal's language; translations are per thread
        try:
            barrier.wait(timeout=10)
            outcomes[i] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return outcomes


def split(outcomes):
    errors = [o for o in outcomes if isinstance(o, Exception)]
    wins = [o for o in outcomes if not isinstance(o, Exception)]
    assert all(isinstance(e, ApplicationError) for e in errors), errors
    return wins, errors


@pytest.fixture
def pg():
    require(connection.vendor == "postgresql", "the concurrency tests need PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def second_community_staff(case_world, make_staff):
    from governance.models import Role

    return make_staff(Role.COMMUNITY_STAFF, case_world["community"])


@pytest.mark.parametrize("with_version", [True, False], ids=["same-version", "no-version"])
def test_two_staff_accept_the_same_case_at_once_and_one_wins(pg, case_world, second_community_staff, with_version):
    w = case_world
    case = file_case(w)
    version = case.version if with_version else None
    staff = [w["community_staff"], second_community_staff]
    outcomes = race(*[
        (lambda actor=actor: services.complaint_accept(complaint=case, actor=actor, version=version)) for actor in staff
    ])
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1
    error = errors[0]
    assert error.code == "conflict"
    assert case.number in error.message
    assert CHINESE.search(error.message), f"the conflict message is not in Chinese: {error.message}"
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert case.version == 2  # filed at 1, raised once
    accepted = TimelineEvent.objects.filter(complaint=case, kind="accepted")
    assert accepted.count() == 1
    winner = staff[outcomes.index(wins[0])]
    assert accepted.get().actor_id == winner.pk
    # Nothing lost: the filing is still there, the reporter was told once.
    assert list(case.timeline.values_list("kind", flat=True)) == ["filed", "accepted"]
    assert Notification.objects.filter(user=w["resident"], key__startswith=f"case:{case.pk}:").count() == 1


def test_accepting_and_rejecting_at_once_leaves_one_outcome(pg, case_world, second_community_staff):
    w = case_world
    case = file_case(w)
    outcomes = race(
        lambda: services.complaint_accept(complaint=case, actor=w["community_staff"], version=case.version),
        lambda: services.complaint_reject(complaint=case, actor=second_community_staff, reason="重复", version=case.version),
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and [e.code for e in errors] == ["conflict"]
    case.refresh_from_db()
    assert case.status in (Status.ACCEPTED, Status.REJECTED)
    assert case.timeline.exclude(kind="filed").count() == 1


@pytest.fixture
def second_department_staff(case_world, make_staff):
    from governance.models import Role

    return make_staff(Role.DEPARTMENT_STAFF, case_world["department"])


def test_two_handlers_acknowledge_the_same_dispatch_at_once(pg, case_world, second_department_staff):
    w = case_world
    dispatch = dispatch_in(w, DispatchStatus.PENDING)
    outcomes = race(*[
        (lambda actor=actor: services.dispatch_acknowledge(dispatch=dispatch, actor=actor))
        for actor in (w["department_staff"], second_department_staff)
    ])
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1
    assert errors[0].code == "conflict" and CHINESE.search(errors[0].message), errors[0].message
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.ACKNOWLEDGED and dispatch.acknowledged_at is not None
    assert TimelineEvent.objects.filter(dispatch=dispatch, kind="acknowledged").count() == 1


def test_two_handlers_resolve_the_same_dispatch_at_once(pg, case_world, second_department_staff):
    w = case_world
    dispatch = dispatch_in(w, DispatchStatus.ACKNOWLEDGED)
    results = {w["department_staff"].pk: "换了灯泡", second_department_staff.pk: "换了开关"}
    outcomes = race(*[
        (lambda actor=actor: services.dispatch_resolve(dispatch=dispatch, actor=actor, result=results[actor.pk]))
        for actor in (w["department_staff"], second_department_staff)
    ])
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 1
    assert errors[0].code == "conflict" and CHINESE.search(errors[0].message), errors[0].message
    dispatch = Dispatch.objects.get(pk=dispatch.pk)
    resolved = TimelineEvent.objects.get(dispatch=dispatch, kind="dispatch_resolved")
    # The winner's result is the one kept, on the dispatch and on the timeline.
    assert dispatch.status == DispatchStatus.RESOLVED
    assert dispatch.result == results[resolved.actor_id] == resolved.note
    case = Complaint.objects.get(pk=dispatch.complaint_id)
    assert case.status == Status.RESOLVED
    assert case.timeline.filter(kind="resolved").count() == 1


def test_two_opposite_merges_at_once_do_not_deadlock(pg, case_world, second_community_staff):
    w = case_world
    first, second = file_case(w, title="楼道灯坏了"), file_case(w, title="楼道灯不亮")
    outcomes = race(
        lambda: services.complaint_merge(complaint=first, into=second, actor=w["community_staff"]),
        lambda: services.complaint_merge(complaint=second, into=first, actor=second_community_staff),
    )
    wins, errors = split(outcomes)  # an ApplicationError, not a database deadlock
    assert len(wins) == 1 and len(errors) == 1
    statuses = sorted(Complaint.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == sorted([Status.MERGED, Status.SUBMITTED])

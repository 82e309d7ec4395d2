"""The rules around the clock and the resident's word: pauses, returns that name a department, redo."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import services
from complaints.models import Answer, Complaint, Dispatch, DispatchStatus, Rating, Status
from core.errors import ApplicationError

from .builders import case_in, dispatch_in, file_case

pytestmark = pytest.mark.django_db


def test_the_clock_pauses_while_waiting_for_the_reporter(case_world):
    w = case_world
    dispatch = dispatch_in(w, DispatchStatus.ACKNOWLEDGED)
    case = dispatch.complaint
    services.complaint_request_info(complaint=case, actor=w["community_staff"], question="漏水在哪个房间？")
    case.refresh_from_db()
    assert case.status == Status.NEEDS_INFO and case.is_paused
    assert case.status_before_pause == Status.HANDLING and case.info_request == "漏水在哪个房间？"
    # Long after every deadline, nothing of a paused case counts as overdue.
    far = timezone.now() + timedelta(days=90)
    assert not Complaint.objects.overdue(far).filter(pk=case.pk).exists()
    assert not Dispatch.objects.overdue(far).filter(pk=dispatch.pk).exists()

    Complaint.objects.filter(pk=case.pk).update(paused_at=timezone.now() - timedelta(hours=5))
    due_before = Dispatch.objects.get(pk=dispatch.pk).handle_due_at
    services.complaint_provide_info(complaint=case, actor=w["resident"], answer="厨房")
    case.refresh_from_db()
    assert case.status == Status.HANDLING and not case.is_paused and case.status_before_pause == ""
    assert 5 * 3600 <= case.paused_seconds < 5 * 3600 + 60
    event = case.timeline.get(kind="info_provided")
    assert event.actor == w["resident"] and event.data["paused_seconds"] == case.paused_seconds
    moved = Dispatch.objects.get(pk=dispatch.pk).handle_due_at - due_before
    assert timedelta(hours=5) <= moved < timedelta(hours=5, minutes=1)
    assert Complaint.objects.overdue(far).filter(pk=case.pk).exists()


def test_only_the_reporter_answers_and_an_empty_answer_is_refused(case_world):
    w = case_world
    case = case_in(w, Status.NEEDS_INFO)
    with pytest.raises(ApplicationError) as refused:
        services.complaint_provide_info(complaint=case, actor=w["community_staff"], answer="我替他说")
    assert refused.value.code == "forbidden"
    with pytest.raises(ApplicationError) as refused:
        services.complaint_provide_info(complaint=case, actor=w["resident"], answer="  ")
    assert refused.value.field == "answer"
    assert Complaint.objects.get(pk=case.pk).is_paused


def test_a_department_return_must_name_another_department(case_world):
    w = case_world
    dispatch = dispatch_in(w, DispatchStatus.ACKNOWLEDGED)
    for belongs_to in (None, w["department"]):
        with pytest.raises(ApplicationError) as refused:
            services.dispatch_return(dispatch=dispatch, actor=w["department_staff"], reason="不归我们管", belongs_to=belongs_to)
        assert refused.value.field == "belongs_to" and refused.value.code == "invalid"
    dispatch.refresh_from_db()
    assert dispatch.status == DispatchStatus.ACKNOWLEDGED and dispatch.return_to is None
    assert not dispatch.timeline.filter(kind="returned").exists()

    services.dispatch_return(dispatch=dispatch, actor=w["department_staff"], reason="应由住建局处理", belongs_to=w["other_department"])
    dispatch.refresh_from_db()
    case = Complaint.objects.get(pk=dispatch.complaint_id)
    assert dispatch.status == DispatchStatus.RETURNED and dispatch.return_to == w["other_department"]
    assert case.status == Status.ACCEPTED  # back to the community, which can whistle the right department
    returned = dispatch.timeline.get(kind="returned")
    assert returned.note == "应由住建局处理" and returned.data["belongs_to"] == w["other_department"].name
    services.complaint_dispatch(
        complaint=case, actor=w["community_staff"], handler_kind="department", department=dispatch.return_to
    )
    assert Complaint.objects.get(pk=case.pk).status == Status.HANDLING


def test_the_database_refuses_a_department_return_without_a_department(case_world):
    from django.db import IntegrityError, transaction

    dispatch = dispatch_in(case_world, DispatchStatus.ACKNOWLEDGED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Dispatch.objects.filter(pk=dispatch.pk).update(status=DispatchStatus.RETURNED)


def test_an_unconfirmed_closure_does_not_count_as_solved(case_world):
    w = case_world
    unconfirmed = case_in(w, Status.CLOSED_UNCONFIRMED)
    solved = case_in(w, Status.CLOSED)
    assert solved.counts_as_solved
    assert not unconfirmed.counts_as_solved
    assert unconfirmed.answer == "" and unconfirmed.closed_at is not None
    # A partly solved case is closed but not solved either.
    partly = case_in(w, Status.AWAITING_CONFIRMATION)
    services.complaint_confirm(complaint=partly, actor=w["resident"], answer=Answer.PARTLY, rating=Rating.BASICALLY)
    partly.refresh_from_db()
    assert partly.status == Status.CLOSED and not partly.counts_as_solved


@pytest.mark.parametrize(
    ("answer", "rating"),
    [(Answer.NOT_SOLVED, Rating.BASICALLY), (Answer.SOLVED, Rating.DISSATISFIED), (Answer.PARTLY, Rating.DISSATISFIED)],
)
def test_not_solved_or_dissatisfied_reopens_the_case_as_a_redo(case_world, answer, rating):
    w = case_world
    case = case_in(w, Status.AWAITING_CONFIRMATION)
    dispatch = case.dispatches.get()
    with pytest.raises(ApplicationError) as refused:
        services.complaint_confirm(complaint=case, actor=w["resident"], answer=answer, rating=rating, comment=" ")
    assert refused.value.field == "comment"
    assert Complaint.objects.get(pk=case.pk).status == Status.AWAITING_CONFIRMATION

    services.complaint_confirm(complaint=case, actor=w["resident"], answer=answer, rating=rating, comment="灯还是不亮")
    case.refresh_from_db()
    dispatch.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.redo_count == 1 and case.round == 2
    assert case.answer == "" and case.rating == "" and case.confirm_due_at is None and case.resolved_at is None
    assert case.handle_due_at > timezone.now()
    assert dispatch.is_redo
    reopened = case.timeline.get(kind="reopened")
    assert reopened.note == "灯还是不亮" and reopened.actor == w["resident"]
    assert reopened.data == {"answer": answer, "rating": rating}
    assert reopened.from_status == Status.AWAITING_CONFIRMATION and reopened.to_status == Status.ACCEPTED
    assert not case.counts_as_solved
    # The next round goes back to the same department, a fresh dispatch that is not a redo itself.
    again = services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind="department",
                                        department=w["department"])
    assert again.round == 2 and not again.is_redo


def test_a_failed_verification_is_also_a_redo(case_world):
    w = case_world
    case = case_in(w, Status.RESOLVED)
    with pytest.raises(ApplicationError) as refused:
        services.complaint_verify(complaint=case, actor=w["community_staff"], passed=False)
    assert refused.value.field == "note"
    services.complaint_verify(complaint=case, actor=w["community_staff"], passed=False, note="现场灯还是坏的")
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED and case.redo_count == 1
    assert case.dispatches.get().is_redo


def test_a_case_handled_in_the_compound_needs_no_verification(case_world):
    """A property company's result on a category without a check goes straight to the resident."""
    w = case_world
    case = file_case(w, category="parking")
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    dispatch = services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind="property")
    services.dispatch_acknowledge(dispatch=dispatch, actor=w["property_staff"])
    services.dispatch_resolve(dispatch=dispatch, actor=w["property_staff"], result="已清理占道车辆")
    case.refresh_from_db()
    assert case.status == Status.AWAITING_CONFIRMATION
    assert abs(case.confirm_due_at - case.resolved_at - timedelta(days=7)) < timedelta(seconds=5)

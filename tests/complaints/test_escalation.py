"""The deadline sweeper, run with a `now` in the future: 催办 at the deadline, 督办 later, each exactly once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from complaints import escalation, services
from complaints.escalation import SUPERVISE_AFTER, escalations_sweep
from complaints.models import Complaint, Dispatch, Escalation, Status, TimelineEvent
from core.models import Notification
from governance.models import UrgencyTier

from .builders import case_in, dispatch_in, file_case

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)
LATER = SUPERVISE_AFTER[UrgencyTier.GENERAL]


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """Run the sweep at `now`, sending its notifications as a real commit would."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return escalations_sweep(now=now)

    return run


def recipients(escalation_row: Escalation) -> set[int]:
    event = TimelineEvent.objects.get(
        complaint=escalation_row.complaint, dispatch=escalation_row.dispatch, kind=f"escalation_{escalation_row.level}",
        data__step=escalation_row.step, data__due_at=escalation_row.due_at.isoformat(),
    )
    key = f"case:{escalation_row.complaint_id}:event:{event.pk}"
    return set(Notification.objects.filter(key=key).values_list("user_id", flat=True))


def test_an_unaccepted_case_is_reminded_at_its_deadline_and_supervised_later_once(case_world, sweep):
    w = case_world
    case = file_case(w)
    due = case.accept_due_at
    assert sweep(due - MINUTE) == {"reminder": 0, "supervision": 0, "closed_unconfirmed": 0}
    assert sweep(due + MINUTE)["reminder"] == 1
    assert sweep(due + 2 * MINUTE) == {"reminder": 0, "supervision": 0, "closed_unconfirmed": 0}
    reminder = Escalation.objects.get(complaint=case, step="accept", level="reminder")
    assert reminder.due_at == due and reminder.dispatch is None
    # The community triages the case, so its staff get the 催办; the street office the 督办.
    assert recipients(reminder) == {w["community_staff"].pk}

    assert sweep(due + LATER - MINUTE)["supervision"] == 0
    assert sweep(due + LATER + MINUTE)["supervision"] == 1
    assert sweep(due + LATER + MINUTE) == {"reminder": 0, "supervision": 0, "closed_unconfirmed": 0}
    supervision = Escalation.objects.get(complaint=case, step="accept", level="supervision")
    assert recipients(supervision) == {w["street_staff"].pk}
    assert Escalation.objects.filter(complaint=case).count() == 2
    assert case.timeline.filter(kind__startswith="escalation_").count() == 2


def test_a_late_acknowledgement_and_a_late_handling_each_escalate_once(case_world, sweep):
    w = case_world
    dispatch = dispatch_in(w, "pending")
    ack_due, handle_due = dispatch.acknowledge_due_at, dispatch.handle_due_at
    for _ in range(2):
        sweep(ack_due + MINUTE)
        sweep(ack_due + LATER + MINUTE)
    ack = Escalation.objects.filter(dispatch=dispatch, step="acknowledge")
    assert sorted(ack.values_list("level", flat=True)) == ["reminder", "supervision"]
    # The handler gets the 催办 (not another department); the street office the 督办.
    assert recipients(ack.get(level="reminder")) == {w["department_staff"].pk}
    assert recipients(ack.get(level="supervision")) == {w["street_staff"].pk}

    services.dispatch_acknowledge(dispatch=dispatch, actor=w["department_staff"])
    for _ in range(2):
        sweep(handle_due + MINUTE)
        sweep(handle_due + LATER + MINUTE)
    handle = Escalation.objects.filter(dispatch=dispatch, step="dispatch_handle")
    assert sorted(handle.values_list("level", flat=True)) == ["reminder", "supervision"]
    assert recipients(handle.get(level="reminder")) == {w["department_staff"].pk}
    assert recipients(handle.get(level="supervision")) == {w["street_staff"].pk}
    # Acknowledging late stopped nothing twice: still exactly one of each for the acknowledgement.
    assert ack.count() == 2
    timeline = TimelineEvent.objects.filter(dispatch=dispatch, kind__startswith="escalation_")
    assert timeline.count() == 4


def test_an_extension_escalates_anew_only_after_the_new_deadline(case_world, sweep):
    w = case_world
    dispatch = dispatch_in(w, "acknowledged")
    old_due = dispatch.handle_due_at
    sweep(old_due + MINUTE)
    steps = Escalation.objects.filter(dispatch=dispatch, step="dispatch_handle")
    assert list(steps.values_list("level", "due_at")) == [("reminder", old_due)]

    services.dispatch_request_extension(dispatch=dispatch, actor=w["department_staff"], hours=72, reason="等配件")
    services.dispatch_decide_extension(dispatch=dispatch, actor=w["street_staff"], approve=True)
    dispatch.refresh_from_db()
    new_due = dispatch.handle_due_at
    assert new_due == old_due + timedelta(hours=72)
    # Past the old supervision time but before the new deadline: nothing more, for the dispatch or the case.
    before = Escalation.objects.count()
    sweep(old_due + LATER + MINUTE)
    sweep(new_due - MINUTE)
    assert Escalation.objects.count() == before
    sweep(new_due + MINUTE)
    assert list(steps.order_by("id").values_list("level", "due_at")) == [("reminder", old_due), ("reminder", new_due)]
    sweep(new_due + LATER + MINUTE)
    sweep(new_due + LATER + MINUTE)
    assert steps.filter(due_at=new_due).count() == 2 and steps.filter(due_at=old_due).count() == 1


def test_a_case_waiting_for_its_reporter_is_not_escalated_and_its_deadlines_move_on(case_world, sweep):
    w = case_world
    dispatch = dispatch_in(w, "pending")
    case = dispatch.complaint
    before = {
        "case": case.handle_due_at, "ack": dispatch.acknowledge_due_at, "handle": dispatch.handle_due_at,
    }
    services.complaint_request_info(complaint=case, actor=w["community_staff"], question="是哪一层？")
    far = timezone.now() + timedelta(days=60)
    assert sweep(far) == {"reminder": 0, "supervision": 0, "closed_unconfirmed": 0}
    assert not Escalation.objects.exists()
    assert not Complaint.objects.overdue(far).filter(pk=case.pk).exists()
    assert not Dispatch.objects.overdue(far).exists()

    # The reporter answers three hours later: every deadline moves on by the time spent waiting.
    waited = timedelta(hours=3)
    Complaint.objects.filter(pk=case.pk).update(paused_at=timezone.now() - waited)
    services.complaint_provide_info(complaint=case, actor=w["resident"], answer="三楼")
    case.refresh_from_db()
    dispatch.refresh_from_db()
    assert case.status == Status.HANDLING and not case.is_paused
    assert abs(case.paused_seconds - waited.total_seconds()) < 60
    moved = {"case": case.handle_due_at, "ack": dispatch.acknowledge_due_at, "handle": dispatch.handle_due_at}
    for name, due in moved.items():
        assert waited <= due - before[name] < waited + MINUTE, name
    # At the old acknowledgement deadline it is not yet late; at the moved one it is.
    sweep(before["ack"] + MINUTE)
    assert not Escalation.objects.exists()
    sweep(moved["ack"] + MINUTE)
    assert list(Escalation.objects.values_list("step", "level", "due_at")) == [("acknowledge", "reminder", moved["ack"])]


def test_a_submitted_case_paused_for_information_moves_its_accept_deadline(case_world, sweep):
    w = case_world
    case = file_case(w)
    due = case.accept_due_at
    services.complaint_request_info(complaint=case, actor=w["community_staff"], question="是哪一层？")
    assert sweep(due + LATER * 2)["reminder"] == 0
    Complaint.objects.filter(pk=case.pk).update(paused_at=timezone.now() - timedelta(days=2))
    services.complaint_provide_info(complaint=case, actor=w["resident"], answer="三楼")
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED
    assert timedelta(days=2) <= case.accept_due_at - due < timedelta(days=2) + MINUTE
    assert sweep(due + MINUTE)["reminder"] == 0
    assert sweep(case.accept_due_at + MINUTE)["reminder"] == 1


def test_an_unanswered_case_closes_unconfirmed_after_seven_days_and_never_counts_as_solved(case_world, sweep):
    w = case_world
    case = case_in(w, Status.AWAITING_CONFIRMATION)
    verified = case.timeline.get(kind="verified").created_at
    assert abs(case.confirm_due_at - verified - timedelta(days=7)) < MINUTE
    assert sweep(case.confirm_due_at - MINUTE)["closed_unconfirmed"] == 0
    at = case.confirm_due_at + MINUTE
    assert sweep(at)["closed_unconfirmed"] == 1
    assert sweep(at)["closed_unconfirmed"] == 0
    case.refresh_from_db()
    assert case.status == Status.CLOSED_UNCONFIRMED
    assert case.closed_at == at and case.answer == "" and case.rating == ""
    assert not case.counts_as_solved
    closing = case.timeline.get(kind="closed_unconfirmed")
    assert closing.actor is None and closing.from_status == Status.AWAITING_CONFIRMATION
    assert not Complaint.objects.open().filter(pk=case.pk).exists()


def test_closed_and_resolved_steps_are_not_escalated(case_world, sweep):
    w = case_world
    closed = case_in(w, Status.CLOSED)
    rejected = case_in(w, Status.REJECTED)
    sweep(timezone.now() + timedelta(days=90))
    assert not Escalation.objects.filter(complaint__in=[closed, rejected]).exists()
    assert not Escalation.objects.filter(dispatch__status="resolved").exists()


def test_every_overdue_step_is_reached_however_many_are_already_escalated(case_world, sweep, monkeypatch):
    """A backlog larger than one batch is still walked to its end, in one sweep."""
    monkeypatch.setattr(escalation, "SWEEP_BATCH", 2)
    cases = [file_case(case_world) for _ in range(5)]
    later = max(c.accept_due_at for c in cases) + MINUTE
    assert sweep(later)["reminder"] == 5
    assert sweep(later)["reminder"] == 0
    assert Escalation.objects.filter(step="accept", level="reminder").count() == 5

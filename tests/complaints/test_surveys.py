"""Follow-up surveys of closed cases: scheduled on closing, swept (invited, reminded, expired) once each,
answered once; "not solved" reopens the case; the 解决率 / 满意率 figures."""


from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from complaints import services
from complaints.models import (
    Answer,
    Complaint,
    FollowUpPolicy,
    Rating,
    Status,
    Survey,
    SurveyTemplate,
    TimelineEvent,
)
from complaints.surveys import defaults, scheduling, stats
from complaints.surveys.services import survey_answer, survey_question_delete, survey_schedule_for_case
from core import outbox
from core.errors import ApplicationError
from core.models import AuditEvent, DeliveryPreference, Notification, OutboxMessage

from .builders import case_in, file_case, whistled

pytestmark = pytest.mark.django_db
SOLVED_ANSWERS = {"solved": "solved", "satisfaction": "satisfied", "speed": 5, "attitude": 4}


def put_back_default_templates() -> None:
    """Create the data migration's templates unless they exist: a transactional test that ran earlier in the
    session (a browser test, a Celery test) flushed every table, and the migration's rows with them."""
    defaults.create(django_apps)


@pytest.fixture(autouse=True)
def survey_templates(db):
    put_back_default_templates()


def closed_case(w, *, category: str = "facilities", unconfirmed: bool = False) -> Complaint:
    """A case of `category` closed through the services (confirmed solved, or left unconfirmed)."""
    dispatch = whistled(w, category=category)
    services.dispatch_acknowledge(dispatch=dispatch, actor=w["department_staff"])
    services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="已修好")
    case = dispatch.complaint
    services.complaint_verify(complaint=case, actor=w["community_staff"], passed=True)
    if unconfirmed:
        services.complaint_close_unconfirmed(complaint=case, now=timezone.now() + timedelta(days=8))
    else:
        services.complaint_confirm(complaint=case, actor=w["resident"], answer=Answer.SOLVED, rating=Rating.SATISFIED)
    case.refresh_from_db()
    return case


def followup(case: Complaint) -> Survey:
    return Survey.objects.get(complaint=case, purpose=Survey.Purpose.CASE_FOLLOWUP)


def invite(survey: Survey) -> Survey:
    scheduling.surveys_sweep(now=survey.invite_at + timedelta(minutes=1))
    survey.refresh_from_db()
    assert survey.status == Survey.Status.INVITED
    return survey


def sms(key: str):
    return OutboxMessage.objects.filter(key=key, channel="sms")


# --- scheduling on closing ---------------------------------------------------------------------


def test_closing_a_recurring_case_schedules_one_followup_and_one_recheck_on_the_default_policy(case_world):
    w = case_world
    case = closed_case(w, category="facilities")
    assert case.status == Status.CLOSED
    surveys = {s.purpose: s for s in Survey.objects.filter(complaint=case)}
    assert set(surveys) == {"case_followup", "case_recheck"}
    f, r = surveys["case_followup"], surveys["case_recheck"]
    assert (f.status, f.recipient, r.recipient) == ("scheduled", w["resident"], w["resident"])
    assert f.invite_at == case.closed_at + timedelta(days=7)
    assert f.remind_at == case.closed_at + timedelta(days=10)
    assert f.expires_at == case.closed_at + timedelta(days=21)
    assert r.invite_at == case.closed_at + timedelta(days=28)
    assert r.expires_at == case.closed_at + timedelta(days=42)
    template = SurveyTemplate.objects.get(key="case-followup")
    assert f.template == template and f.questions == template.snapshot()
    assert [q["key"] for q in f.questions] == ["solved", "satisfaction", "speed", "attitude", "comment", "photo"]
    assert [q["key"] for q in r.questions] == ["still_fixed", "comment"]
    assert AuditEvent.objects.filter(action="survey.schedule", target_id__in=[str(f.pk), str(r.pk)]).count() == 2
    # Asking again changes nothing: one survey per case and purpose.
    assert survey_schedule_for_case(complaint=case) == []
    assert Survey.objects.filter(complaint=case).count() == 2


def test_a_category_that_does_not_recur_gets_only_the_followup_with_the_policy_times(case_world):
    FollowUpPolicy.objects.create(category="illegal_building", invite_after_days=2, remind_after_days=1,
                                  expire_after_days=5, recheck_after_days=None)
    case = closed_case(case_world, category="illegal_building")
    (survey,) = Survey.objects.filter(complaint=case)
    assert survey.purpose == "case_followup"
    assert (survey.invite_at, survey.remind_at, survey.expires_at) == (
        case.closed_at + timedelta(days=2), case.closed_at + timedelta(days=3), case.closed_at + timedelta(days=7))


def test_a_policy_can_give_a_recheck_to_any_category_and_take_it_from_a_recurring_one(case_world):
    FollowUpPolicy.objects.create(category="facilities", recheck_after_days=None)
    FollowUpPolicy.objects.create(category="illegal_building", recheck_after_days=60)
    facilities = closed_case(case_world, category="facilities")
    building = closed_case(case_world, category="illegal_building")
    assert list(Survey.objects.filter(complaint=facilities).values_list("purpose", flat=True)) == ["case_followup"]
    recheck = Survey.objects.get(complaint=building, purpose="case_recheck")
    assert recheck.invite_at == building.closed_at + timedelta(days=60)


def test_a_case_closed_unconfirmed_is_followed_up_too(case_world):
    case = closed_case(case_world, unconfirmed=True)
    assert case.status == Status.CLOSED_UNCONFIRMED
    assert followup(case).invite_at == case.closed_at + timedelta(days=7)


def test_cases_staff_reported_on_patrol_and_open_cases_get_no_survey(case_world):
    w = case_world
    services.complaint_file(actor=w["grid_worker"], compound=w["compound"], category="sanitation", urgency="general",
                            title="垃圾满了", description="3栋门口垃圾桶满了", place_kind="building",
                            building=w["building"], source="grid_patrol")
    case_in(w, Status.AWAITING_CONFIRMATION)
    patrol = Complaint.objects.get(source="grid_patrol")
    Complaint.objects.filter(pk=patrol.pk).update(status=Status.CLOSED, closed_at=timezone.now(), answer="solved",
                                                 rating="satisfied")
    patrol.refresh_from_db()
    assert survey_schedule_for_case(complaint=patrol) == []
    assert not Survey.objects.exists()


# --- the sweeper -------------------------------------------------------------------------------


def test_the_sweeper_invites_once_reminds_once_and_expires_after_the_window(case_world):
    case = closed_case(case_world, category="illegal_building")
    survey = followup(case)
    resident = case_world["resident"]
    assert scheduling.surveys_sweep(now=survey.invite_at - timedelta(minutes=1))["invited"] == 0
    assert Survey.objects.get(pk=survey.pk).status == "scheduled"

    at = survey.invite_at + timedelta(minutes=1)
    assert scheduling.surveys_sweep(now=at)["invited"] == 1
    survey.refresh_from_db()
    assert (survey.status, survey.invited_at) == ("invited", at)
    key = f"survey:{survey.pk}:invite"
    inbox = Notification.objects.get(key=key)
    assert inbox.user == resident and inbox.url.startswith(f"/surveys/{survey.pk}/")
    (message,) = sms(key)
    assert (message.status, message.address) == ("pending", resident.phone)
    assert f"http://127.0.0.1:8000{inbox.url}" in message.body and case.number in message.body
    for _ in range(3):  # more sweeps, even later, change nothing
        assert scheduling.surveys_sweep(now=at + timedelta(hours=1))["invited"] == 0
    assert Notification.objects.filter(key__startswith=f"survey:{survey.pk}:").count() == 1

    remind = survey.remind_at + timedelta(minutes=1)
    assert scheduling.surveys_sweep(now=remind)["reminded"] == 1
    assert scheduling.surveys_sweep(now=remind + timedelta(hours=5))["reminded"] == 0
    survey.refresh_from_db()
    assert survey.reminded_at == remind
    assert sms(f"survey:{survey.pk}:remind").count() == 1
    assert Notification.objects.filter(key=f"survey:{survey.pk}:remind", user=resident).count() == 1

    assert scheduling.surveys_sweep(now=survey.expires_at - timedelta(minutes=1))["expired"] == 0
    assert scheduling.surveys_sweep(now=survey.expires_at)["expired"] == 1
    survey.refresh_from_db()
    assert survey.status == "expired"
    assert OutboxMessage.objects.filter(key__startswith=f"survey:{survey.pk}:").count() == 2


def test_the_sweeper_never_touches_an_answered_survey(case_world):
    survey = invite(followup(closed_case(case_world, category="illegal_building")))
    survey_answer(survey=survey, answers=SOLVED_ANSWERS)
    for at in (survey.remind_at, survey.expires_at, survey.expires_at + timedelta(days=30)):
        assert scheduling.surveys_sweep(now=at + timedelta(minutes=1)) == {
            "expired": 0, "invited": 0, "reminded": 0, "campaigns_finished": 0}
    survey.refresh_from_db()
    assert (survey.status, survey.reminded_at) == ("answered", None)
    assert not OutboxMessage.objects.filter(key=f"survey:{survey.pk}:remind").exists()


def test_a_survey_whose_window_passed_before_it_went_out_expires_without_an_invitation(case_world):
    survey = followup(closed_case(case_world, category="illegal_building"))
    assert scheduling.surveys_sweep(now=survey.expires_at + timedelta(minutes=1))["expired"] == 1
    survey.refresh_from_db()
    assert survey.status == "expired" and survey.invited_at is None
    assert not sms(f"survey:{survey.pk}:invite").exists()


def test_a_late_invitation_keeps_the_gap_before_its_reminder(case_world):
    survey = followup(closed_case(case_world, category="illegal_building"))
    late = survey.remind_at + timedelta(hours=1)  # the sweeper was stopped for days
    counts = scheduling.surveys_sweep(now=late)
    assert (counts["invited"], counts["reminded"]) == (1, 0)
    survey.refresh_from_db()
    assert survey.remind_at == late + timedelta(days=3)


def test_a_resident_who_turned_reminders_off_gets_the_reminder_in_the_inbox_only(case_world):
    survey = invite(followup(closed_case(case_world, category="illegal_building")))
    DeliveryPreference.objects.create(user=case_world["resident"], reminders_opt_out=True)
    assert scheduling.surveys_sweep(now=survey.remind_at)["reminded"] == 1
    assert Notification.objects.filter(key=f"survey:{survey.pk}:remind").count() == 1
    assert not sms(f"survey:{survey.pk}:remind").exists()
    assert sms(f"survey:{survey.pk}:invite").count() == 1


def test_a_sweep_that_fails_mid_batch_leaves_nothing_half_done(case_world, monkeypatch, settings):
    """The status change and the messages commit together: a crash after some rows moved loses nothing."""
    settings.SURVEY_SWEEP_BATCH = 10
    cases = [closed_case(case_world, category="illegal_building") for _ in range(3)]
    surveys = [followup(c) for c in cases]
    at = max(s.invite_at for s in surveys) + timedelta(minutes=1)
    real_queue = outbox.queue

    def crash(messages, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(outbox, "queue", crash)
    with pytest.raises(RuntimeError):
        scheduling.surveys_sweep(now=at)
    assert set(Survey.objects.filter(pk__in=[s.pk for s in surveys]).values_list("status", flat=True)) == {"scheduled"}
    assert not Notification.objects.filter(key__startswith="survey:").exists()

    monkeypatch.setattr(outbox, "queue", real_queue)
    assert scheduling.surveys_sweep(now=at)["invited"] == 3
    assert scheduling.surveys_sweep(now=at)["invited"] == 0
    assert OutboxMessage.objects.filter(key__endswith=":invite").count() == 3
    assert Notification.objects.filter(key__endswith=":invite").count() == 3


# --- answering ---------------------------------------------------------------------------------


def test_a_solved_answer_is_stored_with_its_result_columns_and_the_case_stays_closed(case_world):
    case = closed_case(case_world, category="illegal_building")
    survey = invite(followup(case))
    answered = survey_answer(survey=survey, answers={**SOLVED_ANSWERS, "satisfaction": "basically", "comment": " 很好 "})
    assert (answered.status, answered.solved, answered.satisfaction) == ("answered", "solved", "basically")
    assert answered.answered_at is not None
    assert answered.answers == {"solved": "solved", "satisfaction": "basically", "speed": 5, "attitude": 4, "comment": "很好"}
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.round == 1
    assert AuditEvent.objects.filter(action="survey.answer", target_id=str(survey.pk), actor=case_world["resident"]).exists()


def test_not_solved_reopens_the_case_for_a_new_round_with_the_comment_as_its_reason(case_world, django_capture_on_commit_callbacks):
    w = case_world
    case = closed_case(w, category="facilities")
    survey = invite(followup(case))
    recheck = Survey.objects.get(complaint=case, purpose="case_recheck")
    version = case.version

    with pytest.raises(ApplicationError) as error:
        survey_answer(survey=survey, answers={**SOLVED_ANSWERS, "solved": "not_solved"})
    assert error.value.field == "comment"
    with django_capture_on_commit_callbacks(execute=True):
        survey_answer(survey=survey, answers={**SOLVED_ANSWERS, "solved": "not_solved", "satisfaction": "dissatisfied",
                                              "comment": "灯又不亮了"})
    case.refresh_from_db()
    assert (case.status, case.round, case.redo_count) == (Status.ACCEPTED, 2, 1)
    assert case.version > version and case.closed_at is None and case.answer == ""
    event = TimelineEvent.objects.get(complaint=case, kind="reopened_by_survey")
    assert (event.from_status, event.to_status, event.note, event.actor) == ("closed", "accepted", "灯又不亮了", w["resident"])
    assert event.data["survey"] == survey.pk
    assert Notification.objects.filter(key=f"case:{case.pk}:event:{event.pk}", user=w["community_staff"]).exists()
    survey.refresh_from_db()
    assert (survey.status, survey.solved) == ("answered", "not_solved")
    recheck.refresh_from_db()
    assert recheck.status == "cancelled"  # "still fixed?" is moot while it is handled again

    # Handled and closed again: the answered follow-up stays; the withdrawn recheck is scheduled anew.
    dispatch = services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind="department",
                                           department=w["department"])
    services.dispatch_acknowledge(dispatch=dispatch, actor=w["department_staff"])
    services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="换了灯泡")
    services.complaint_verify(complaint=case, actor=w["community_staff"], passed=True)
    services.complaint_confirm(complaint=case, actor=w["resident"], answer=Answer.SOLVED, rating=Rating.SATISFIED)
    case.refresh_from_db()
    recheck.refresh_from_db()
    assert recheck.status == "scheduled" and recheck.invite_at == case.closed_at + timedelta(days=28)
    assert Survey.objects.filter(complaint=case).count() == 2


def test_a_recheck_saying_it_came_back_reopens_the_case(case_world):
    case = closed_case(case_world, category="facilities")
    survey_answer(survey=invite(followup(case)), answers=SOLVED_ANSWERS)
    recheck = invite(Survey.objects.get(complaint=case, purpose="case_recheck"))
    answered = survey_answer(survey=recheck, answers={"still_fixed": "no", "comment": "又坏了"})
    assert answered.still_fixed is False
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert TimelineEvent.objects.get(complaint=case, kind="reopened_by_survey").note == "又坏了"


def test_an_expired_or_answered_survey_cannot_be_answered(case_world):
    survey = invite(followup(closed_case(case_world, category="illegal_building")))
    scheduling.surveys_sweep(now=survey.expires_at)
    with pytest.raises(ApplicationError) as error:
        survey_answer(survey=survey, answers=SOLVED_ANSWERS)
    assert error.value.code == "gone"

    other = invite(followup(closed_case(case_world, category="illegal_building")))
    survey_answer(survey=other, answers=SOLVED_ANSWERS)
    with pytest.raises(ApplicationError) as error:
        survey_answer(survey=other, answers={**SOLVED_ANSWERS, "solved": "not_solved", "comment": "x"})
    assert error.value.code == "gone"
    assert Survey.objects.get(pk=other.pk).solved == "solved"


def test_a_survey_past_its_end_cannot_be_answered_even_before_the_sweeper_expires_it(case_world):
    survey = invite(followup(closed_case(case_world, category="illegal_building")))
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(seconds=1),
                                               invite_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ApplicationError) as error:
        survey_answer(survey=survey, answers=SOLVED_ANSWERS)
    assert error.value.code == "gone"


@pytest.mark.parametrize(("answers", "field"), [
    ({**SOLVED_ANSWERS, "speed": 6}, "speed"),
    ({**SOLVED_ANSWERS, "speed": "很快"}, "speed"),
    ({**SOLVED_ANSWERS, "solved": "maybe"}, "solved"),
    ({k: v for k, v in SOLVED_ANSWERS.items() if k != "attitude"}, "attitude"),
    ({**SOLVED_ANSWERS, "comment": "长" * 1001}, "comment"),
])
def test_answers_are_checked_against_the_frozen_questions(case_world, answers, field):
    survey = invite(followup(closed_case(case_world, category="illegal_building")))
    with pytest.raises(ApplicationError) as error:
        survey_answer(survey=survey, answers=answers)
    assert error.value.field == field
    assert Survey.objects.get(pk=survey.pk).status == "invited"


def test_only_the_recipient_may_answer_when_logged_in(case_world):
    survey = invite(followup(closed_case(case_world, category="illegal_building")))
    with pytest.raises(ApplicationError) as error:
        survey_answer(survey=survey, answers=SOLVED_ANSWERS, actor=case_world["community_staff"])
    assert error.value.code == "forbidden"
    assert survey_answer(survey=survey, answers=SOLVED_ANSWERS, actor=case_world["resident"]).status == "answered"


def test_editing_a_template_does_not_change_surveys_already_created(case_world):
    survey = followup(closed_case(case_world, category="illegal_building"))
    template = survey.template
    template.questions.filter(key="speed").update(text="改过的问题")
    survey.refresh_from_db()
    assert next(q for q in survey.questions if q["key"] == "speed")["text"] == "办理速度（1-5分）"
    with pytest.raises(ApplicationError):
        survey_question_delete(question=template.questions.get(key="solved"), actor=case_world["community_staff"])


# --- figures -----------------------------------------------------------------------------------


def test_solved_and_satisfied_rates_combine_confirmations_and_survey_answers(case_world):
    w = case_world
    now = timezone.now()
    a, b, e = (case_in(w, Status.CLOSED) for _ in range(3))
    c, d = (case_in(w, Status.CLOSED_UNCONFIRMED) for _ in range(2))
    open_case = file_case(w)
    Complaint.objects.filter(pk=b.pk).update(answer="partly", rating="basically")
    Survey.objects.filter(complaint__in=[a, b, c, d, e]).delete()

    def answered(case, purpose, days, **result):
        return Survey.objects.create(
            template=SurveyTemplate.objects.get(kind=purpose), recipient=w["resident"], purpose=purpose, complaint=case,
            status="answered", invite_at=now, expires_at=now + timedelta(days=14),
            answered_at=now + timedelta(days=days), **result)

    answered(b, "case_followup", 7, solved="solved", satisfaction="dissatisfied")  # later than its confirmation
    answered(d, "case_followup", 7, solved="solved", satisfaction="basically")
    answered(e, "case_recheck", 28, still_fixed=False)
    Survey.objects.create(template=SurveyTemplate.objects.get(kind="case_followup"), recipient=w["resident"],
                          purpose="case_followup", complaint=open_case, status="invited", invite_at=now,
                          expires_at=now + timedelta(days=1))
    # a: confirmed solved + satisfied → solved, satisfied
    # b: confirmed partly + basically, then the follow-up says solved + dissatisfied → solved, not satisfied
    # c: unconfirmed, no answer → not solved, no satisfaction word
    # d: unconfirmed, the follow-up says solved + basically → solved, satisfied
    # e: confirmed solved + satisfied, then the recheck says it came back → not solved, satisfied
    figures = stats.case_figures(Complaint.objects.all())
    assert figures == {"closed": 5, "solved": 3, "solved_rate": 60.0, "rated": 4, "satisfied": 3, "satisfied_rate": 75.0}
    assert stats.case_figures(Complaint.objects.filter(pk=c.pk)) == {
        "closed": 1, "solved": 0, "solved_rate": 0.0, "rated": 0, "satisfied": 0, "satisfied_rate": None}
    assert stats.case_figures(Complaint.objects.none())["solved_rate"] is None


def test_only_a_closed_case_is_reopened_by_a_survey(case_world):
    """The ALLOWED row "reopen_from_survey", state by state."""
    w = case_world
    template = SurveyTemplate.objects.get(key="case-followup")
    now = timezone.now()
    for status in Status.values:
        case = case_in(w, status)
        Survey.objects.filter(complaint=case).delete()
        survey = Survey.objects.create(template=template, recipient=w["resident"], purpose="case_followup", complaint=case,
                                       status="answered", solved="not_solved", invite_at=now,
                                       expires_at=now + timedelta(days=1), answered_at=now)
        before = (case.version, TimelineEvent.objects.filter(complaint=case).count())
        if status in services.ALLOWED["reopen_from_survey"]:
            services.complaint_reopen_from_survey(complaint=case, survey=survey, reason="没修好")
            case.refresh_from_db()
            assert (case.status, case.round) == (Status.ACCEPTED, 2)
        else:
            with pytest.raises(ApplicationError) as refused:
                services.complaint_reopen_from_survey(complaint=case, survey=survey, reason="没修好")
            assert refused.value.code == "conflict"
            case.refresh_from_db()
            assert (case.status, case.version, TimelineEvent.objects.filter(complaint=case).count()) == (status, *before)
    assert services.ALLOWED["reopen_from_survey"] == {Status.CLOSED, Status.CLOSED_UNCONFIRMED}


def test_a_resident_with_an_e_mail_address_is_invited_by_sms_and_by_e_mail(case_world):
    resident = case_world["resident"]
    type(resident).objects.filter(pk=resident.pk).update(email="resident@example.cn")
    survey = invite(followup(closed_case(case_world, category="illegal_building")))
    rows = OutboxMessage.objects.filter(key=f"survey:{survey.pk}:invite").order_by("channel")
    assert [(m.channel, m.address) for m in rows] == [("email", "resident@example.cn"), ("sms", resident.phone)]
    assert f"/surveys/{survey.pk}/" in rows[0].body

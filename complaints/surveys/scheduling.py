"""The survey sweeper, run by beat (complaints.tasks.sweep_surveys): due times are columns, nothing waits
in the broker.

Each pass, in small batches locked with SELECT … FOR UPDATE SKIP LOCKED (so any number of workers may
sweep at once, each row in one worker's hands):
- expiry: scheduled or invited surveys past expires_at → expired; running campaigns past their end finish;
- invitation: scheduled surveys with invite_at due → invited, with an inbox message and an SMS carrying
  the signed link (key "survey:<id>:invite");
- reminder: invited surveys with remind_at due and not yet reminded → reminded_at set, an inbox message
  and an SMS (key "survey:<id>:remind"), skipped for people who turned reminders off.
Answered, expired and cancelled surveys are never touched.

Exactly once: the status change and the messages (inbox rows and outbox rows) are written in the SAME
transaction, not on commit, so a worker killed at any point either did both or neither; the next sweep
takes over what it left. Repeats are impossible twice over: a moved row no longer matches, and the
message keys are unique per recipient. The outbox (core.outbox) then sends each SMS once.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_noop

from core import outbox
from core.errors import ApplicationError
from core.models import DeliveryPreference, Notification, OutboxMessage
from governance.dashboards import rollup

from ..models import Campaign, Survey
from . import services, tokens

S = Survey.Status


def _title(survey: Survey) -> tuple[str, dict]:
    if survey.purpose == Survey.Purpose.CASE_FOLLOWUP:
        return gettext_noop("How did case %(number)s go? Please answer a one-minute survey"), {
            "number": survey.complaint.number}
    if survey.purpose == Survey.Purpose.CASE_RECHECK:
        return gettext_noop("Is the problem of case %(number)s still fixed? Please tell us"), {
            "number": survey.complaint.number}
    return gettext_noop("Please answer the survey “%(name)s”"), {"name": survey.campaign.name if survey.campaign_id
                                                                 else survey.template.name}


REMINDER = gettext_noop("Reminder: your survey is open until %(date)s")


def _message(survey: Survey, *, key: str, title: str, params: dict, reminder: bool, opted_out: set[int]):
    """The inbox row and the outgoing SMS (and e-mail, if the person gave an address) for one survey, as
    notify() would write them, in this transaction."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(title) % params
    path = tokens.survey_path(survey)
    link = f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"
    about = survey.complaint.title if survey.complaint_id else ""
    inbox = Notification(user_id=survey.recipient_id, key=key, title=text[:120], body=about[:300], url=path[:200])
    outgoing = []
    if not (reminder and survey.recipient_id in opted_out):
        Channel = OutboxMessage.Channel
        outgoing.append(OutboxMessage(recipient_id=survey.recipient_id, channel=Channel.SMS, key=key[:120],
                                      subject=text[:120], body=f"{text} {link}"[:500], address=survey.recipient.phone))
        if survey.recipient.email:
            outgoing.append(OutboxMessage(recipient_id=survey.recipient_id, channel=Channel.EMAIL, key=key[:120],
                                          subject=text[:120], body=f"{text}\n\n{about}\n\n{link}"[:500],
                                          address=survey.recipient.email))
    return inbox, outgoing


def _send(messages: list) -> None:
    Notification.objects.bulk_create([inbox for inbox, _outgoing in messages], ignore_conflicts=True)
    outbox.queue([m for _inbox, outgoing in messages for m in outgoing])


def _locked(qs, limit: int) -> list[Survey]:
    return list(
        qs.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "complaint", "campaign", "template")
        .order_by("id")[:limit]
    )


def _expire_batch(now: datetime, limit: int) -> int:
    with transaction.atomic():
        due = _locked(Survey.objects.filter(status__in=[S.SCHEDULED, S.INVITED], expires_at__lte=now), limit)
        Survey.objects.filter(pk__in=[s.pk for s in due]).update(status=S.EXPIRED, updated_at=now)
        rollup.enqueue([s.complaint_id for s in due])  # case follow-ups count in the dashboards
    return len(due)


def _invite_batch(now: datetime, limit: int) -> int:
    with transaction.atomic():
        due = _locked(Survey.objects.filter(status=S.SCHEDULED, invite_at__lte=now, expires_at__gt=now), limit)
        messages = []
        for survey in due:
            survey.status, survey.invited_at = S.INVITED, now
            if survey.remind_at is not None and survey.remind_at <= now:
                # Invited late (a stopped sweeper, a campaign launched after its start): keep the gap.
                later = now + (survey.remind_at - survey.invite_at)
                survey.remind_at = later if later < survey.expires_at else None
            title, params = _title(survey)
            messages.append(_message(survey, key=f"survey:{survey.pk}:invite", title=title, params=params,
                                     reminder=False, opted_out=set()))
        Survey.objects.bulk_update(due, ["status", "invited_at", "remind_at", "updated_at"])
        rollup.enqueue([s.complaint_id for s in due])
        _send(messages)
    return len(due)


def _remind_batch(now: datetime, limit: int) -> int:
    with transaction.atomic():
        due = _locked(
            Survey.objects.filter(status=S.INVITED, remind_at__lte=now, reminded_at__isnull=True, expires_at__gt=now),
            limit,
        )
        opted_out = set(DeliveryPreference.objects.filter(
            user_id__in=[s.recipient_id for s in due], reminders_opt_out=True
        ).values_list("user_id", flat=True))
        messages = []
        for survey in due:
            survey.reminded_at = now
            params = {"date": date_format(timezone.localtime(survey.expires_at), "SHORT_DATETIME_FORMAT")}
            messages.append(_message(survey, key=f"survey:{survey.pk}:remind", title=REMINDER, params=params,
                                     reminder=True, opted_out=opted_out))
        Survey.objects.bulk_update(due, ["reminded_at", "updated_at"])
        _send(messages)
    return len(due)


def _finish_campaigns(now: datetime) -> int:
    finished = 0
    for campaign in Campaign.objects.filter(status=Campaign.Status.RUNNING, ends_at__lte=now).order_by("id")[:20]:
        try:
            services.campaign_finish(campaign=campaign, actor=None, now=now)
            finished += 1
        except ApplicationError:
            pass  # finished meanwhile by a person or another worker
    return finished


def surveys_sweep(*, now: datetime | None = None, budget: float | None = None) -> dict[str, int]:
    """Expire, invite and remind what is due, a batch at a time, until nothing is due or `budget` seconds
    (one sweep interval) are spent; the next beat carries on. Safe on any number of workers at once.
    `now` fixes the clock (tests); otherwise each batch reads it."""
    counts = {"expired": 0, "invited": 0, "reminded": 0, "campaigns_finished": 0}
    limit = settings.SURVEY_SWEEP_BATCH
    stop = time.monotonic() + (settings.SWEEP_SECONDS if budget is None else budget)
    counts["campaigns_finished"] = _finish_campaigns(now or timezone.now())
    for name, step in (("expired", _expire_batch), ("invited", _invite_batch), ("reminded", _remind_batch)):
        while time.monotonic() < stop:
            done = step(now or timezone.now(), limit)
            counts[name] += done
            if done < limit:
                break
    return counts

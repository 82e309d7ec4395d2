"""Outgoing SMS and e-mail: queued when the event commits, delivered by the beat sweeper, in effect once.

A message goes pending → sending (a lease) → delivered; a failure goes back to pending with back-off, and
after OUTBOX_MAX_ATTEMPTS to failed; a message with no address is skipped at once.

Guarantees, and how:
- Queued once. `queue()` runs on commit with ignore_conflicts on the unique (recipient, channel, key).
- Never in two workers' hands. A sweep claims a small batch with SELECT … FOR UPDATE SKIP LOCKED and, in the
  same short transaction, marks it sending with a lease (next_attempt_at = now + OUTBOX_LEASE_SECONDS,
  attempts + 1). It sends after that commit, holding no lock, and records the outcome only while it still
  holds that claim (status sending, same attempt number), so a late worker never overwrites a newer claim.
- Never lost. A worker killed after claiming leaves the row sending; when the lease ends, the next sweep
  claims it again. No countdowns or ETAs: the due time is a column, and beat sweeps it.
- Never delivered twice in effect. The one window left is "sent, then killed before the mark committed":
  the message is sent again after the lease. Every send carries the idempotency key "outbox-<id>", and a
  backend that honours it (the file and locmem SMS backends; a provider's dedupe id) suppresses the repeat,
  so the phone gets it once and the row becomes delivered. The console SMS backend and SMTP cannot tell a
  repeat and are at-least-once in that window (e-mail carries the key as its Message-ID).
- Back-off: attempt n fails → retry after OUTBOX_RETRY_SECONDS × 2^(n-1) (1, 2, 4, 8 … minutes).
- Quiet hours: no SMS while SMS_QUIET_HOURS (local time, default 22:00–08:00); due ones wait until the end.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import channels
from .models import OutboxMessage

SMS = OutboxMessage.Channel.SMS
PENDING, SENDING, DELIVERED, FAILED, SKIPPED = (
    OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING, OutboxMessage.Status.DELIVERED,
    OutboxMessage.Status.FAILED, OutboxMessage.Status.SKIPPED,
)


def quiet_until(at: datetime) -> datetime | None:
    """When the SMS quiet hours around `at` end (local time), or None if `at` is not in quiet hours."""
    if not settings.SMS_QUIET_HOURS:
        return None
    start, end = settings.SMS_QUIET_HOURS
    local = timezone.localtime(at)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    until = local.replace(hour=end, minute=0, second=0, microsecond=0)
    return until if until > local else until + timedelta(days=1)


def first_due(channel: str, now: datetime) -> datetime:
    return (channel == SMS and quiet_until(now)) or now


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=settings.OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0))


def queue(messages: list[OutboxMessage], *, now: datetime | None = None) -> None:
    """Insert messages once (a repeated key is ignored); no address means skipped, with the reason."""
    now = now or timezone.now()
    for m in messages:
        if m.address:
            m.status, m.next_attempt_at = PENDING, first_due(m.channel, now)
        else:
            # An operator's note, not shown to residents: kept in English whatever the language.
            m.status, m.last_error = SKIPPED, "no e-mail address" if m.channel == OutboxMessage.Channel.EMAIL else "no phone number"
    OutboxMessage.objects.bulk_create(messages, ignore_conflicts=True)


def _claim(now: datetime, limit: int) -> list[OutboxMessage]:
    """Lock a batch of due messages nobody else holds and lease them to this worker, in one short transaction."""
    with transaction.atomic():
        due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
            status__in=[PENDING, SENDING], next_attempt_at__lte=now
        )
        if quiet_until(now):
            due = due.exclude(channel=SMS)
        batch = list(due.order_by("next_attempt_at", "id")[:limit])
        claimed = []
        for m in batch:
            if m.status == SENDING and m.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                m.status, m.last_error = FAILED, "the worker stopped while sending the last attempt"
            else:
                m.status, m.attempts = SENDING, m.attempts + 1
                m.next_attempt_at = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
                claimed.append(m)
        OutboxMessage.objects.bulk_update(batch, ["status", "attempts", "next_attempt_at", "last_error"])
    return claimed


def _send(m: OutboxMessage) -> bool:
    key = f"outbox-{m.pk}"
    if m.channel == SMS:
        return channels.sms_backend().send(key=key, phone=m.address, text=m.body)
    return channels.send_email(key=key, address=m.address, subject=m.subject, body=m.body)


def _settle(m: OutboxMessage, **fields) -> bool:
    """Record an outcome only while this worker still holds the claim it made."""
    return bool(OutboxMessage.objects.filter(pk=m.pk, status=SENDING, attempts=m.attempts).update(**fields))


def deliver(m: OutboxMessage, now: datetime) -> str:
    """Send one claimed message and record the outcome: "delivered", "repeat" (suppressed), "retry" or "failed"."""
    try:
        fresh = _send(m)
    except Exception as error:  # noqa: BLE001 - any backend failure is retried
        reason = f"{type(error).__name__}: {error}"[:300]
        if m.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            _settle(m, status=FAILED, last_error=reason)
            return "failed"
        _settle(m, status=PENDING, last_error=reason, next_attempt_at=now + retry_delay(m.attempts))
        return "retry"
    _settle(m, status=DELIVERED, delivered_at=now, last_error="")
    return "delivered" if fresh else "repeat"


def deliver_due(*, now: datetime | None = None, budget: float | None = None) -> dict[str, int]:
    """Send due messages, a batch at a time, until none is due or `budget` seconds (one sweep interval) are spent.

    The next beat carries on where this one stopped. Safe on any number of workers at once.
    `now` fixes the clock (tests); otherwise each batch reads it.
    """
    counts = {"delivered": 0, "repeat": 0, "retry": 0, "failed": 0, "deferred": 0}
    at = now or timezone.now()
    if until := quiet_until(at):
        counts["deferred"] = OutboxMessage.objects.filter(channel=SMS, status=PENDING, next_attempt_at__lt=until).update(
            next_attempt_at=until
        )
    stop = time.monotonic() + (settings.SWEEP_SECONDS if budget is None else budget)
    while time.monotonic() < stop:
        at = now or timezone.now()
        if not (batch := _claim(at, settings.OUTBOX_BATCH)):
            break
        for m in batch:
            counts[deliver(m, at)] += 1
    return counts

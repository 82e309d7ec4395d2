"""The in-app inbox: one call to notify people, sent when the transaction commits, never twice.

With `channels` including "sms" or "email", the caller's transaction also writes an outgoing message per
person to the outbox (core.outbox sends it; see there for the delivery guarantees). A `reminder` skips people who
turned reminders off (DeliveryPreference); their inbox still gets it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation

from . import outbox
from .models import DeliveryPreference, Notification, OutboxMessage

OUTGOING = (OutboxMessage.Channel.SMS, OutboxMessage.Channel.EMAIL)


def notify(
    *, users: Iterable, key: str, title: str, params: dict | None = None, body: str = "", url: str = "",
    channels: Iterable[str] = ("inbox",), reminder: bool = False,
) -> None:
    """Queue an inbox message for each user once the current transaction commits.

    `title` is an English message id (mark it with gettext_noop); it is stored translated into the
    portal's language. `key` + recipient is unique, so a repeated event never notifies twice.
    The inbox always gets the message; "sms" / "email" in `channels` also queue those, once per key.
    """
    recipients = {u.pk for u in users if u is not None}
    if not recipients:
        return
    outgoing = [c for c in OUTGOING if c in set(channels)]
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(title) % (params or {})

    if outgoing:
        # In the caller's transaction (a transactional outbox): the message exists if and only if the change
        # that caused it committed, so a crash right after the commit loses nothing.
        _queue_outgoing(recipients, outgoing, key=key, text=text, body=body, reminder=reminder)

    def send() -> None:
        Notification.objects.bulk_create(
            [Notification(user_id=pk, key=key, title=text[:120], body=body[:300], url=url) for pk in sorted(recipients)],
            ignore_conflicts=True,
        )

    transaction.on_commit(send)


def _queue_outgoing(recipients: set[int], outgoing: list[str], *, key: str, text: str, body: str, reminder: bool) -> None:
    people = get_user_model().objects.filter(pk__in=recipients).order_by("pk")
    if reminder:
        people = people.exclude(pk__in=DeliveryPreference.objects.filter(reminders_opt_out=True).values("user_id"))
    messages = []
    for person in people:
        for channel in outgoing:
            address = person.phone if channel == OutboxMessage.Channel.SMS else getattr(person, "email", "") or ""
            messages.append(OutboxMessage(
                recipient=person, channel=channel, key=key[:120], subject=text[:120],
                body=(f"{text} {body}".strip() if channel == OutboxMessage.Channel.SMS else body or text)[:500],
                address=address,
            ))
    outbox.queue(messages)

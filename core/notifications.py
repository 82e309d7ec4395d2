"""The in-app inbox: one call to notify people, sent when the transaction commits, never twice."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import translation

from .models import Notification


def notify(*, users: Iterable, key: str, title: str, params: dict | None = None, body: str = "", url: str = "") -> None:
    """Queue an inbox message for each user once the current transaction commits.

    `title` is an English message id (mark it with gettext_noop); it is stored translated into the
    portal's language. `key` + recipient is unique, so a repeated event never notifies twice.
    """
    recipients = {u.pk for u in users if u is not None}
    if not recipients:
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(title) % (params or {})

    def send() -> None:
        Notification.objects.bulk_create(
            [Notification(user_id=pk, key=key, title=text[:120], body=body[:300], url=url) for pk in sorted(recipients)],
            ignore_conflicts=True,
        )

    transaction.on_commit(send)

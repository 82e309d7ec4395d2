"""Reading the in-app inbox: marking messages read. Only ever the user's own messages."""

from __future__ import annotations

from django.utils import timezone

from .models import Notification


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the user's messages read (or all of them when no id is given); return how many changed.

    A message of someone else is never touched: it simply does not match.
    """
    qs = Notification.objects.unread().filter(user_id=user.pk)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())

"""Reading the in-app inbox: marking messages read (only ever the user's own), and delivery preferences."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .audit import audit
from .models import DeliveryPreference, Notification


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    """Mark one of the user's messages read (or all of them when no id is given); return how many changed.

    A message of someone else is never touched: it simply does not match.
    """
    qs = Notification.objects.unread().filter(user_id=user.pk)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def delivery_preference_set(*, user, reminders_opt_out: bool, actor, email: str | None = None) -> DeliveryPreference:
    """Turn SMS/e-mail reminders off or on for `user` (the inbox always gets them) and, when given, set the
    e-mail address messages also go to (empty: none). Audited when something changes."""
    with transaction.atomic():
        if email is not None and email.strip() != user.email:
            get_user_model().objects.filter(pk=user.pk).update(email=email.strip())
            user.email = email.strip()
            audit(actor=actor, action="user.email_changed", target=user, has_email=bool(user.email))
        preference, _ = DeliveryPreference.objects.select_for_update().get_or_create(user=user)
        if preference.reminders_opt_out != reminders_opt_out:
            preference.reminders_opt_out = reminders_opt_out
            preference.save(update_fields=["reminders_opt_out", "updated_at"])
            audit(actor=actor, action="delivery_preference.changed", target=preference, reminders_opt_out=reminders_opt_out)
    return preference

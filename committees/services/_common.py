from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import ApplicationError

from ..models import Meeting


def forbid_unless(condition: bool) -> None:
    if not condition:
        raise ApplicationError(_("You may not do this."), code="forbidden")


def lock_meeting(meeting: Meeting, *, version: int | None = None) -> Meeting:
    """Re-read the meeting under a row lock; a stale `version` means someone else acted first."""
    locked = Meeting.objects.select_for_update().select_related("compound").get(pk=meeting.pk)
    if version is not None and version != locked.version:
        raise ApplicationError(_("Someone else changed this meeting meanwhile. Reload the page and try again."), code="conflict")
    return locked


def require_status(meeting: Meeting, *statuses: str) -> None:
    if meeting.status not in statuses:
        raise ApplicationError(
            _("This cannot be done now: the meeting is “%(status)s”.") % {"status": meeting.get_status_display()}, code="conflict"
        )


def bump(meeting: Meeting, **fields) -> None:
    for name, value in fields.items():
        setattr(meeting, name, value)
    meeting.version += 1
    meeting.save(update_fields=[*fields, "version", "updated_at"])

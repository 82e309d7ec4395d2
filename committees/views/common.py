"""What the meeting pages share: fetching in scope (404 otherwise), the convener check, badges, page sizes."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from .. import permissions, tally
from ..models import (
    AgendaItem,
    Meeting,
)
from ..services.electorate import meeting_units

Status = Meeting.Status
STATUS_BADGES = {
    Status.DRAFT: "text-bg-secondary",
    Status.NOTICED: "text-bg-primary",
    Status.CLOSED: "text-bg-success",
    Status.CANCELLED: "text-bg-dark",
}
HOUSEHOLD_RULES = (tally.HOUSEHOLD_MAJORITY, tally.CONSENSUS)


def get_meeting(request: HttpRequest, pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.visible_to(request.user).select_related("compound", "building"), pk=pk)


def get_item(meeting: Meeting, item_pk: int) -> AgendaItem:
    item = get_object_or_404(AgendaItem.objects.filter(meeting=meeting), pk=item_pk)
    item.meeting = meeting
    return item


def require_manager(request: HttpRequest, meeting: Meeting) -> None:
    if not permissions.can_manage_meeting(request.user, meeting):
        raise PermissionDenied


def decorate(meeting: Meeting, now) -> Meeting:
    meeting.badge = STATUS_BADGES.get(meeting.status, "text-bg-secondary")
    meeting.voting_now = meeting.voting_is_open(now)
    meeting.counting_due = bool(meeting.status == Status.NOTICED and meeting.has_vote and meeting.vote_closes_at <= now)
    return meeting


def detail_url(meeting: Meeting, item: AgendaItem | None = None) -> str:
    url = reverse("committees:meeting", args=[meeting.pk])
    return f"{url}#item-{item.pk}" if item is not None else url


def unit_choices(meeting: Meeting):
    return meeting_units(meeting).select_related("building").order_by("building__name", "entrance", "number")


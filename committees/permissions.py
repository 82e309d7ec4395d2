"""Who may do what with meetings, items and ballots. Pages, API views and services all ask these."""

from __future__ import annotations

from django.utils import timezone

from complaints.permissions import lives_in
from governance.models import Compound, Role, RoleAssignment

from .models import AgendaItem, Elector, Meeting
from .models.meetings import convener_compound_ids


def can_convene(user, compound: Compound) -> bool:
    """Committee members, the party-branch secretary and managing staff convene meetings in a compound."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return convener_compound_ids(user).filter(id=compound.pk).exists()


def convenable_compounds(user):
    if user.is_superuser:
        return Compound.objects.all()
    return Compound.objects.filter(id__in=convener_compound_ids(user))


def can_manage_meeting(user, meeting: Meeting) -> bool:
    return can_convene(user, meeting.compound)


def is_party_secretary(user, compound: Compound) -> bool:
    if user.is_superuser:
        return True
    return RoleAssignment.objects.active().filter(user_id=user.pk, role=Role.PARTY_SECRETARY, compound_id=compound.pk).exists()


def can_give_party_opinion(user, item: AgendaItem) -> bool:
    meeting = item.meeting
    return meeting.status in (Meeting.Status.DRAFT, Meeting.Status.NOTICED) and is_party_secretary(user, meeting.compound)


def can_take_part(user, meeting: Meeting) -> bool:
    """Residents of the compound and its conveners read the notice, discuss and object."""
    return lives_in(user, meeting.compound) or can_convene(user, meeting.compound)


def can_comment(user, item: AgendaItem) -> bool:
    meeting = item.meeting
    return meeting.status == Meeting.Status.NOTICED and can_take_part(user, meeting)


def electors_of(user, meeting: Meeting):
    """Return the user's own votes in this meeting (one per owner; one per household at building meetings)."""
    return Elector.objects.filter(meeting=meeting, user_id=user.pk)


def can_vote(user, meeting: Meeting, at=None) -> bool:
    return meeting.voting_is_open(at) and electors_of(user, meeting).exists()


def is_teller(user, meeting: Meeting) -> bool:
    return meeting.tellers.filter(pk=user.pk).exists()


def can_enter_paper(user, meeting: Meeting, at=None) -> bool:
    return meeting.voting_is_open(at) and is_teller(user, meeting)


def can_object(user, meeting: Meeting, at=None) -> bool:
    """Objections to the posted electorate are taken until voting opens."""
    at = at or timezone.now()
    return (
        meeting.status == Meeting.Status.NOTICED and meeting.has_vote and at < meeting.vote_opens_at
        and can_take_part(user, meeting)
    )

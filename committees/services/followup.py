"""After the meeting: resolutions become tasks (or cases), contributions are ledgered; owners petition for assemblies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from complaints.models import PlaceKind
from complaints.services import complaint_file
from core.audit import audit
from core.errors import ApplicationError
from core.notifications import notify
from governance.models import Compound, Role, RoleAssignment, Unit
from residents.models import Ownership, User

from .. import permissions
from ..models import (
    ActionItem,
    AgendaItem,
    AssemblyPetition,
    CommitteeMember,
    Contribution,
    Meeting,
    PetitionSignature,
)
from ._common import forbid_unless

# 业主大会议事规则: owners holding 20% or more may require an extraordinary assembly.
PETITION_SHARE = (1, 5)


@transaction.atomic
def action_create(
    *, meeting: Meeting, actor, title: str, party: str, due_date: date, description: str = "",
    assignee=None, item: AgendaItem | None = None,
) -> ActionItem:
    """Turn a resolution into a task with a party, a person and a due date (conveners, once the notice is out)."""
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    if meeting.status not in (Meeting.Status.NOTICED, Meeting.Status.CLOSED):
        raise ApplicationError(_("Tasks follow from a published meeting."), code="conflict")
    if not title.strip():
        raise ApplicationError(_("Say what is to be done."), field="title")
    if party not in ActionItem.Party.values:
        raise ApplicationError(_("Say who does it."), field="party")
    if due_date is None:
        raise ApplicationError(_("Give a due date."), field="due_date")
    if item is not None and item.meeting_id != meeting.pk:
        raise ApplicationError(_("This item belongs to another meeting."), field="item")
    action = ActionItem.objects.create(
        meeting=meeting, item=item, title=title.strip(), description=description.strip(), party=party,
        assignee=assignee, due_date=due_date, created_by=actor,
    )
    audit(actor=actor, action="action.create", target=action, party=party, due_date=str(due_date))
    if assignee is not None:
        notify(users=[assignee], key=f"action:{action.pk}:assigned", title=gettext_noop("New task for you: %(title)s"),
               params={"title": action.title}, url=reverse("committees:meeting", args=[meeting.pk]))
    return action


@transaction.atomic
def action_complete(*, action: ActionItem, actor, note: str = "") -> ActionItem:
    action = ActionItem.objects.select_for_update().select_related("meeting__compound").get(pk=action.pk)
    forbid_unless(permissions.can_manage_meeting(actor, action.meeting) or action.assignee_id == actor.pk)
    if action.status == ActionItem.Status.DONE:
        raise ApplicationError(_("This task is already done."), code="conflict")
    action.status, action.done_at = ActionItem.Status.DONE, timezone.now()
    action.save(update_fields=["status", "done_at", "updated_at"])
    audit(actor=actor, action="action.complete", target=action, note=note.strip())
    return action


@transaction.atomic
def action_to_case(*, action: ActionItem, actor, category: str, urgency: str = "general") -> ActionItem:
    """File a case in the complaint workflow for a task that needs the property company or a department."""
    action = ActionItem.objects.select_for_update().select_related("meeting__compound").get(pk=action.pk)
    forbid_unless(permissions.can_manage_meeting(actor, action.meeting))
    if action.complaint_id:
        raise ApplicationError(_("A case has already been filed for this task."), code="conflict")
    meeting = action.meeting
    description = action.description or action.title
    complaint = complaint_file(
        actor=actor, compound=meeting.compound, category=category, urgency=urgency, title=action.title[:60],
        description=_("Resolution of “%(meeting)s”: %(text)s") % {"meeting": meeting.title, "text": description},
        place_kind=PlaceKind.BUILDING if meeting.building_id else PlaceKind.PUBLIC_AREA, building=meeting.building,
        hide_name=False,
    )
    action.complaint = complaint
    action.save(update_fields=["complaint", "updated_at"])
    audit(actor=actor, action="action.to_case", target=action, complaint=complaint.number)
    return action


@transaction.atomic
def contribution_record(
    *, action: ActionItem, actor, contributor: str, pledged: Decimal, paid: Decimal, unit: Unit | None = None, note: str = "",
) -> Contribution:
    """Record (or update) a household's pledged and paid share; the ledger is public with the minutes."""
    forbid_unless(permissions.can_manage_meeting(actor, action.meeting))
    if not contributor.strip():
        raise ApplicationError(_("Give the household or party."), field="contributor")
    if pledged < 0:
        raise ApplicationError(_("The amount cannot be negative."), field="pledged")
    if paid < 0:
        raise ApplicationError(_("The amount cannot be negative."), field="paid")
    if unit is not None and unit.building.compound_id != action.meeting.compound_id:
        raise ApplicationError(_("This unit is not in the compound."), field="unit")
    row, created = Contribution.objects.select_for_update().get_or_create(
        action=action, contributor=contributor.strip(),
        defaults={"unit": unit, "pledged": pledged, "paid": paid, "note": note.strip(), "recorded_by": actor},
    )
    if not created:
        before = {"pledged": str(row.pledged), "paid": str(row.paid)}
        row.pledged, row.paid, row.note, row.recorded_by = pledged, paid, note.strip(), actor
        row.unit = unit or row.unit
        row.save()
    else:
        before = None
    audit(actor=actor, action="action.contribution", target=action, contributor=row.contributor,
          before=before, pledged=str(pledged), paid=str(paid))
    return row


def compound_owner_keys(compound: Compound) -> set[str]:
    """Return the owner keys of a compound as an assembly counts them (one per owner, the developer once).

    Like the electorate, each unit counts through its designated voter (else its first verified owner):
    a co-owner who is not the designated voter adds no owner.
    """
    rows = (
        Ownership.objects.current().verified().filter(unit__building__compound=compound)
        .order_by("unit_id", "-is_voter", "id").values_list("unit_id", "user_id", "is_developer")
    )
    voters: dict[int, tuple[int, bool]] = {}
    for unit_id, user_id, developer in rows:
        voters.setdefault(unit_id, (user_id, developer))
    return {"developer" if developer else f"u:{user_id}" for user_id, developer in voters.values()}


def _is_owner(user, compound: Compound) -> bool:
    return Ownership.objects.current().verified().filter(user=user, unit__building__compound=compound).exists()


def _conveners(compound: Compound):
    members = CommitteeMember.objects.current().filter(committee__compound=compound).values("user_id")
    secretaries = RoleAssignment.objects.active().filter(role=Role.PARTY_SECRETARY, compound=compound).values("user_id")
    community = RoleAssignment.objects.active().filter(role=Role.COMMUNITY_STAFF, community_id=compound.community_id).values("user_id")
    return User.objects.filter(Q(pk__in=members) | Q(pk__in=secretaries) | Q(pk__in=community))


@transaction.atomic
def petition_start(*, compound: Compound, actor, title: str, reason: str = "") -> AssemblyPetition:
    """A verified owner asks for an owners' assembly and signs first."""
    forbid_unless(_is_owner(actor, compound))
    if not title.strip():
        raise ApplicationError(_("Say what the assembly should decide."), field="title")
    petition = AssemblyPetition.objects.create(
        compound=compound, title=title.strip(), reason=reason.strip(), created_by=actor,
        owners_total=len(compound_owner_keys(compound)),
    )
    audit(actor=actor, action="petition.start", target=petition)
    petition_sign(petition=petition, actor=actor)
    petition.refresh_from_db()
    return petition


@transaction.atomic
def petition_sign(*, petition: AssemblyPetition, actor) -> AssemblyPetition:
    """Sign a petition; when owners reaching 20% have signed, it is triggered and the conveners are told."""
    petition = AssemblyPetition.objects.select_for_update().select_related("compound").get(pk=petition.pk)
    forbid_unless(_is_owner(actor, petition.compound))
    _sig, created = PetitionSignature.objects.get_or_create(petition=petition, user=actor)
    if not created:
        raise ApplicationError(_("You have already signed."), code="conflict")
    audit(actor=actor, action="petition.sign", target=petition)
    keys = compound_owner_keys(petition.compound)
    signed = petition_signed_owners(petition, keys)
    total = len(keys)
    petition.owners_total, petition.owners_signed = total, signed
    fields = ["owners_total", "owners_signed", "updated_at"]
    if petition.status == AssemblyPetition.Status.OPEN and total and signed * PETITION_SHARE[1] >= total * PETITION_SHARE[0]:
        petition.status, petition.triggered_at = AssemblyPetition.Status.TRIGGERED, timezone.now()
        fields += ["status", "triggered_at"]
        audit(actor=None, action="petition.triggered", target=petition, signed=signed, owners=total)
        notify(users=_conveners(petition.compound), key=f"petition:{petition.pk}:triggered",
               title=gettext_noop("Owners ask for an assembly: %(title)s"), params={"title": petition.title},
               url=reverse("committees:petition", args=[petition.pk]))
    petition.save(update_fields=fields)
    return petition


def petition_signed_owners(petition: AssemblyPetition, keys: set[str] | None = None) -> int:
    """Return how many of the compound's owner keys (compound_owner_keys) have signed, each counted once.

    The developer never counts; co-owners sign through their designated voter, as they vote.
    """
    keys = compound_owner_keys(petition.compound) if keys is None else keys
    signers = petition.signatures.values_list("user_id", flat=True)
    return sum(1 for user_id in signers if f"u:{user_id}" in keys)


@transaction.atomic
def petition_convened(*, petition: AssemblyPetition, meeting: Meeting, actor) -> AssemblyPetition:
    """Link the assembly convened in answer to a petition."""
    petition = AssemblyPetition.objects.select_for_update().get(pk=petition.pk)
    forbid_unless(permissions.can_convene(actor, petition.compound))
    if meeting.compound_id != petition.compound_id or meeting.kind != Meeting.Kind.ASSEMBLY:
        raise ApplicationError(_("Choose an owners' assembly of the same compound."), field="meeting")
    petition.status, petition.meeting = AssemblyPetition.Status.CONVENED, meeting
    petition.save(update_fields=["status", "meeting", "updated_at"])
    audit(actor=actor, action="petition.convened", target=petition, meeting=meeting.pk)
    return petition

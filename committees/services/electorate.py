"""The electorate: taken from verified ownership when the notice is published, posted, corrected on objection."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ApplicationError
from governance.models import Unit
from residents.models import Ownership

from .. import permissions, tally
from ..models import (
    CommitteeMember,
    Elector,
    ElectorateCorrection,
    ElectorateObjection,
    ElectorateUnit,
    Meeting,
)
from ._common import forbid_unless, lock_meeting

Kind = Meeting.Kind


def posted_name(real_name: str) -> str:
    """Return the name as posted on the notice board: the surname and one star per other character."""
    real_name = (real_name or "").strip()
    return real_name[:1] + "*" * max(len(real_name) - 1, 1) if real_name else "*"


def meeting_units(meeting: Meeting):
    units = Unit.objects.filter(building__compound_id=meeting.compound_id)
    if meeting.kind == Kind.BUILDING:
        units = units.filter(building_id=meeting.building_id)
        if meeting.entrance:
            units = units.filter(entrance=meeting.entrance)
    return units


def _voters(meeting: Meeting) -> dict[int, object]:
    """Return unit id -> the verified ownership that votes for it (the designated voter, else the first)."""
    rows = (
        Ownership.objects.current().verified()
        .filter(unit__in=meeting_units(meeting))
        .select_related("user", "unit__building")
        .order_by("unit_id", "-is_voter", "id")
    )
    voters: dict[int, object] = {}
    for ownership in rows:
        voters.setdefault(ownership.unit_id, ownership)
    return voters


def elector_key(meeting: Meeting, ownership) -> str:
    """Return whom a unit's vote belongs to: the developer once, an owner once, or (building meetings) the household."""
    if meeting.kind == Kind.BUILDING:
        return f"unit:{ownership.unit_id}"
    if ownership.is_developer:
        return tally.DEVELOPER_KEY
    return f"u:{ownership.user_id}"


def electorate_snapshot(meeting: Meeting) -> int:
    """Write the meeting's electorate from today's verified ownership; return the number of electors.

    Assemblies: one elector per owner (areas of several units added), the developer's unsold units
    as one; building meetings: one per household (unit); committee meetings: one per member.
    Units without a verified owner are left out and shown on the posted list for objections.
    """
    Elector.objects.filter(meeting=meeting).delete()
    if meeting.kind == Kind.COMMITTEE:
        members = CommitteeMember.objects.current().filter(committee__compound_id=meeting.compound_id).select_related("user")
        Elector.objects.bulk_create(
            [Elector(meeting=meeting, key=f"u:{m.user_id}", user=m.user, label=m.user.real_name, unit_count=0) for m in members]
        )
        return len(members)
    groups: dict[str, list] = defaultdict(list)
    for ownership in _voters(meeting).values():
        groups[elector_key(meeting, ownership)].append(ownership)
    electors, units = [], []
    for key, owned in groups.items():
        first = owned[0]
        area = sum((o.unit.area_m2 or Decimal("0") for o in owned), Decimal("0"))
        label = _("Developer (unsold units)") if key == tally.DEVELOPER_KEY else posted_name(first.user.real_name)
        units_label = "、".join(f"{o.unit.building.name}{o.unit.label}" for o in owned[:6]) + ("…" if len(owned) > 6 else "")
        electors.append(Elector(
            meeting=meeting, key=key, user=first.user, label=label, units_label=units_label[:200],
            is_developer=key == tally.DEVELOPER_KEY, area_m2=area, unit_count=len(owned),
        ))
    Elector.objects.bulk_create(electors, batch_size=2000)
    by_key = {e.key: e for e in electors}
    for key, owned in groups.items():
        for o in owned:
            units.append(ElectorateUnit(
                meeting=meeting, elector=by_key[key], unit=o.unit, area_m2=o.unit.area_m2 or Decimal("0"),
                area_source=o.unit.area_source or "",
            ))
    ElectorateUnit.objects.bulk_create(units, batch_size=2000)
    return len(electors)


def _refresh(elector: Elector) -> None:
    sums = elector.units.aggregate(area=Sum("area_m2"), n=Count("id"))
    if not sums["n"]:
        elector.delete()
        return
    elector.area_m2, elector.unit_count = sums["area"], sums["n"]
    elector.save(update_fields=["area_m2", "unit_count"])


def _before_voting(meeting: Meeting) -> None:
    if meeting.status != Meeting.Status.NOTICED or not meeting.has_vote or timezone.now() >= meeting.vote_opens_at:
        raise ApplicationError(_("The electorate can only be corrected before voting opens."), code="conflict")


@transaction.atomic
def objection_raise(*, meeting: Meeting, actor, text: str, unit: Unit | None = None) -> ElectorateObjection:
    """A resident objects to the posted electorate (until voting opens)."""
    forbid_unless(permissions.can_object(actor, meeting))
    if not text.strip():
        raise ApplicationError(_("Say what is wrong in the list."), field="text")
    if unit is not None and not meeting_units(meeting).filter(pk=unit.pk).exists():
        raise ApplicationError(_("This unit is not part of this meeting."), field="unit")
    objection = ElectorateObjection.objects.create(meeting=meeting, raised_by=actor, unit=unit, text=text.strip())
    audit(actor=actor, action="electorate.object", target=objection)
    return objection


@transaction.atomic
def objection_answer(*, objection: ElectorateObjection, actor, accept: bool, response: str) -> ElectorateObjection:
    """Answer an objection; an accepted one is followed by a logged correction (electorate_correct)."""
    objection = ElectorateObjection.objects.select_for_update().get(pk=objection.pk)
    forbid_unless(permissions.can_manage_meeting(actor, objection.meeting))
    if objection.status != ElectorateObjection.Status.OPEN:
        raise ApplicationError(_("This objection has already been answered."), code="conflict")
    if not response.strip():
        raise ApplicationError(_("Write an answer."), field="response")
    objection.status = ElectorateObjection.Status.ACCEPTED if accept else ElectorateObjection.Status.REJECTED
    objection.response, objection.resolved_by, objection.resolved_at = response.strip(), actor, timezone.now()
    objection.save()
    audit(actor=actor, action="electorate.answer", target=objection, accepted=accept)
    return objection


@transaction.atomic
def electorate_correct(
    *, meeting: Meeting, actor, unit: Unit, reason: str, area_m2: Decimal | None = None, resync_owner: bool = False,
    objection: ElectorateObjection | None = None,
) -> ElectorateCorrection:
    """Correct one unit of the snapshot before voting opens: its area, or its owner re-read from verified
    ownership (after staff fixed the ownership record). Every correction is logged with before and after.
    """
    meeting = lock_meeting(meeting)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    _before_voting(meeting)
    if not reason.strip():
        raise ApplicationError(_("Say why the list is corrected."), field="reason")
    if area_m2 is not None and area_m2 <= 0:
        raise ApplicationError(_("The area must be more than 0 m²."), field="area_m2")
    if not meeting_units(meeting).filter(pk=unit.pk).exists():
        raise ApplicationError(_("This unit is not part of this meeting."), field="unit")
    if objection is not None and objection.meeting_id != meeting.pk:
        raise ApplicationError(_("This objection belongs to another meeting."), field="objection")
    row = ElectorateUnit.objects.select_related("elector").filter(meeting=meeting, unit=unit).first()
    before = {"elector": row.elector.key, "area_m2": str(row.area_m2)} if row else None
    old_elector = row.elector if row else None
    if resync_owner:
        ownership = _voters(meeting).get(unit.pk)
        if ownership is None:
            if row:
                row.delete()
            row = None
        else:
            key = elector_key(meeting, ownership)
            elector, _created = Elector.objects.get_or_create(
                meeting=meeting, key=key,
                defaults={"user": ownership.user, "label": posted_name(ownership.user.real_name),
                          "is_developer": key == tally.DEVELOPER_KEY},
            )
            area = row.area_m2 if row else (unit.area_m2 or Decimal("0"))
            if row:
                row.elector = elector
                row.save(update_fields=["elector"])
            else:
                row = ElectorateUnit.objects.create(meeting=meeting, elector=elector, unit=unit, area_m2=area,
                                                    area_source=unit.area_source or "")
    if area_m2 is not None:
        if row is None:
            raise ApplicationError(_("This unit has no verified owner, so it has no vote to correct."), field="unit")
        row.area_m2, row.area_source = area_m2, row.area_source
        row.save(update_fields=["area_m2"])
    for elector in {e for e in (old_elector, row.elector if row else None) if e is not None}:
        _refresh(elector)
    after = {"elector": row.elector.key, "area_m2": str(row.area_m2)} if row else None
    if before == after:
        raise ApplicationError(_("Nothing changed."), field="reason")
    correction = ElectorateCorrection.objects.create(
        meeting=meeting, unit=unit, objection=objection, before=before, after=after, reason=reason.strip(), made_by=actor
    )
    audit(actor=actor, action="electorate.correct", target=meeting, unit=unit.pk, before=before, after=after)
    return correction

"""Convening a meeting: the draft, its agenda, the notice (which freezes rules and takes the electorate), closing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit
from core.errors import ApplicationError
from core.notifications import notify
from governance.models import Building, Compound
from residents.models import Ownership, Tenancy, User

from .. import permissions, tally
from ..models import AgendaItem, Candidate, Elector, ItemComment, ItemDocument, Meeting
from ._common import bump, forbid_unless, lock_meeting, require_status
from .electorate import electorate_snapshot

# 业主大会议事规则: the notice goes out at least 15 days before the assembly votes.
ASSEMBLY_NOTICE_DAYS = 15
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx")

Kind, Status = Meeting.Kind, Meeting.Status


def meeting_url(meeting: Meeting) -> str:
    return reverse("committees:meeting", args=[meeting.pk])


def _check_window(*, kind: str, starts_at: datetime, vote_opens_at: datetime | None, vote_closes_at: datetime | None) -> None:
    if (vote_opens_at is None) != (vote_closes_at is None):
        raise ApplicationError(_("Give both the opening and the closing time of the vote."), field="vote_closes_at")
    if vote_opens_at is not None and vote_closes_at <= vote_opens_at:
        raise ApplicationError(_("Voting must close after it opens."), field="vote_closes_at")
    if kind == Kind.ASSEMBLY and vote_opens_at is None:
        raise ApplicationError(_("An owners' assembly needs a voting window."), field="vote_opens_at")
    if starts_at is None:
        raise ApplicationError(_("Give the meeting time."), field="starts_at")


@transaction.atomic
def meeting_create(
    *, actor, compound: Compound, kind: str, title: str, convener: str, starts_at: datetime, place: str = "",
    description: str = "", vote_opens_at: datetime | None = None, vote_closes_at: datetime | None = None,
    building: Building | None = None, entrance: str = "", precedence: str = Meeting.Precedence.FIRST_WINS,
) -> Meeting:
    """Create a draft meeting. Only those who may convene in the compound may; bad input names its field."""
    forbid_unless(permissions.can_convene(actor, compound))
    if not title.strip():
        raise ApplicationError(_("Give the meeting a title."), field="title")
    if kind not in Kind.values:
        raise ApplicationError(_("Choose the kind of meeting."), field="kind")
    if convener not in Meeting.Convener.values:
        raise ApplicationError(_("Say who convenes the meeting."), field="convener")
    if precedence not in Meeting.Precedence.values:
        raise ApplicationError(_("Choose a rule for owners who vote twice."), field="precedence")
    if kind == Kind.BUILDING:
        if building is None:
            raise ApplicationError(_("Choose the building."), field="building")
        if building.compound_id != compound.pk:
            raise ApplicationError(_("This building is not in the compound."), field="building")
    else:
        building, entrance = None, ""
    _check_window(kind=kind, starts_at=starts_at, vote_opens_at=vote_opens_at, vote_closes_at=vote_closes_at)
    meeting = Meeting.objects.create(
        compound=compound, building=building, entrance=entrance.strip(), kind=kind, title=title.strip(),
        description=description.strip(), convener=convener, created_by=actor, place=place.strip(), starts_at=starts_at,
        vote_opens_at=vote_opens_at, vote_closes_at=vote_closes_at, precedence=precedence,
    )
    audit(actor=actor, action="meeting.create", target=meeting, kind=kind)
    return meeting


@transaction.atomic
def meeting_update(*, meeting: Meeting, actor, version: int | None = None, **fields) -> Meeting:
    """Change a draft: title, description, place, times, precedence. Published meetings are frozen."""
    meeting = lock_meeting(meeting, version=version)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT)
    allowed = {"title", "description", "place", "starts_at", "vote_opens_at", "vote_closes_at", "precedence", "entrance"}
    unknown = set(fields) - allowed
    if unknown:
        raise ApplicationError(_("This cannot be changed."), field=sorted(unknown)[0])
    merged = {name: fields.get(name, getattr(meeting, name)) for name in allowed}
    if not str(merged["title"]).strip():
        raise ApplicationError(_("Give the meeting a title."), field="title")
    _check_window(kind=meeting.kind, starts_at=merged["starts_at"], vote_opens_at=merged["vote_opens_at"],
                  vote_closes_at=merged["vote_closes_at"])
    bump(meeting, **fields)
    audit(actor=actor, action="meeting.update", target=meeting, fields=sorted(fields))
    return meeting


def _rule_for(meeting: Meeting, *, kind: str, matter: int | None, rule: str | None) -> tuple[int | None, str]:
    """Return (matter, rule): an assembly's rule follows from its Civil Code matter and nothing else."""
    if meeting.kind == Kind.ASSEMBLY:
        if matter is None:
            raise ApplicationError(_("Choose which Civil Code matter this item is."), field="matter")
        try:
            return matter, tally.rule_for_matter(int(matter))
        except ValueError:
            raise ApplicationError(_("Choose which Civil Code matter this item is."), field="matter") from None
    if kind == AgendaItem.Kind.ELECTION:
        raise ApplicationError(_("Committee members are elected by the owners' assembly."), field="kind")
    if matter is not None:
        raise ApplicationError(
            _("Civil Code matters are decided by the owners' assembly, not by this meeting."), field="matter"
        )
    if rule not in (tally.HOUSEHOLD_MAJORITY, tally.CONSENSUS):
        raise ApplicationError(_("Choose how this item is decided."), field="rule")
    return None, rule


@transaction.atomic
def item_add(
    *, meeting: Meeting, actor, title: str, proposer: str, description: str = "", kind: str = AgendaItem.Kind.QUESTION,
    matter: int | None = None, rule: str | None = None, seats: int | None = None,
) -> AgendaItem:
    """Add an agenda item to a draft. Elections are matter 3 of an assembly and need seats."""
    meeting = lock_meeting(meeting)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT)
    if not title.strip():
        raise ApplicationError(_("Give the item a title."), field="title")
    if proposer not in AgendaItem.Proposer.values:
        raise ApplicationError(_("Say who proposed the item."), field="proposer")
    if kind not in AgendaItem.Kind.values:
        raise ApplicationError(_("Choose the kind of item."), field="kind")
    if kind == AgendaItem.Kind.ELECTION:
        matter = 3
        if not seats or not 5 <= int(seats) <= 11:
            raise ApplicationError(_("A committee has 5 to 11 members."), field="seats")
        if int(seats) % 2 == 0:
            raise ApplicationError(_("A committee has an odd number of members."), field="seats")
    else:
        seats = None
    matter, rule = _rule_for(meeting, kind=kind, matter=matter, rule=rule)
    position = (meeting.items.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    item = AgendaItem.objects.create(
        meeting=meeting, position=position, kind=kind, title=title.strip(), description=description.strip(),
        proposer=proposer, proposed_by=actor, matter=matter, rule=rule, seats=seats,
    )
    audit(actor=actor, action="meeting.item_add", target=item, matter=matter, rule=rule)
    return item


@transaction.atomic
def item_remove(*, item: AgendaItem, actor) -> None:
    meeting = lock_meeting(item.meeting)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT)
    audit(actor=actor, action="meeting.item_remove", target=meeting, item=item.pk, title=item.title)
    item.delete()


@transaction.atomic
def candidate_add(*, item: AgendaItem, actor, user, statement: str = "", vetting_note: str = "") -> Candidate:
    """Nominate an owner of the compound as a candidate of a draft election."""
    meeting = lock_meeting(item.meeting)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT)
    if item.kind != AgendaItem.Kind.ELECTION:
        raise ApplicationError(_("Candidates stand only in elections."), field="item")
    owns = Ownership.objects.current().verified().filter(user=user, unit__building__compound_id=meeting.compound_id)
    if not owns.exists():
        raise ApplicationError(_("A candidate must be a verified owner in the compound."), field="user")
    if item.candidates.filter(user=user).exists():
        raise ApplicationError(_("This person is already a candidate."), field="user")
    position = (item.candidates.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    candidate = Candidate.objects.create(
        item=item, user=user, position=position, statement=statement.strip(), is_party_member=user.is_party_member,
        vetting_note=vetting_note.strip(),
    )
    audit(actor=actor, action="meeting.candidate_add", target=item, candidate=user.pk)
    return candidate


@transaction.atomic
def document_add(*, item: AgendaItem, actor, name: str, file) -> ItemDocument:
    """Attach a document (PDF, image, Office file up to 20 MB) to an item until voting closes."""
    meeting = lock_meeting(item.meeting)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT, Status.NOTICED)
    filename = getattr(file, "name", "") or ""
    if not filename.lower().endswith(DOCUMENT_TYPES):
        raise ApplicationError(_("Upload a PDF, a picture or an Office file."), field="file")
    if file.size > MAX_DOCUMENT_BYTES:
        raise ApplicationError(_("The file is larger than 20 MB."), field="file")
    document = ItemDocument.objects.create(item=item, name=(name or filename).strip()[:120], file=file, uploaded_by=actor)
    audit(actor=actor, action="meeting.document_add", target=item, document=document.pk)
    return document


@transaction.atomic
def comment_post(*, item: AgendaItem, actor, body: str) -> ItemComment:
    """Post to an item's discussion while the notice is up. Residents of the compound and conveners may."""
    forbid_unless(permissions.can_comment(actor, item))
    if not body.strip():
        raise ApplicationError(_("Write your comment."), field="body")
    comment = ItemComment.objects.create(item=item, author=actor, body=body.strip()[:2000])
    audit(actor=actor, action="meeting.comment", target=item, comment=comment.pk)
    return comment


@transaction.atomic
def party_opinion_set(*, item: AgendaItem, actor, text: str) -> AgendaItem:
    """The compound's party branch attaches its opinion to an item, before the vote closes."""
    forbid_unless(permissions.can_give_party_opinion(actor, item))
    if not text.strip():
        raise ApplicationError(_("Write the party branch's opinion."), field="text")
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    item.party_opinion, item.party_opinion_by, item.party_opinion_at = text.strip(), actor, timezone.now()
    item.save(update_fields=["party_opinion", "party_opinion_by", "party_opinion_at", "updated_at"])
    audit(actor=actor, action="meeting.party_opinion", target=item)
    return item


@transaction.atomic
def tellers_set(*, meeting: Meeting, actor, tellers) -> Meeting:
    """Name the tellers who enter paper ballots: at least two different people, set before voting closes."""
    meeting = lock_meeting(meeting)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT, Status.NOTICED)
    tellers = list({t.pk: t for t in tellers}.values())
    if len(tellers) < 2:
        raise ApplicationError(_("Name at least two tellers: each paper ballot is entered twice."), field="tellers")
    meeting.tellers.set(tellers)
    bump(meeting)
    audit(actor=actor, action="meeting.tellers", target=meeting, tellers=[t.pk for t in tellers])
    return meeting


def _residents(meeting: Meeting, *extra_ids):
    """Return the verified owners and tenants of the meeting's compound (or building), as one query."""
    units = {"unit__building__compound_id": meeting.compound_id}
    if meeting.kind == Kind.BUILDING:
        units = {"unit__building_id": meeting.building_id}
    owners = Ownership.objects.current().verified().filter(**units).values_list("user_id", flat=True)
    tenants = Tenancy.objects.current().filter(verified_at__isnull=False, **units).values_list("user_id", flat=True)
    return User.objects.filter(Q(pk__in=owners) | Q(pk__in=tenants) | Q(pk__in=list(extra_ids))).only("pk")


@transaction.atomic
def meeting_publish_notice(*, meeting: Meeting, actor, version: int | None = None, now: datetime | None = None) -> Meeting:
    """Publish the notice: freeze the items' rules and the compound's 从众 setting, take the electorate.

    An assembly must publish at least 15 days before voting opens (refused otherwise, naming
    `vote_opens_at`). Residents of the compound (or building) get an inbox message.
    """
    now = now or timezone.now()
    meeting = lock_meeting(meeting, version=version)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT)
    if meeting.has_vote and not meeting.items.exists():
        raise ApplicationError(_("Add at least one agenda item before publishing the notice."), field="items")
    if meeting.kind == Kind.ASSEMBLY and meeting.vote_opens_at < now + timedelta(days=ASSEMBLY_NOTICE_DAYS):
        raise ApplicationError(
            _("The notice of an owners' assembly must be published at least %(days)d days before voting opens. "
              "Move the opening of the vote to %(date)s or later.")
            % {"days": ASSEMBLY_NOTICE_DAYS, "date": timezone.localtime(now + timedelta(days=ASSEMBLY_NOTICE_DAYS)).strftime("%Y-%m-%d %H:%M")},
            field="vote_opens_at",
        )
    if meeting.has_vote and meeting.vote_closes_at <= now:
        raise ApplicationError(_("Voting must close in the future."), field="vote_closes_at")
    for item in meeting.items.filter(kind=AgendaItem.Kind.ELECTION):
        if item.candidates.count() < 1:
            raise ApplicationError(_("The election “%(title)s” has no candidates.") % {"title": item.title}, field="items")
    compound = Compound.objects.get(pk=meeting.compound_id)
    bump(meeting, status=Status.NOTICED, notice_published_at=now,
         non_voters_follow_majority=compound.count_non_voters_with_majority if meeting.kind == Kind.ASSEMBLY else False)
    electors = electorate_snapshot(meeting) if meeting.has_vote else 0
    audit(actor=actor, action="meeting.publish_notice", target=meeting, electors=electors,
          non_voters_follow_majority=meeting.non_voters_follow_majority)
    notify(users=_residents(meeting), key=f"meeting:{meeting.pk}:notice",
           title=gettext_noop("Notice: %(title)s"), params={"title": meeting.title}, url=meeting_url(meeting))
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, actor, reason: str, version: int | None = None) -> Meeting:
    """Cancel a meeting before its vote closes; ballots already cast stay on record, uncounted."""
    meeting = lock_meeting(meeting, version=version)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.DRAFT, Status.NOTICED)
    if not reason.strip():
        raise ApplicationError(_("Say why the meeting is cancelled."), field="reason")
    bump(meeting, status=Status.CANCELLED)
    audit(actor=actor, action="meeting.cancel", target=meeting, reason=reason.strip())
    if meeting.notice_published_at:
        notify(users=_residents(meeting), key=f"meeting:{meeting.pk}:cancelled",
               title=gettext_noop("Cancelled: %(title)s"), params={"title": meeting.title}, url=meeting_url(meeting))
    return meeting


@transaction.atomic
def meeting_close(*, meeting: Meeting, actor=None, now: datetime | None = None) -> bool:
    """Close the vote once its deadline has passed: tally every item and publish the result.

    Idempotent: a closed meeting, or one whose deadline is still ahead, is left alone (returns False).
    Called by the beat sweeper (actor None) and by conveners.
    """
    from ..selectors import item_outcome_dict

    now = now or timezone.now()
    meeting = lock_meeting(meeting)
    if actor is not None:
        forbid_unless(permissions.can_manage_meeting(actor, meeting))
    if meeting.status != Status.NOTICED or not meeting.has_vote or meeting.vote_closes_at > now:
        return False
    for item in meeting.items.all():
        result = item_outcome_dict(item, meeting=meeting)
        item.result, item.passed = result, bool(result["passed"])
        item.save(update_fields=["result", "passed", "updated_at"])
    bump(meeting, status=Status.CLOSED, result_published_at=now)
    audit(actor=actor, action="meeting.close", target=meeting, passed=list(meeting.items.values_list("position", "passed")))
    voters = Elector.objects.filter(meeting=meeting, user__isnull=False).values_list("user_id", flat=True)
    notify(users=_residents(meeting, *voters), key=f"meeting:{meeting.pk}:result",
           title=gettext_noop("Result published: %(title)s"), params={"title": meeting.title}, url=meeting_url(meeting))
    return True


def meetings_close_due(*, now: datetime | None = None) -> int:
    """Close every meeting whose vote deadline has passed; each in its own transaction. Return how many."""
    now = now or timezone.now()
    closed = 0
    while True:
        with transaction.atomic():
            meeting = Meeting.objects.due_to_close(now).select_for_update(skip_locked=True).order_by("vote_closes_at").first()
            if meeting is None:
                return closed
            closed += meeting_close(meeting=meeting, now=now)


@transaction.atomic
def minutes_save(*, meeting: Meeting, actor, text: str, publish: bool = False) -> Meeting:
    """Record the minutes (mandatory for every meeting); publishing posts them to the compound."""
    meeting = lock_meeting(meeting)
    forbid_unless(permissions.can_manage_meeting(actor, meeting))
    require_status(meeting, Status.NOTICED, Status.CLOSED)
    if not text.strip():
        raise ApplicationError(_("Write the minutes."), field="minutes")
    if meeting.minutes_published_at:
        raise ApplicationError(_("The minutes are published and can no longer be changed."), code="conflict")
    fields = {"minutes": text.strip()}
    if publish:
        if meeting.starts_at > timezone.now():
            raise ApplicationError(_("Minutes can be published after the meeting has taken place."), field="minutes")
        fields["minutes_published_at"] = timezone.now()
    bump(meeting, **fields)
    audit(actor=actor, action="meeting.minutes", target=meeting, published=publish)
    return meeting

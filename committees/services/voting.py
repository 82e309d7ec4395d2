"""Casting ballots: online, paper (two tellers must agree) and proxy. One valid ballot per elector per item.

Every path ends in `_cast`, which locks the elector's row, applies the meeting's precedence rule and
inserts the ballot; the partial unique constraint `one_valid_ballot_per_elector_item` is the backstop.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.audit import audit
from core.errors import ApplicationError

from .. import permissions, tally
from ..models import AgendaItem, Ballot, BallotMark, Elector, Meeting, PaperEntry
from ._common import forbid_unless

Channel = Ballot.Channel
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by elderly owners
WRITTEN = (Channel.PAPER, Channel.PROXY)


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


def _require_open(meeting: Meeting) -> None:
    if not meeting.voting_is_open():
        raise ApplicationError(_("Voting is not open."), code="conflict")


def _clean_choice(item: AgendaItem, value) -> tuple[str, list[int]]:
    """Return (choice, candidate ids) for one item, or raise naming the item."""
    field = f"item_{item.pk}"
    if item.kind == AgendaItem.Kind.ELECTION:
        if value in (None, ""):
            value = []
        if not isinstance(value, list | tuple | set):
            raise ApplicationError(_("Mark the candidates you vote for."), field=field)
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ApplicationError(_("Mark only candidates of this election."), field=field) from None
        if len(ids) > item.seats:
            raise ApplicationError(
                _("Mark at most %(seats)d candidates.") % {"seats": item.seats}, field=field
            )
        known = set(item.candidates.filter(pk__in=ids).values_list("pk", flat=True))
        if known != set(ids):
            raise ApplicationError(_("Mark only candidates of this election."), field=field)
        return "", ids
    if value not in tally.CHOICES:
        raise ApplicationError(_("Choose yes, no or abstain."), field=field)
    return value, []


def _cast(
    *, item: AgendaItem, elector: Elector, actor, channel: str, choice: str, candidate_ids: Iterable[int] = (),
    proxy_name: str = "", mandate=None,
) -> Ballot:
    """Insert a ballot under the meeting's precedence rule; return it (valid, or set aside with the reason).

    Call inside a transaction that holds the elector's row lock.
    """
    meeting = item.meeting
    current = Ballot.objects.select_for_update().filter(item=item, elector=elector, status=Ballot.Status.VALID).first()
    status, reason = Ballot.Status.VALID, ""
    if current is not None:
        if channel == Channel.ONLINE and current.channel == Channel.ONLINE:
            raise ApplicationError(_("You have already voted on this item."), code="conflict")
        replaces = (
            meeting.precedence == Meeting.Precedence.PAPER_WINS and channel in WRITTEN and current.channel == Channel.ONLINE
        )
        if replaces:
            current.status = Ballot.Status.SUPERSEDED
            current.status_reason = _("Replaced by a %(channel)s ballot (rule: %(rule)s).") % {
                "channel": Channel(channel).label, "rule": meeting.get_precedence_display()}
            current.save(update_fields=["status", "status_reason"])
        else:
            if channel == Channel.ONLINE:
                raise ApplicationError(_("A written ballot of yours has already been counted for this item."), code="conflict")
            status = Ballot.Status.REJECTED
            reason = _("Not counted: a %(channel)s ballot was counted first (rule: %(rule)s).") % {
                "channel": Channel(current.channel).label, "rule": meeting.get_precedence_display()}
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                item=item, elector=elector, channel=channel, status=status, status_reason=reason, choice=choice,
                cast_by=actor, proxy_name=proxy_name, mandate=mandate or "", receipt_code=new_receipt_code(),
            )
    except IntegrityError:
        raise ApplicationError(_("You have already voted on this item."), code="conflict") from None
    if candidate_ids:
        BallotMark.objects.bulk_create([BallotMark(ballot=ballot, candidate_id=c) for c in candidate_ids])
    audit(actor=actor, action="ballot.cast", target=ballot, item=item.pk, elector=elector.key, channel=channel,
          status=status, replaced=current.pk if current is not None and status == Ballot.Status.VALID else None)
    return ballot


def _lock_electors(meeting: Meeting, **filters) -> list[Elector]:
    return list(Elector.objects.select_for_update().filter(meeting=meeting, **filters).order_by("pk"))


@transaction.atomic
def vote_online(*, item: AgendaItem, actor, choice: str = "", candidate_ids: Iterable[int] = ()) -> list[Ballot]:
    """Vote on one item as a logged-in, verified owner in the electorate; return the ballots cast.

    At building meetings an owner of two households casts one ballot for each. Choices stay hidden
    until the close; each ballot gets a receipt code. A second vote is refused (409).
    """
    meeting = Meeting.objects.get(pk=item.meeting_id)
    item.meeting = meeting
    electors = _lock_electors(meeting, user_id=actor.pk)
    forbid_unless(bool(electors))
    _require_open(meeting)
    choice, ids = _clean_choice(item, list(candidate_ids) if item.kind == AgendaItem.Kind.ELECTION else choice)
    return [_cast(item=item, elector=e, actor=actor, channel=Channel.ONLINE, choice=choice, candidate_ids=ids) for e in electors]


def _clean_sheet(meeting: Meeting, choices: Mapping) -> dict[str, object]:
    """Return the sheet normalised ({item id: choice or sorted candidate ids}) for every item of the meeting."""
    sheet = {}
    for item in meeting.items.all():
        value = choices.get(str(item.pk), choices.get(item.pk))
        if value is None and item.kind == AgendaItem.Kind.QUESTION:
            raise ApplicationError(_("Enter the choice for item %(position)d.") % {"position": item.position}, field=f"item_{item.pk}")
        choice, ids = _clean_choice(item, value)
        sheet[str(item.pk)] = ids if item.kind == AgendaItem.Kind.ELECTION else choice
    return sheet


def _elector(meeting: Meeting, elector_id: int) -> Elector:
    elector = Elector.objects.select_for_update().filter(meeting=meeting, pk=elector_id).first()
    if elector is None:
        raise ApplicationError(_("This owner is not in the electorate of the meeting."), field="elector")
    return elector


def _cast_sheet(meeting: Meeting, elector: Elector, sheet: Mapping, *, actor, channel: str, **extra) -> list[Ballot]:
    ballots = []
    for item in meeting.items.all():
        item.meeting = meeting
        value = sheet[str(item.pk)]
        choice, ids = ("", value) if item.kind == AgendaItem.Kind.ELECTION else (value, [])
        ballots.append(_cast(item=item, elector=elector, actor=actor, channel=channel, choice=choice, candidate_ids=ids, **extra))
    return ballots


@transaction.atomic
def paper_entry_submit(*, meeting: Meeting, actor, elector_id: int, choices: Mapping) -> PaperEntry:
    """A teller enters one signed paper ballot sheet. When a second, different teller's entry agrees,
    the sheet's ballots are cast; when they disagree both entries are flagged until one is corrected.
    """
    meeting = Meeting.objects.get(pk=meeting.pk)
    forbid_unless(permissions.is_teller(actor, meeting))
    _require_open(meeting)
    elector = _elector(meeting, elector_id)
    sheet = _clean_sheet(meeting, choices)
    entries = list(PaperEntry.objects.select_for_update().filter(meeting=meeting, elector=elector))
    if any(e.status == PaperEntry.Status.MATCHED for e in entries):
        raise ApplicationError(_("This paper ballot has already been entered by two tellers and counted."), code="conflict")
    mine = next((e for e in entries if e.teller_id == actor.pk), None)
    if mine is None:
        mine = PaperEntry(meeting=meeting, elector=elector, teller=actor)
    mine.choices = sheet
    others = [e for e in entries if e.teller_id != actor.pk]
    if not others:
        mine.status = PaperEntry.Status.WAITING
    elif any(o.choices == sheet for o in others):
        mine.status = PaperEntry.Status.MATCHED
        PaperEntry.objects.filter(pk__in=[o.pk for o in others if o.choices == sheet]).update(status=PaperEntry.Status.MATCHED)
        PaperEntry.objects.filter(pk__in=[o.pk for o in others if o.choices != sheet]).update(status=PaperEntry.Status.MISMATCH)
    else:
        mine.status = PaperEntry.Status.MISMATCH
        PaperEntry.objects.filter(pk__in=[o.pk for o in others]).update(status=PaperEntry.Status.MISMATCH)
    mine.save()
    audit(actor=actor, action="ballot.paper_entry", target=mine, elector=elector.key, status=mine.status)
    if mine.status == PaperEntry.Status.MATCHED:
        _cast_sheet(meeting, elector, sheet, actor=actor, channel=Channel.PAPER)
    return mine


@transaction.atomic
def proxy_vote(*, meeting: Meeting, actor, elector_id: int, proxy_name: str, mandate, choices: Mapping) -> list[Ballot]:
    """Record a proxy's votes for an owner, with the owner's written mandate uploaded (tellers and conveners)."""
    meeting = Meeting.objects.get(pk=meeting.pk)
    forbid_unless(permissions.is_teller(actor, meeting) or permissions.can_manage_meeting(actor, meeting))
    _require_open(meeting)
    if not proxy_name.strip():
        raise ApplicationError(_("Give the proxy's name."), field="proxy_name")
    if not mandate:
        raise ApplicationError(_("Upload the owner's signed written mandate."), field="mandate")
    name = (getattr(mandate, "name", "") or "").lower()
    if not name.endswith((".pdf", ".jpg", ".jpeg", ".png")):
        raise ApplicationError(_("Upload the mandate as a PDF or a photo."), field="mandate")
    elector = _elector(meeting, elector_id)
    sheet = _clean_sheet(meeting, choices)
    if hasattr(mandate, "seek"):
        mandate.seek(0)
    content = mandate.read()
    ballots = []
    for item in meeting.items.all():
        item.meeting = meeting
        value = sheet[str(item.pk)]
        choice, ids = ("", value) if item.kind == AgendaItem.Kind.ELECTION else (value, [])
        # Each ballot keeps its own copy of the mandate: evidence stays with the ballot it supports.
        ballots.append(_cast(item=item, elector=elector, actor=actor, channel=Channel.PROXY, choice=choice, candidate_ids=ids,
                             proxy_name=proxy_name.strip(), mandate=ContentFile(content, name=name or "mandate.pdf")))
    return ballots


def receipt_check(*, meeting: Meeting, code: str) -> Ballot | None:
    """Return the ballot with this receipt code in this meeting (its choice stays hidden until the close)."""
    code = (code or "").strip().upper().replace(" ", "")
    if not code:
        return None
    return Ballot.objects.select_related("item").filter(item__meeting=meeting, receipt_code=code).first()


"""Every write to a case: one transaction, the rows it changes locked, a timeline row, notifications on commit.

Transitions consult one table (ALLOWED). A stale `version` (someone else acted first) or a state that
no longer allows the action raises ApplicationError(code="conflict"); a role that may not act raises
code="forbidden"; bad input names its field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import audit
from core.errors import ApplicationError
from core.notifications import notify
from governance.dashboards import rollup
from governance.models import (
    DEFAULT_TIME_LIMITS,
    Compound,
    Department,
    Role,
    RoleAssignment,
    UrgencyTier,
)

from . import permissions
from .models import (
    CATEGORIES_REQUIRING_VERIFICATION,
    OPEN_DISPATCH_STATUSES,
    OPEN_STATUSES,
    Answer,
    Attachment,
    CaseCounter,
    Complaint,
    Dispatch,
    DispatchStatus,
    Follower,
    HandlerKind,
    PlaceKind,
    Rating,
    Source,
    Status,
    TimelineEvent,
)
from .photos import ProcessedPhoto

S = Status
# action → the case states in which it is allowed. Nothing else moves a case.
ALLOWED: dict[str, frozenset[str]] = {
    "accept": frozenset({S.SUBMITTED}),
    "reject": frozenset({S.SUBMITTED}),
    "request_info": frozenset({S.SUBMITTED, S.ACCEPTED, S.HANDLING}),
    "provide_info": frozenset({S.NEEDS_INFO}),
    "merge": frozenset({S.SUBMITTED, S.ACCEPTED}),
    "recategorize": frozenset({S.SUBMITTED, S.ACCEPTED, S.HANDLING}),
    "dispatch": frozenset({S.ACCEPTED, S.HANDLING}),
    "dispatch_work": frozenset({S.HANDLING}),
    "verify": frozenset({S.RESOLVED}),
    "confirm": frozenset({S.AWAITING_CONFIRMATION}),
    "close_unconfirmed": frozenset({S.AWAITING_CONFIRMATION}),
    # A follow-up survey answered "not solved" (or a recheck "又出现了") opens a new round.
    "reopen_from_survey": frozenset({S.CLOSED, S.CLOSED_UNCONFIRMED}),
    "me_too": frozenset(OPEN_STATUSES),
    "comment": frozenset(set(S.values) - {S.MERGED}),
}
D = DispatchStatus
DISPATCH_ALLOWED: dict[str, frozenset[str]] = {
    "acknowledge": frozenset({D.PENDING}),
    "record_contact": frozenset({D.ACKNOWLEDGED, D.EXTENSION_REQUESTED}),
    "record_arrival": frozenset({D.ACKNOWLEDGED, D.EXTENSION_REQUESTED}),
    "resolve": frozenset({D.ACKNOWLEDGED, D.EXTENSION_REQUESTED}),
    "return": frozenset({D.PENDING, D.ACKNOWLEDGED}),
    "request_extension": frozenset({D.ACKNOWLEDGED}),
    "decide_extension": frozenset({D.EXTENSION_REQUESTED}),
    "park": frozenset({D.ACKNOWLEDGED, D.EXTENSION_REQUESTED}),
    "rate": frozenset({D.RESOLVED, D.PARKED, D.RETURNED}),
}

# Dispatch actions that may move the case (see _settle): only while the case is being handled.
SETTLING_ACTIONS = frozenset({"resolve", "return", "park"})

ACCEPT_WITHIN = {UrgencyTier.EMERGENCY: timedelta(hours=1)}
ACCEPT_WITHIN_DEFAULT = timedelta(hours=24)
COMPOUND_HANDLE_WITHIN = {UrgencyTier.EMERGENCY: timedelta(hours=2), UrgencyTier.UTILITIES: timedelta(hours=24)}
COMPOUND_HANDLE_DEFAULT = timedelta(hours=48)
CONFIRM_WITHIN = timedelta(days=7)
MAX_PHOTOS = 9


# --- helpers -----------------------------------------------------------------------------------


def _case_url(complaint: Complaint) -> str:
    return reverse("complaints:detail", args=[complaint.pk])


def _lock(complaint: Complaint, *, action: str, version: int | None) -> Complaint:
    """Lock the case row and check that the action is allowed in its current state."""
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if version is not None and locked.version != version:
        raise ApplicationError(
            _("Someone else has just acted on case %(number)s. Reload the page to see what changed.")
            % {"number": locked.number},
            code="conflict",
        )
    if locked.status not in ALLOWED[action]:
        raise ApplicationError(
            _("Case %(number)s is “%(status)s”: this cannot be done now.")
            % {"number": locked.number, "status": locked.get_status_display()},
            code="conflict",
        )
    return locked


def _lock_dispatch(dispatch: Dispatch, *, action: str, version: int | None = None) -> tuple[Dispatch, Complaint]:
    complaint = Complaint.objects.select_for_update().get(pk=dispatch.complaint_id)
    if version is not None and complaint.version != version:
        raise ApplicationError(
            _("Someone else has just acted on case %(number)s. Reload the page to see what changed.")
            % {"number": complaint.number},
            code="conflict",
        )
    locked = Dispatch.objects.select_for_update(of=("self",)).select_related("department", "property_company").get(pk=dispatch.pk)
    if locked.status not in DISPATCH_ALLOWED[action]:
        raise ApplicationError(
            _("This dispatch is “%(status)s”: this cannot be done now.") % {"status": locked.get_status_display()},
            code="conflict",
        )
    if action in SETTLING_ACTIONS and complaint.status not in ALLOWED["dispatch_work"]:
        # Settling moves the case; while it waits for its reporter (clock paused) that would lose the pause.
        raise ApplicationError(
            _("Case %(number)s is “%(status)s”: this cannot be done now.")
            % {"number": complaint.number, "status": complaint.get_status_display()},
            code="conflict",
        )
    return locked, complaint


def _forbid(condition: bool) -> None:
    if not condition:
        raise ApplicationError(_("You may not do this on this case."), code="forbidden")


def _event(
    complaint: Complaint, *, kind: str, actor, from_status: str = "", to_status: str = "", note: str = "",
    internal: bool = False, dispatch: Dispatch | None = None, **data,
) -> TimelineEvent:
    # Every change of a case writes a timeline row here: queue the case for the dashboards' rollups.
    rollup.enqueue([complaint.pk])
    return TimelineEvent.objects.create(
        complaint=complaint, dispatch=dispatch, actor=actor if getattr(actor, "pk", None) else None, kind=kind,
        from_status=from_status, to_status=to_status, note=note, internal=internal, data=data,
    )


def _move(complaint: Complaint, to_status: str, *, actor, kind: str, note: str = "", **fields) -> TimelineEvent:
    """Change the status (and other fields), raise the version and write the timeline row."""
    from_status = complaint.status
    complaint.status = to_status
    for name, value in fields.items():
        setattr(complaint, name, value)
    complaint.version = F("version") + 1
    complaint.save()
    complaint.refresh_from_db(fields=["version"])
    return _event(complaint, kind=kind, actor=actor, from_status=from_status, to_status=to_status, note=note)


def _followers(complaint: Complaint) -> list:
    from residents.models import User

    return list(User.objects.filter(followed_complaints__complaint=complaint))


def _managers(complaint: Complaint) -> list:
    """Return the community staff of the case's compound (who triage it)."""
    return _community_staff(complaint.compound.community_id)


def _community_staff(community_id: int) -> list:
    from residents.models import User

    return list(
        User.objects.filter(
            roles__in=RoleAssignment.objects.active().filter(role=Role.COMMUNITY_STAFF, community_id=community_id)
        ).distinct()
    )


def _handlers(dispatch: Dispatch) -> list:
    from residents.models import User

    assignments = RoleAssignment.objects.active()
    if dispatch.handler_kind == HandlerKind.DEPARTMENT:
        assignments = assignments.filter(role=Role.DEPARTMENT_STAFF, department_id=dispatch.department_id)
    elif dispatch.handler_kind == HandlerKind.PROPERTY:
        assignments = assignments.filter(role=Role.PROPERTY_STAFF, property_company_id=dispatch.property_company_id)
    else:
        assignments = assignments.filter(role=Role.PARTY_SECRETARY, compound_id=dispatch.complaint.compound_id)
    return list(User.objects.filter(roles__in=assignments).distinct())


def _notify(users: Iterable, complaint: Complaint, *, event: TimelineEvent, title: str, exclude=None) -> None:
    recipients = [u for u in users if exclude is None or u.pk != exclude.pk]
    notify(
        users=recipients, key=f"case:{complaint.pk}:event:{event.pk}", title=title,
        params={"number": complaint.number}, body=complaint.title, url=_case_url(complaint),
    )


def _attach(complaint: Complaint, photos: Sequence[ProcessedPhoto], *, actor, event: TimelineEvent, evidence: bool) -> None:
    if not photos:
        return
    if len(photos) > MAX_PHOTOS:  # per report, comment, answer or result, as at filing
        raise ApplicationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    existing = complaint.attachments.count()
    if existing + len(photos) > MAX_PHOTOS * 3:
        raise ApplicationError(_("This case has too many photos already."), field="photos")
    for photo in photos:
        Attachment.objects.create(
            complaint=complaint, event=event, uploaded_by=actor, image=photo.image, thumbnail=photo.thumbnail,
            width=photo.width, height=photo.height, is_evidence=evidence,
        )


def _next_number(now: datetime) -> str:
    """Take the day's next case number: one statement, which locks the day's counter row until the commit
    (take it as late in the transaction as possible: concurrent filings wait for it)."""
    day = timezone.localdate(now)
    table, day_column, last_column = (
        connection.ops.quote_name(name) for name in (CaseCounter._meta.db_table, "day", "last")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({day_column}, {last_column}) VALUES (%s, 1) ON CONFLICT ({day_column}) "
            f"DO UPDATE SET {last_column} = {table}.{last_column} + 1 RETURNING {last_column}",
            [day],
        )
        (last,) = cursor.fetchone()
    return f"TS{day:%Y%m%d}{last:04d}"


# --- intake ------------------------------------------------------------------------------------


@transaction.atomic
def complaint_file(
    *, actor, compound: Compound, category: str, urgency: str, title: str, description: str, place_kind: str,
    building=None, unit=None, place_note: str = "", hide_name: bool = True, photos: Sequence[ProcessedPhoto] = (),
    on_behalf_of=None, source: str | None = None,
) -> Complaint:
    """File a case. Residents file in their own compound; grid workers from patrol or for a resident (代办);
    property staff and party members on a post report what they find. Raises ApplicationError on bad input.
    """
    _forbid(permissions.may_report_in(actor, compound))
    if len(photos) > MAX_PHOTOS:
        raise ApplicationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    if not title.strip():
        raise ApplicationError(_("Say in a few words what the problem is."), field="title")
    if not description.strip():
        raise ApplicationError(_("Describe the problem."), field="description")
    if building is not None and building.compound_id != compound.pk:
        raise ApplicationError(_("This building is not in the compound."), field="building")
    if place_kind == PlaceKind.UNIT:
        if unit is None:
            raise ApplicationError(_("Choose the unit."), field="unit")
        if unit.building.compound_id != compound.pk:
            raise ApplicationError(_("This unit is not in the compound."), field="unit")
        building = unit.building
    elif place_kind == PlaceKind.BUILDING and building is None:
        raise ApplicationError(_("Choose the building."), field="building")
    reporter = actor
    if on_behalf_of is not None:
        _forbid(permissions.can_file_for_others(actor, compound))
        reporter, source = on_behalf_of, Source.ON_BEHALF
    elif source in (Source.GRID_PATROL,):
        _forbid(permissions.can_file_for_others(actor, compound))
    elif source == Source.PROPERTY:
        _forbid(permissions.can_report_as_property(actor, compound))
    elif source == Source.PARTY_POST:
        _forbid(actor.is_party_member)
    else:
        source = Source.RESIDENT
    managers = _community_staff(compound.community_id)  # read before the case number locks its counter
    now = timezone.now()
    complaint = Complaint.objects.create(
        number=_next_number(now), compound=compound, building=building, unit=unit if place_kind == PlaceKind.UNIT else None,
        place_kind=place_kind, place_note=place_note, category=category, urgency=urgency, title=title.strip(),
        description=description.strip(), hide_name=hide_name, source=source, reporter=reporter, filed_by=actor,
        accept_due_at=now + ACCEPT_WITHIN.get(urgency, ACCEPT_WITHIN_DEFAULT),
    )
    Follower.objects.create(complaint=complaint, user=reporter, via=Follower.Via.REPORTER)
    event = _event(complaint, kind="filed", actor=actor, to_status=S.SUBMITTED, source=source)
    _attach(complaint, photos, actor=actor, event=event, evidence=False)
    audit(actor=actor, action="complaint.file", target=complaint, number=complaint.number)
    _notify(managers, complaint, event=event, title=gettext_noop("New case %(number)s to accept"))
    if reporter != actor:
        _notify([reporter], complaint, event=event, title=gettext_noop("Case %(number)s was filed for you"))
    return complaint


@transaction.atomic
def complaint_me_too(*, complaint: Complaint, actor) -> Follower:
    """A neighbour in the same compound joins a case (“我也遇到”) and follows it.

    Only residents of the compound (verified owners or tenants) count as affected households.
    """
    complaint = _lock(complaint, action="me_too", version=None)
    _forbid(permissions.can_join_case(actor, complaint))
    follower, created = Follower.objects.get_or_create(complaint=complaint, user=actor, defaults={"via": Follower.Via.ME_TOO})
    if created:
        _event(complaint, kind="me_too", actor=actor)
    return follower


# --- triage ------------------------------------------------------------------------------------


@transaction.atomic
def complaint_accept(
    *, complaint: Complaint, actor, version: int | None = None, category: str | None = None, urgency: str | None = None,
) -> Complaint:
    """The community accepts a case (受理), perhaps fixing its category and urgency; the handling clock starts."""
    _forbid(permissions.is_case_manager(actor, complaint))
    complaint = _lock(complaint, action="accept", version=version)
    now = timezone.now()
    tier = urgency or complaint.urgency
    event = _move(
        complaint, S.ACCEPTED, actor=actor, kind="accepted", category=category or complaint.category, urgency=tier,
        accepted_at=now, handle_due_at=now + timedelta(hours=DEFAULT_TIME_LIMITS[tier][1]),
    )
    _notify(_followers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s was accepted"))
    return complaint


@transaction.atomic
def complaint_reject(*, complaint: Complaint, actor, reason: str, version: int | None = None) -> Complaint:
    """Refuse a case with a reason the resident sees."""
    _forbid(permissions.is_case_manager(actor, complaint))
    if not reason.strip():
        raise ApplicationError(_("Tell the resident why the case is not accepted."), field="reason")
    complaint = _lock(complaint, action="reject", version=version)
    event = _move(complaint, S.REJECTED, actor=actor, kind="rejected", note=reason.strip(),
                  reject_reason=reason.strip(), closed_at=timezone.now())
    _notify(_followers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s was not accepted"))
    return complaint


@transaction.atomic
def complaint_recategorize(
    *, complaint: Complaint, actor, category: str, urgency: str, version: int | None = None
) -> Complaint:
    _forbid(permissions.is_case_manager(actor, complaint))
    complaint = _lock(complaint, action="recategorize", version=version)
    before = {"category": complaint.category, "urgency": complaint.urgency}
    complaint.category, complaint.urgency = category, urgency
    complaint.version = F("version") + 1
    complaint.save(update_fields=["category", "urgency", "version", "updated_at"])
    complaint.refresh_from_db(fields=["version"])
    _event(complaint, kind="recategorized", actor=actor, before=before, after={"category": category, "urgency": urgency})
    return complaint


@transaction.atomic
def complaint_request_info(*, complaint: Complaint, actor, question: str, version: int | None = None) -> Complaint:
    """Ask the reporter for more information; every clock of the case pauses until they answer."""
    _forbid(permissions.is_case_manager(actor, complaint))
    if not question.strip():
        raise ApplicationError(_("Write what you need to know."), field="question")
    complaint = _lock(complaint, action="request_info", version=version)
    event = _move(
        complaint, S.NEEDS_INFO, actor=actor, kind="info_requested", note=question.strip(),
        status_before_pause=complaint.status, info_request=question.strip(), paused_at=timezone.now(),
    )
    _notify([complaint.reporter], complaint, event=event, title=gettext_noop("Case %(number)s needs more information"))
    return complaint


@transaction.atomic
def complaint_provide_info(
    *, complaint: Complaint, actor, answer: str, photos: Sequence[ProcessedPhoto] = (), version: int | None = None
) -> Complaint:
    """The reporter answers; the clocks resume, every deadline moved on by the time spent waiting."""
    _forbid(actor.pk == complaint.reporter_id)
    if not answer.strip():
        raise ApplicationError(_("Write your answer."), field="answer")
    complaint = _lock(complaint, action="provide_info", version=version)
    now = timezone.now()
    waited = now - complaint.paused_at
    for field in ("accept_due_at", "handle_due_at"):
        if getattr(complaint, field):
            setattr(complaint, field, getattr(complaint, field) + waited)
    for dispatch in complaint.dispatches.select_for_update().filter(status__in=OPEN_DISPATCH_STATUSES):
        dispatch.acknowledge_due_at += waited
        dispatch.handle_due_at += waited
        dispatch.save(update_fields=["acknowledge_due_at", "handle_due_at", "updated_at"])
    event = _move(
        complaint, complaint.status_before_pause, actor=actor, kind="info_provided", note=answer.strip(),
        status_before_pause="", paused_at=None, paused_seconds=complaint.paused_seconds + int(waited.total_seconds()),
    )
    event.data = {"paused_seconds": int(waited.total_seconds())}
    event.save(update_fields=["data"])
    _attach(complaint, photos, actor=actor, event=event, evidence=False)
    _notify(_managers(complaint), complaint, event=event, title=gettext_noop("The reporter answered on case %(number)s"))
    return complaint


@transaction.atomic
def complaint_merge(*, complaint: Complaint, into: Complaint, actor, version: int | None = None) -> Complaint:
    """Merge a duplicate into a surviving case of the same compound; its reporters follow the survivor."""
    _forbid(permissions.is_case_manager(actor, complaint))
    if into.pk == complaint.pk or into.compound_id != complaint.compound_id:
        raise ApplicationError(_("Choose another open case of the same compound."), field="into")
    # Lock both cases in one order: two opposite merges at once must not deadlock.
    list(Complaint.objects.select_for_update().filter(pk__in=[complaint.pk, into.pk]).order_by("pk").values_list("pk"))
    survivor = Complaint.objects.select_for_update().get(pk=into.pk)
    if survivor.status not in OPEN_STATUSES:
        raise ApplicationError(_("Choose another open case of the same compound."), field="into")
    complaint = _lock(complaint, action="merge", version=version)
    for follower in complaint.followers.all():
        Follower.objects.get_or_create(complaint=survivor, user_id=follower.user_id, defaults={"via": Follower.Via.MERGED})
    event = _move(complaint, S.MERGED, actor=actor, kind="merged", merged_into=survivor, closed_at=timezone.now(),
                  note=survivor.number)
    _event(survivor, kind="absorbed", actor=actor, note=complaint.number)
    _notify(_followers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s was merged with the same problem"))
    return complaint


# --- handling ----------------------------------------------------------------------------------


@transaction.atomic
def complaint_dispatch(
    *, complaint: Complaint, actor, handler_kind: str, department: Department | None = None,
    instructions: str = "", handle_within: timedelta | None = None, version: int | None = None,
) -> Dispatch:
    """Hand a case to a compound party (property company, party branch) or whistle it to a department.

    Department deadlines come from the department's time limits for the case's tier; a compound
    party gets the deadline the community sets (48 h by default).
    """
    _forbid(permissions.is_case_manager(actor, complaint))
    complaint = _lock(complaint, action="dispatch", version=version)
    now = timezone.now()
    company = None
    if handler_kind == HandlerKind.DEPARTMENT:
        if department is None:
            raise ApplicationError(_("Choose the department."), field="department")
        limit = department.time_limit(complaint.urgency)
        ack_due, handle_due = now + limit.acknowledge_within, now + limit.handle_within
    elif handler_kind in (HandlerKind.PROPERTY, HandlerKind.PARTY_BRANCH):
        department = None
        if handler_kind == HandlerKind.PROPERTY:
            contract = complaint.compound.contracts.active().select_related("company").first()
            if contract is None:
                raise ApplicationError(_("This compound has no property company under contract."), field="handler_kind")
            company = contract.company
        elif not complaint.compound.party_organisations.filter(kind="compound_branch").exists():
            raise ApplicationError(_("This compound has no party branch yet."), field="handler_kind")
        within = handle_within or COMPOUND_HANDLE_WITHIN.get(complaint.urgency, COMPOUND_HANDLE_DEFAULT)
        ack_due, handle_due = now + min(within, timedelta(hours=24)) / 2, now + within
    else:
        raise ApplicationError(_("Choose who handles the case."), field="handler_kind")
    if complaint.dispatches.open().filter(handler_kind=handler_kind, department=department, round=complaint.round).exists():
        raise ApplicationError(_("This handler already has the case."), field="department" if department else "handler_kind")
    dispatch = Dispatch.objects.create(
        complaint=complaint, handler_kind=handler_kind, department=department, property_company=company,
        tier=complaint.urgency, instructions=instructions, dispatched_by=actor, acknowledge_due_at=ack_due,
        handle_due_at=handle_due, round=complaint.round,
    )
    kind = "whistled" if handler_kind == HandlerKind.DEPARTMENT else "assigned"
    # The case's own handle-by covers its handlers' (or the case escalates while they are on time).
    case_due = max(complaint.handle_due_at or handle_due, handle_due)
    if complaint.status != S.HANDLING:
        event = _move(complaint, S.HANDLING, actor=actor, kind=kind, note=dispatch.handler_name, handle_due_at=case_due)
    else:
        complaint.version = F("version") + 1
        complaint.handle_due_at = case_due
        complaint.save(update_fields=["version", "handle_due_at", "updated_at"])
        event = _event(complaint, kind=kind, actor=actor, note=dispatch.handler_name)
    event.dispatch = dispatch
    event.data = {"acknowledge_due_at": ack_due.isoformat(), "handle_due_at": handle_due.isoformat()}
    event.save(update_fields=["dispatch", "data"])
    _notify(_handlers(dispatch), complaint, event=event, title=gettext_noop("Case %(number)s is sent to you"))
    _notify(_followers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s is being handled"))
    return dispatch


def _dispatch_event(dispatch: Dispatch, complaint: Complaint, *, kind: str, actor, note: str = "", **data) -> TimelineEvent:
    complaint.version = F("version") + 1
    complaint.save(update_fields=["version", "updated_at"])
    complaint.refresh_from_db(fields=["version"])
    return _event(complaint, kind=kind, actor=actor, note=note, dispatch=dispatch, handler=dispatch.handler_name, **data)


@transaction.atomic
def dispatch_acknowledge(*, dispatch: Dispatch, actor, version: int | None = None) -> Dispatch:
    """The handler acknowledges (签收/报到)."""
    _forbid(permissions.can_handle_dispatch(actor, dispatch))
    dispatch, complaint = _lock_dispatch(dispatch, action="acknowledge", version=version)
    dispatch.status, dispatch.acknowledged_at = D.ACKNOWLEDGED, timezone.now()
    dispatch.save(update_fields=["status", "acknowledged_at", "updated_at"])
    event = _dispatch_event(dispatch, complaint, kind="acknowledged", actor=actor)
    _notify(_followers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s: the handler has reported in"))
    return dispatch


@transaction.atomic
def dispatch_record(*, dispatch: Dispatch, actor, what: str, note: str = "", version: int | None = None) -> Dispatch:
    """Record contact with the resident (`what="contact"`) or arrival on site (`what="arrival"`)."""
    _forbid(permissions.can_handle_dispatch(actor, dispatch))
    if what not in ("contact", "arrival"):
        raise ApplicationError(_("Unknown record."), field="what")
    dispatch, complaint = _lock_dispatch(dispatch, action=f"record_{what}", version=version)
    field = "contacted_at" if what == "contact" else "arrived_at"
    setattr(dispatch, field, timezone.now())
    dispatch.save(update_fields=[field, "updated_at"])
    _dispatch_event(dispatch, complaint, kind=f"{what}_recorded", actor=actor, note=note)
    return dispatch


def _settle(complaint: Complaint, *, actor, kind: str) -> TimelineEvent | None:
    """Move the case once none of this round's dispatches is open any more."""
    current = complaint.dispatches.filter(round=complaint.round).exclude(status=D.WITHDRAWN)
    if current.filter(status__in=OPEN_DISPATCH_STATUSES).exists():
        return None
    statuses = set(current.values_list("status", flat=True))
    if D.RESOLVED in statuses:
        if complaint.category in CATEGORIES_REQUIRING_VERIFICATION or current.filter(handler_kind=HandlerKind.DEPARTMENT).exists():
            return _move(complaint, S.RESOLVED, actor=actor, kind=kind, resolved_at=timezone.now())
        return _move(complaint, S.AWAITING_CONFIRMATION, actor=actor, kind=kind, resolved_at=timezone.now(),
                     confirm_due_at=timezone.now() + CONFIRM_WITHIN)
    if statuses == {D.PARKED}:
        return _move(complaint, S.PARKED, actor=actor, kind=kind)
    return _move(complaint, S.ACCEPTED, actor=actor, kind=kind)


@transaction.atomic
def dispatch_resolve(
    *, dispatch: Dispatch, actor, result: str, photos: Sequence[ProcessedPhoto] = (), version: int | None = None
) -> Dispatch:
    """The handler reports the work done, with a written result and photo evidence."""
    _forbid(permissions.can_handle_dispatch(actor, dispatch))
    if not result.strip():
        raise ApplicationError(_("Write what was done."), field="result")
    dispatch, complaint = _lock_dispatch(dispatch, action="resolve", version=version)
    dispatch.status, dispatch.resolved_at, dispatch.result = D.RESOLVED, timezone.now(), result.strip()
    dispatch.save(update_fields=["status", "resolved_at", "result", "updated_at"])
    event = _dispatch_event(dispatch, complaint, kind="dispatch_resolved", actor=actor, note=result.strip())
    _attach(complaint, photos, actor=actor, event=event, evidence=True)
    settled = _settle(complaint, actor=actor, kind="resolved")
    if settled and complaint.status == S.RESOLVED:
        _notify(_managers(complaint), complaint, event=settled, title=gettext_noop("Case %(number)s is resolved: please check it"))
    elif settled and complaint.status == S.AWAITING_CONFIRMATION:
        _notify(_followers(complaint), complaint, event=settled, title=gettext_noop("Case %(number)s is resolved: is it solved?"))
    return dispatch


@transaction.atomic
def dispatch_return(
    *, dispatch: Dispatch, actor, reason: str, belongs_to: Department | None = None, version: int | None = None
) -> Dispatch:
    """Send a wrongly routed case back. A department must name the department it belongs to (no dead ends)."""
    _forbid(permissions.can_handle_dispatch(actor, dispatch))
    if dispatch.handler_kind == HandlerKind.DEPARTMENT:
        if belongs_to is None:
            raise ApplicationError(_("Name the department this case belongs to."), field="belongs_to")
        if belongs_to.pk == dispatch.department_id:
            raise ApplicationError(_("Name another department than your own."), field="belongs_to")
    if not reason.strip():
        raise ApplicationError(_("Write why the case is not yours."), field="reason")
    dispatch, complaint = _lock_dispatch(dispatch, action="return", version=version)
    dispatch.status, dispatch.return_reason, dispatch.return_to = D.RETURNED, reason.strip(), belongs_to
    dispatch.save(update_fields=["status", "return_reason", "return_to", "updated_at"])
    event = _dispatch_event(
        dispatch, complaint, kind="returned", actor=actor, note=reason.strip(),
        belongs_to=belongs_to.name if belongs_to else "",
    )
    _settle(complaint, actor=actor, kind="back_to_community")
    _notify(_managers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s was returned"))
    return dispatch


@transaction.atomic
def dispatch_request_extension(
    *, dispatch: Dispatch, actor, hours: int, reason: str, version: int | None = None
) -> Dispatch:
    _forbid(permissions.can_handle_dispatch(actor, dispatch))
    if hours < 1 or hours > 30 * 24:
        raise ApplicationError(_("Ask for 1 hour to 30 days."), field="hours")
    if not reason.strip():
        raise ApplicationError(_("Write why more time is needed."), field="reason")
    dispatch, complaint = _lock_dispatch(dispatch, action="request_extension", version=version)
    dispatch.status, dispatch.extension_hours, dispatch.extension_reason = D.EXTENSION_REQUESTED, hours, reason.strip()
    dispatch.save(update_fields=["status", "extension_hours", "extension_reason", "updated_at"])
    _dispatch_event(dispatch, complaint, kind="extension_requested", actor=actor, note=reason.strip(), hours=hours)
    return dispatch


@transaction.atomic
def dispatch_decide_extension(
    *, dispatch: Dispatch, actor, approve: bool, note: str = "", version: int | None = None
) -> Dispatch:
    """The street office approves (the handle-by moves on) or refuses an extension."""
    _forbid(permissions.can_approve_extension(actor, dispatch.complaint))
    dispatch, complaint = _lock_dispatch(dispatch, action="decide_extension", version=version)
    before = dispatch.handle_due_at
    if approve:
        dispatch.handle_due_at = dispatch.handle_due_at + timedelta(hours=dispatch.extension_hours)
        if complaint.handle_due_at and complaint.handle_due_at < dispatch.handle_due_at:
            # The street granted the time: the case's own handle-by must not escalate it anyway.
            complaint.handle_due_at = dispatch.handle_due_at
            complaint.save(update_fields=["handle_due_at", "updated_at"])
    dispatch.status = D.ACKNOWLEDGED
    dispatch.save(update_fields=["status", "handle_due_at", "updated_at"])
    _dispatch_event(
        dispatch, complaint, kind="extension_approved" if approve else "extension_refused", actor=actor, note=note,
        handle_due_before=before.isoformat(), handle_due_after=dispatch.handle_due_at.isoformat(),
    )
    return dispatch


@transaction.atomic
def dispatch_park(*, dispatch: Dispatch, actor, plan: str, version: int | None = None) -> Dispatch:
    """A department parks a case it cannot solve now (挂账), with a written plan."""
    _forbid(permissions.can_handle_dispatch(actor, dispatch) and dispatch.handler_kind == HandlerKind.DEPARTMENT)
    if not plan.strip():
        raise ApplicationError(_("Write the plan: what will be done, and when."), field="plan")
    dispatch, complaint = _lock_dispatch(dispatch, action="park", version=version)
    dispatch.status, dispatch.park_plan = D.PARKED, plan.strip()
    dispatch.save(update_fields=["status", "park_plan", "updated_at"])
    _dispatch_event(dispatch, complaint, kind="parked", actor=actor, note=plan.strip())
    _settle(complaint, actor=actor, kind="parked")
    return dispatch


@transaction.atomic
def dispatch_rate(*, dispatch: Dispatch, actor, score: int, comment: str = "", version: int | None = None) -> Dispatch:
    """The community rates a department's 报到 (1–5), once."""
    _forbid(permissions.is_case_manager(actor, dispatch.complaint) and dispatch.handler_kind == HandlerKind.DEPARTMENT)
    if score not in range(1, 6):
        raise ApplicationError(_("Give 1 to 5 stars."), field="score")
    dispatch, complaint = _lock_dispatch(dispatch, action="rate", version=version)
    if dispatch.community_score is not None:
        raise ApplicationError(_("This 报到 is already rated."), code="conflict")
    dispatch.community_score, dispatch.community_comment = score, comment.strip()
    dispatch.save(update_fields=["community_score", "community_comment", "updated_at"])
    _dispatch_event(dispatch, complaint, kind="dispatch_rated", actor=actor, note=comment.strip(), score=score)
    return dispatch


# --- resolution ----------------------------------------------------------------------------------


def _reopen(complaint: Complaint, *, actor, kind: str, note: str) -> TimelineEvent:
    """Send the case back to the community for another round; this round's handlers get a redo."""
    Dispatch.objects.filter(complaint=complaint, round=complaint.round, status=D.RESOLVED).update(is_redo=True)
    now = timezone.now()
    return _move(
        complaint, S.ACCEPTED, actor=actor, kind=kind, note=note, redo_count=complaint.redo_count + 1,
        round=complaint.round + 1, resolved_at=None, confirm_due_at=None,
        handle_due_at=now + timedelta(hours=DEFAULT_TIME_LIMITS[complaint.urgency][1]),
    )


@transaction.atomic
def complaint_verify(*, complaint: Complaint, actor, passed: bool, note: str = "", version: int | None = None) -> Complaint:
    """The community checks the result on site (核查): passed → the resident is asked; failed → another round."""
    _forbid(permissions.is_case_manager(actor, complaint))
    complaint = _lock(complaint, action="verify", version=version)
    if passed:
        event = _move(complaint, S.AWAITING_CONFIRMATION, actor=actor, kind="verified", note=note,
                      confirm_due_at=timezone.now() + CONFIRM_WITHIN)
        _notify(_followers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s is resolved: is it solved?"))
    else:
        if not note.strip():
            raise ApplicationError(_("Write what is still wrong."), field="note")
        _reopen(complaint, actor=actor, kind="verification_failed", note=note.strip())
    return complaint


@transaction.atomic
def complaint_confirm(
    *, complaint: Complaint, actor, answer: str, rating: str, comment: str = "", version: int | None = None
) -> Complaint:
    """The reporter answers solved / partly / not solved and rates. Not solved or 不满意 reopens (a redo)."""
    _forbid(actor.pk == complaint.reporter_id)
    if answer not in Answer.values:
        raise ApplicationError(_("Say whether the problem is solved."), field="answer")
    if rating not in Rating.values:
        raise ApplicationError(_("Choose how satisfied you are."), field="rating")
    reopen = answer == Answer.NOT_SOLVED or rating == Rating.DISSATISFIED
    if reopen and not comment.strip():
        raise ApplicationError(_("Tell us what is still wrong, so it can be handled again."), field="comment")
    complaint = _lock(complaint, action="confirm", version=version)
    if reopen:
        complaint.answer, complaint.rating, complaint.rating_comment = "", "", ""
        event = _reopen(complaint, actor=actor, kind="reopened", note=comment.strip())
        event.data = {"answer": answer, "rating": rating}
        event.save(update_fields=["data"])
        _notify(_managers(complaint), complaint, event=event, title=gettext_noop("Case %(number)s was reopened by the resident"))
    else:
        event = _move(complaint, S.CLOSED, actor=actor, kind="confirmed", note=comment.strip(), answer=answer,
                      rating=rating, rating_comment=comment.strip(), closed_at=timezone.now())
        event.data = {"answer": answer, "rating": rating}
        event.save(update_fields=["data"])
        _schedule_surveys(complaint)
    return complaint


def _schedule_surveys(complaint: Complaint) -> None:
    """A closed case gets its follow-up survey (and a recheck for categories that recur), in this transaction."""
    from .surveys.services import survey_schedule_for_case

    survey_schedule_for_case(complaint=complaint)


@transaction.atomic
def complaint_close_unconfirmed(*, complaint: Complaint, now: datetime | None = None) -> Complaint | None:
    """Close a case whose resident did not answer within 7 days; it never counts as solved. Idempotent."""
    now = now or timezone.now()
    locked = Complaint.objects.select_for_update(skip_locked=True).filter(
        pk=complaint.pk, status=S.AWAITING_CONFIRMATION, confirm_due_at__lte=now
    ).first()
    if locked is None:
        return None
    _move(locked, S.CLOSED_UNCONFIRMED, actor=None, kind="closed_unconfirmed", closed_at=now)
    _schedule_surveys(locked)
    return locked


@transaction.atomic
def complaint_reopen_from_survey(*, complaint: Complaint, survey, reason: str) -> Complaint:
    """A follow-up answer says the problem is not solved: a new round, with the answer as its reason.

    Called by complaints.surveys.services.survey_answer in its transaction; the resident is the actor.
    """
    complaint = _lock(complaint, action="reopen_from_survey", version=None)
    complaint.answer, complaint.rating, complaint.rating_comment, complaint.closed_at = "", "", "", None
    event = _reopen(complaint, actor=survey.recipient, kind="reopened_by_survey", note=reason.strip())
    event.data = {"survey": survey.pk, "purpose": survey.purpose, "solved": survey.solved,
                  "still_fixed": survey.still_fixed}
    event.save(update_fields=["data"])
    audit(actor=survey.recipient, action="complaint.reopen_from_survey", target=complaint, survey=survey.pk)
    _notify(_managers(complaint), complaint, event=event,
            title=gettext_noop("Case %(number)s was reopened: the follow-up survey says it is not solved"))
    return complaint


@transaction.atomic
def complaint_comment(
    *, complaint: Complaint, actor, text: str, internal: bool = False, photos: Sequence[ProcessedPhoto] = ()
) -> TimelineEvent:
    """Add a comment (internal notes are for staff only) with photos to the timeline."""
    staff = permissions.is_case_manager(actor, complaint) or permissions.handled_dispatches(actor).filter(
        complaint=complaint
    ).exists() or Compound.objects.visible_to(actor, as_staff=True).filter(pk=complaint.compound_id).exists()
    _forbid(staff or Follower.objects.filter(complaint=complaint, user=actor).exists())
    if internal and not staff:
        raise ApplicationError(_("Only staff can write internal notes."), field="internal")
    if not text.strip() and not photos:
        raise ApplicationError(_("Write a comment or add a photo."), field="text")
    complaint = _lock(complaint, action="comment", version=None)
    event = _event(complaint, kind="comment", actor=actor, note=text.strip(), internal=internal)
    _attach(complaint, photos, actor=actor, event=event, evidence=False)
    if not internal:
        _notify(_followers(complaint), complaint, event=event, title=gettext_noop("New comment on case %(number)s"), exclude=actor)
    return event

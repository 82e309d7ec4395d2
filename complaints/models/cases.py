"""Whistle and report (居民吹哨 → 社区吹哨，部门报到): cases, dispatches, timeline, escalations.

Every deadline is a column; the beat sweeper (complaints.tasks) reads them. Rows of TimelineEvent
and Escalation are only ever inserted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import Building, Compound, Department, PropertyCompany, Unit, UrgencyTier


class Category(models.TextChoices):
    """Shares from domain.md §4: property service 32%, parking 14%, neighbours 12%, facilities 10%, ..."""

    PROPERTY_SERVICE = "property_service", _("property service quality")
    PARKING = "parking", _("parking")
    NEIGHBOURS = "neighbours", _("neighbours (leaks, noise)")
    FACILITIES = "facilities", _("facilities (lifts, water, power)")
    SANITATION = "sanitation", _("sanitation and garbage")
    ILLEGAL_BUILDING = "illegal_building", _("illegal building")
    COMMITTEE = "committee", _("owners' committee and assembly")
    FIRE_SAFETY = "fire_safety", _("fire lanes and group renting")
    OTHER = "other", _("other")


# "Resolved" stays a claim until the community checks it on site, for these categories and for
# every case that was whistled to a department.
CATEGORIES_REQUIRING_VERIFICATION = frozenset(
    {Category.FACILITIES, Category.ILLEGAL_BUILDING, Category.FIRE_SAFETY, Category.SANITATION}
)


class Source(models.TextChoices):
    RESIDENT = "resident", _("resident")
    GRID_PATROL = "grid_patrol", _("grid worker on patrol")
    ON_BEHALF = "on_behalf", _("grid worker on behalf of a resident (代办)")
    PROPERTY = "property", _("property company")
    PARTY_POST = "party_post", _("party member on a post")


class PlaceKind(models.TextChoices):
    UNIT = "unit", _("my home")
    BUILDING = "building", _("a building")
    PUBLIC_AREA = "public_area", _("a public area of the compound")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("awaiting acceptance")
    NEEDS_INFO = "needs_info", _("waiting for the reporter")
    ACCEPTED = "accepted", _("accepted")
    HANDLING = "handling", _("being handled")
    RESOLVED = "resolved", _("resolved, awaiting check")
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("awaiting the resident's confirmation")
    PARKED = "parked", _("parked with a plan (挂账)")
    CLOSED = "closed", _("closed")
    CLOSED_UNCONFIRMED = "closed_unconfirmed", _("closed, unconfirmed")
    REJECTED = "rejected", _("not accepted")
    MERGED = "merged", _("merged into another case")


OPEN_STATUSES = frozenset(
    {Status.SUBMITTED, Status.NEEDS_INFO, Status.ACCEPTED, Status.HANDLING, Status.RESOLVED, Status.AWAITING_CONFIRMATION}
)
TERMINAL_STATUSES = frozenset({Status.CLOSED, Status.CLOSED_UNCONFIRMED, Status.REJECTED, Status.MERGED})


class Answer(models.TextChoices):
    SOLVED = "solved", _("solved")
    PARTLY = "partly", _("partly solved")
    NOT_SOLVED = "not_solved", _("not solved")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY = "basically", _("basically satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")


class ComplaintQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now=None):
        """Return cases with an overdue step of their own or of an open dispatch."""
        now = now or timezone.now()
        own = Q(status=Status.SUBMITTED, accept_due_at__lt=now) | Q(
            status__in=[Status.ACCEPTED, Status.HANDLING, Status.RESOLVED], handle_due_at__lt=now
        )
        dispatch = Q(
            id__in=Dispatch.objects.open().overdue(now).values("complaint_id"),
        )
        return self.filter(own | dispatch)

    def visible_to(self, user):
        """Return the cases a user may see: their own and followed ones, and those in their staff scope.

        Department staff see the cases whistled to their department.
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        from governance.scoping import granted_ids

        staff_compounds = Compound.objects.visible_to(user, as_staff=True).values("pk")
        return self.filter(
            Q(reporter_id=user.pk)
            | Q(id__in=Follower.objects.filter(user_id=user.pk).values("complaint_id"))
            | Q(compound_id__in=staff_compounds)
            | Q(id__in=Dispatch.objects.filter(department_id__in=granted_ids(user, "department")).values("complaint_id"))
        )


class Complaint(TimeStampedModel):
    number = models.CharField(_("case number"), max_length=16, unique=True, editable=False)
    compound = models.ForeignKey(Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="complaints")
    building = models.ForeignKey(
        Building, verbose_name=_("building"), null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="complaints")
    place_kind = models.CharField(_("where"), max_length=12, choices=PlaceKind.choices)
    place_note = models.CharField(_("place details"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    urgency = models.CharField(_("urgency"), max_length=12, choices=UrgencyTier.choices, default=UrgencyTier.GENERAL)
    title = models.CharField(_("title"), max_length=60)
    description = models.TextField(_("description"), max_length=2000)
    hide_name = models.BooleanField(_("hide my name from the public"), default=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.RESIDENT)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reporter"), on_delete=models.PROTECT, related_name="complaints"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+",
        help_text=_("Differs from the reporter when a grid worker files on a resident's behalf."),
    )
    status = models.CharField(_("status"), max_length=24, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    status_before_pause = models.CharField(max_length=24, choices=Status.choices, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False, help_text="Raised by every transition.")
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_cases")
    reject_reason = models.CharField(_("reason for not accepting"), max_length=200, blank=True)
    info_request = models.CharField(_("question to the reporter"), max_length=200, blank=True)
    # Deadlines: accept by, handle by (the whole case), answer by (the resident's confirmation).
    accept_due_at = models.DateTimeField(_("accept by"), null=True, blank=True)
    handle_due_at = models.DateTimeField(_("handle by"), null=True, blank=True)
    confirm_due_at = models.DateTimeField(_("confirm by"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("seconds paused"), default=0)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    answer = models.CharField(_("resident's answer"), max_length=12, choices=Answer.choices, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=300, blank=True)
    redo_count = models.PositiveSmallIntegerField(_("redo count"), default=0)
    round = models.PositiveSmallIntegerField(_("handling round"), default=1, help_text=_("Raised when a case is reopened."))

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["compound", "status"]),
            models.Index(fields=["status", "accept_due_at"]),
            models.Index(fields=["status", "handle_due_at"]),
            models.Index(fields=["status", "confirm_due_at"]),
            # The case ledger (台账) at two million cases: newest first within a compound, and newest first
            # overall for the wide places (district, street, community) — see governance/dashboards/ledger.py.
            models.Index(fields=["compound", "created_at", "id"], name="complaint_compound_created_idx"),
            models.Index(fields=["created_at", "id"], name="complaint_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False), name="merged_case_names_survivor"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (~Q(answer="") & ~Q(rating="")), name="closed_case_has_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    @property
    def counts_as_solved(self) -> bool:
        """A case counts as solved only when its resident said so; an unconfirmed closure never does."""
        return self.status == Status.CLOSED and self.answer == Answer.SOLVED


class CaseCounter(models.Model):
    """The last case number issued on a day; locked while a number is taken."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Follower(models.Model):
    class Via(models.TextChoices):
        REPORTER = "reporter", _("reporter")
        ME_TOO = "me_too", _("me too")
        MERGED = "merged", _("merged case")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_complaints")
    via = models.CharField(max_length=10, choices=Via.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["complaint", "user"], name="uniq_follower")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.complaint_id}"


class HandlerKind(models.TextChoices):
    # The owners' committee joins as a handler with the committees issue (it has no members yet).
    PROPERTY = "property", _("property company")
    PARTY_BRANCH = "party_branch", _("compound party branch")
    DEPARTMENT = "department", _("functional department")


class DispatchStatus(models.TextChoices):
    PENDING = "pending", _("awaiting acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    EXTENSION_REQUESTED = "extension_requested", _("extension requested")
    RESOLVED = "resolved", _("resolved")
    RETURNED = "returned", _("returned")
    PARKED = "parked", _("parked (挂账)")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_DISPATCH_STATUSES = frozenset({DispatchStatus.PENDING, DispatchStatus.ACKNOWLEDGED, DispatchStatus.EXTENSION_REQUESTED})


class DispatchQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_DISPATCH_STATUSES)

    def overdue(self, now=None):
        """Return dispatches past a deadline; a case waiting for its reporter has its clock paused."""
        now = now or timezone.now()
        return self.filter(
            Q(status=DispatchStatus.PENDING, acknowledge_due_at__lt=now)
            | Q(status__in=OPEN_DISPATCH_STATUSES, handle_due_at__lt=now),
            complaint__paused_at__isnull=True,
        )


class Dispatch(TimeStampedModel):
    """One handler's part of a case, with its own clock: acknowledge by, handle by."""

    complaint = models.ForeignKey(Complaint, verbose_name=_("case"), on_delete=models.PROTECT, related_name="dispatches")
    handler_kind = models.CharField(_("handler"), max_length=12, choices=HandlerKind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT, related_name="dispatches"
    )
    property_company = models.ForeignKey(
        PropertyCompany, verbose_name=_("property company"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="dispatches",
    )
    tier = models.CharField(_("urgency tier"), max_length=12, choices=UrgencyTier.choices)
    status = models.CharField(_("status"), max_length=20, choices=DispatchStatus.choices, default=DispatchStatus.PENDING)
    instructions = models.CharField(_("instructions"), max_length=300, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"))
    handle_due_at = models.DateTimeField(_("handle by"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    contacted_at = models.DateTimeField(_("resident contacted at"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived on site at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    result = models.TextField(_("result"), blank=True)
    return_reason = models.CharField(_("reason for return"), max_length=200, blank=True)
    return_to = models.ForeignKey(
        Department, verbose_name=_("belongs to department"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    extension_hours = models.PositiveIntegerField(_("extension asked (hours)"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for extension"), max_length=200, blank=True)
    park_plan = models.TextField(_("plan for a parked case"), blank=True)
    round = models.PositiveSmallIntegerField(_("handling round"), default=1)
    is_redo = models.BooleanField(_("reopened against this handler"), default=False)
    community_score = models.PositiveSmallIntegerField(_("community's rating of the 报到 (1–5)"), null=True, blank=True)
    community_comment = models.CharField(_("community's comment"), max_length=200, blank=True)

    objects = DispatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["complaint_id", "id"]
        indexes = [
            models.Index(fields=["status", "acknowledge_due_at"]),
            models.Index(fields=["status", "handle_due_at"]),
            models.Index(fields=["department", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(handler_kind="department") | Q(department__isnull=False), name="department_dispatch_names_it"
            ),
            models.CheckConstraint(
                condition=~Q(handler_kind="property") | Q(property_company__isnull=False), name="property_dispatch_names_it"
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | Q(return_to__isnull=False) | ~Q(handler_kind="department"),
                name="department_return_names_a_department",
            ),
            models.CheckConstraint(
                condition=Q(community_score__isnull=True) | Q(community_score__gte=1, community_score__lte=5),
                name="dispatch_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} → {self.handler_name}"

    @property
    def handler_name(self) -> str:
        if self.handler_kind == HandlerKind.DEPARTMENT and self.department_id:
            return self.department.name
        if self.handler_kind == HandlerKind.PROPERTY and self.property_company_id:
            return self.property_company.name
        return self.get_handler_kind_display()


class TimelineEvent(models.Model):
    """One line of a case's history. Inserted only; never edited, never deleted."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="timeline")
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.PROTECT, related_name="timeline")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("what"), max_length=32)
    from_status = models.CharField(_("from"), max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=24, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    internal = models.BooleanField(_("staff only"), default=False)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"


class Attachment(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(TimelineEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    image = models.ImageField(_("photo"), upload_to="cases/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="cases/%Y/%m/thumbs/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    is_evidence = models.BooleanField(_("evidence of the result"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.image.name


class Escalation(models.Model):
    """A reminder (催办) or a supervision (督办) raised for one overdue step, exactly once."""

    class Level(models.TextChoices):
        REMINDER = "reminder", _("reminder (催办)")
        SUPERVISION = "supervision", _("supervision (督办)")

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="escalations")
    dispatch = models.ForeignKey(Dispatch, null=True, blank=True, on_delete=models.PROTECT, related_name="escalations")
    step = models.CharField(_("overdue step"), max_length=32)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    key = models.CharField(max_length=80, unique=True, help_text="complaint/dispatch + step + due time + level")
    due_at = models.DateTimeField(_("was due at"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key

"""Meetings (楼宇会, 业主大会, committee meetings), their agenda items, candidates, documents and discussion."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import Building, Compound, Role, RoleAssignment

from .. import tally
from .bodies import CommitteeMember


def convener_compound_ids(user) -> models.QuerySet:
    """Return a subquery of the compounds where `user` may convene meetings.

    Staff who manage the compound (community, street, district), the compound's party-branch
    secretary, and current members of its owners' committee.
    """
    managed = Compound.objects.managed_by(user).values("id")
    secretary = RoleAssignment.objects.active().filter(user_id=user.pk, role=Role.PARTY_SECRETARY).values("compound_id")
    member = CommitteeMember.objects.current().filter(user_id=user.pk).values("committee__compound_id")
    return Compound.objects.filter(Q(id__in=managed) | Q(id__in=secretary) | Q(id__in=member)).values("id")


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Return the meetings of compounds the user sees; drafts only to those who may convene there."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        conveners = convener_compound_ids(user)
        # Tellers enter paper ballots even when they live elsewhere (volunteers, street staff).
        teller_of = Meeting.tellers.through.objects.filter(user_id=user.pk).values("meeting_id")
        seen = Q(compound_id__in=Compound.objects.visible_to(user).values("id")) | Q(pk__in=teller_of)
        return self.filter(seen).filter(~Q(status=Meeting.Status.DRAFT) | Q(compound_id__in=conveners))

    def voting_open(self, at=None):
        at = at or timezone.now()
        return self.filter(status=Meeting.Status.NOTICED, vote_opens_at__lte=at, vote_closes_at__gt=at)

    def due_to_close(self, at=None):
        return self.filter(status=Meeting.Status.NOTICED, vote_closes_at__lte=at or timezone.now())


class Meeting(TimeStampedModel):
    """A meeting with an agenda; with a voting window when its items are put to the vote."""

    class Kind(models.TextChoices):
        BUILDING = "building", _("building meeting (楼宇会)")
        ASSEMBLY = "assembly", _("owners' assembly (业主大会)")
        COMMITTEE = "committee", _("committee meeting")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        NOTICED = "noticed", _("notice published")
        CLOSED = "closed", _("closed, result published")
        CANCELLED = "cancelled", _("cancelled")

    class Convener(models.TextChoices):
        COMMITTEE = "committee", _("owners' committee")
        PARTY_BRANCH = "party_branch", _("party branch")
        COMMUNITY = "community", _("community")

    class Precedence(models.TextChoices):
        FIRST_WINS = "first_wins", _("the first valid ballot counts; later ones are set aside")
        PAPER_WINS = "paper_wins", _("a signed paper or proxy ballot replaces an online one")

    compound = models.ForeignKey(Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="meetings")
    building = models.ForeignKey(
        Building, verbose_name=_("building"), null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    entrance = models.CharField(_("entrance"), max_length=16, blank=True, help_text=_("Leave empty for the whole building."))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    convener = models.CharField(_("convened by"), max_length=16, choices=Convener.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+")
    place = models.CharField(_("place"), max_length=120, blank=True)
    starts_at = models.DateTimeField(_("meeting time"))
    vote_opens_at = models.DateTimeField(_("voting opens"), null=True, blank=True)
    vote_closes_at = models.DateTimeField(_("voting closes"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    precedence = models.CharField(
        _("when one owner votes twice"), max_length=12, choices=Precedence.choices, default=Precedence.FIRST_WINS
    )
    tellers = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("tellers"), blank=True, related_name="teller_meetings")
    # Frozen when the notice is published: the compound's setting may change later.
    non_voters_follow_majority = models.BooleanField(_("从众 clause applies"), default=False)
    notice_published_at = models.DateTimeField(_("notice published"), null=True, blank=True)
    result_published_at = models.DateTimeField(_("result published"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_published_at = models.DateTimeField(_("minutes published"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vote_opens_at__isnull=True, vote_closes_at__isnull=True)
                | Q(vote_opens_at__isnull=False, vote_closes_at__gt=models.F("vote_opens_at")),
                name="meeting_vote_window_ordered",
            ),
            models.CheckConstraint(condition=~Q(kind="building") | Q(building__isnull=False), name="building_meeting_has_building"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="cancelled") | Q(notice_published_at__isnull=False),
                name="published_meeting_has_notice_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "vote_closes_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def has_vote(self) -> bool:
        return self.vote_opens_at is not None

    def voting_is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == self.Status.NOTICED and self.has_vote and self.vote_opens_at <= at < self.vote_closes_at


class Matter(models.IntegerChoices):
    """The matters of 民法典 第278条 decided jointly by the owners."""

    RULES_OF_PROCEDURE = 1, _("(1) rules of procedure of the owners' assembly")
    COVENANT = 2, _("(2) management covenant")
    COMMITTEE = 3, _("(3) electing or replacing committee members")
    PROPERTY_COMPANY = 4, _("(4) hiring or dismissing the property company")
    USE_FUND = 5, _("(5) using the maintenance fund")
    RAISE_FUND = 6, _("(6) raising the maintenance fund")
    REBUILD = 7, _("(7) rebuilding or reconstructing buildings")
    COMMON_PARTS = 8, _("(8) changing the use of common parts or using them for business")
    OTHER = 9, _("(9) other major matters of common ownership")


class AgendaItem(TimeStampedModel):
    """One question or election on a meeting's agenda, with the rule that decides it.

    For assembly items the rule follows from the Civil Code matter; a database constraint holds it
    there, so it cannot be set by hand to anything else.
    """

    class Kind(models.TextChoices):
        QUESTION = "question", _("question (yes / no / abstain)")
        ELECTION = "election", _("election of committee members")

    class Rule(models.TextChoices):
        MAJORITY = tally.MAJORITY, _("more than half of the area and of the owners taking part (2/3 must take part)")
        SUPERMAJORITY = tally.SUPERMAJORITY, _("three quarters of the area and of the owners taking part (2/3 must take part)")
        HOUSEHOLD_MAJORITY = tally.HOUSEHOLD_MAJORITY, _("one vote per household, more than half of those voting")
        CONSENSUS = tally.CONSENSUS, _("consensus: nobody of those voting against")

    class Proposer(models.TextChoices):
        RESIDENT = "resident", _("residents")
        PARTY_BRANCH = "party_branch", _("party branch")
        COMMITTEE = "committee", _("owners' committee")
        PROPERTY_COMPANY = "property_company", _("property company")
        COMMUNITY = "community", _("community")

    meeting = models.ForeignKey(Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.QUESTION)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    proposer = models.CharField(_("proposed by"), max_length=20, choices=Proposer.choices)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+")
    matter = models.PositiveSmallIntegerField(_("Civil Code matter"), choices=Matter.choices, null=True, blank=True)
    rule = models.CharField(_("decision rule"), max_length=20, choices=Rule.choices)
    seats = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)
    party_opinion = models.TextField(_("party branch opinion"), blank=True)
    party_opinion_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opinion by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party_opinion_at = models.DateTimeField(_("opinion given"), null=True, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True, editable=False)
    passed = models.BooleanField(_("passed"), null=True, editable=False)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="uniq_item_position"),
            models.CheckConstraint(
                # matter__isnull=False: "NULL IN (...)" is NULL, which a CHECK would let pass.
                condition=Q(matter__isnull=False, matter__in=sorted(tally.SUPERMAJORITY_MATTERS), rule=tally.SUPERMAJORITY)
                | Q(matter__isnull=False, matter__in=[m for m in tally.MATTERS if m not in tally.SUPERMAJORITY_MATTERS],
                    rule=tally.MAJORITY)
                | Q(matter__isnull=True, rule__in=[tally.HOUSEHOLD_MAJORITY, tally.CONSENSUS]),
                name="item_rule_follows_matter",
            ),
            models.CheckConstraint(
                condition=Q(kind="question", seats__isnull=True) | Q(kind="election", matter=3, seats__gte=1),
                name="election_item_has_seats",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


def _document_upload_to(instance, filename: str) -> str:
    return f"meetings/{timezone.now():%Y/%m}/{filename}"


class ItemDocument(TimeStampedModel):
    item = models.ForeignKey(AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE, related_name="documents")
    name = models.CharField(_("name"), max_length=120)
    file = models.FileField(_("file"), upload_to=_document_upload_to)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["item_id", "id"]

    def __str__(self) -> str:
        return self.name


class ItemComment(models.Model):
    """One post in an item's discussion thread; only ever inserted (a hidden post keeps its row)."""

    item = models.ForeignKey(AgendaItem, verbose_name=_("agenda item"), on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"), max_length=2000)
    created_at = models.DateTimeField(_("posted at"), auto_now_add=True)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["item_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.body[:40]


class Candidate(models.Model):
    item = models.ForeignKey(AgendaItem, verbose_name=_("election"), on_delete=models.CASCADE, related_name="candidates")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("candidate"), on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(_("number"))
    statement = models.TextField(_("statement"), blank=True)
    is_party_member = models.BooleanField(_("party member"), default=False)
    vetting_note = models.CharField(_("party branch review"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["item_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="uniq_candidate"),
            models.UniqueConstraint(fields=["item", "position"], name="uniq_candidate_position"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class AssemblyPetition(TimeStampedModel):
    """Owners asking for an owners' assembly; 20% of the owners trigger it (业主大会议事规则)."""

    class Status(models.TextChoices):
        OPEN = "open", _("collecting signatures")
        TRIGGERED = "triggered", _("enough owners signed: an assembly must be convened")
        CONVENED = "convened", _("assembly convened")

    compound = models.ForeignKey(Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="petitions")
    title = models.CharField(_("what the assembly should decide"), max_length=120)
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    owners_total = models.PositiveIntegerField(_("owners in the compound"), default=0)
    # Both counted by committees.services.petition_sign at each signature, as an assembly counts owners.
    owners_signed = models.PositiveIntegerField(_("owners who signed"), default=0)
    triggered_at = models.DateTimeField(_("triggered at"), null=True, blank=True)
    meeting = models.ForeignKey(Meeting, verbose_name=_("assembly"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("petition for an assembly")
        verbose_name_plural = _("petitions for an assembly")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class PetitionSignature(models.Model):
    petition = models.ForeignKey(AssemblyPetition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="signatures")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [models.UniqueConstraint(fields=["petition", "user"], name="uniq_petition_signature")]

    def __str__(self) -> str:
        return f"{self.petition_id} · {self.user_id}"

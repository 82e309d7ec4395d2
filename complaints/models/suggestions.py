"""The suggestion box (意见箱): a resident writes to the compound's party branch, owners' committee or
property company; the recipient answers; an answered suggestion may be published on the compound board.

An anonymous suggestion hides its author from the recipient; staff who manage the compound still see
who wrote it (abuse handling). Who may answer is `SuggestionQuerySet.answerable_by`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import Compound


class Recipient(models.TextChoices):
    PARTY_BRANCH = "party_branch", _("the compound's party branch")
    COMMITTEE = "committee", _("the owners' committee")
    PROPERTY_COMPANY = "property_company", _("the property company")


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("waiting for an answer")
    ANSWERED = "answered", _("has an answer")


def answerer_compounds(user, recipient: str) -> models.QuerySet:
    """Return a subquery of the compounds where `user` answers suggestions addressed to `recipient`.

    Party branch: the compound's party-branch secretary. Committee: current members of the compound's
    owners' committee. Property company: staff of a company with an active contract for the compound.
    """
    from committees.models import CommitteeMember
    from governance.models import Role, RoleAssignment, ServiceContract

    if recipient == Recipient.PARTY_BRANCH:
        return RoleAssignment.objects.active().filter(user_id=user.pk, role=Role.PARTY_SECRETARY).values("compound_id")
    if recipient == Recipient.COMMITTEE:
        return CommitteeMember.objects.current().filter(user_id=user.pk).values("committee__compound_id")
    if recipient == Recipient.PROPERTY_COMPANY:
        companies = RoleAssignment.objects.active().filter(user_id=user.pk, role=Role.PROPERTY_STAFF).values(
            "property_company_id"
        )
        return ServiceContract.objects.active().filter(company_id__in=companies).values("compound_id")
    raise LookupError(recipient)


def answerable_q(user, prefix: str = "") -> Q:
    """Return the condition that a suggestion is the user's to answer (subqueries only, no query of its own)."""
    p = prefix
    q = Q(**{f"{p}compound_id__in": Compound.objects.managed_by(user).values("pk")})
    for recipient in Recipient.values:
        q |= Q(**{f"{p}recipient": recipient, f"{p}compound_id__in": answerer_compounds(user, recipient)})
    return q


class SuggestionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def answerable_by(self, user):
        """Return the suggestions the user may answer: addressed to them, or in a compound they manage."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(answerable_q(user))

    def visible_to(self, user):
        """Return what the user may read: their own, the published ones of compounds they see, and the
        ones they may answer."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(
            Q(author_id=user.pk)
            | Q(published=True, compound_id__in=Compound.objects.visible_to(user).values("pk"))
            | answerable_q(user)
        )

    def inbox_order(self):
        """Unanswered first (oldest waiting at the top), then the answered ones, newest answer first."""
        return self.order_by(
            models.F("answered_at").desc(nulls_first=True), "created_at", "id"
        )


class Suggestion(TimeStampedModel):
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="suggestions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="suggestions"
    )
    recipient = models.CharField(_("addressed to"), max_length=20, choices=Recipient.choices)
    title = models.CharField(_("title"), max_length=60)
    text = models.TextField(_("suggestion"), max_length=2000)
    anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("Hidden from the recipient; community staff still see who wrote it.")
    )
    status = models.CharField(_("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN)
    answer = models.TextField(_("answer"), max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    published = models.BooleanField(_("published on the compound board"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = SuggestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["compound", "recipient", "status"], name="suggestion_inbox_idx"),
            models.Index(fields=["compound", "published", "published_at"], name="suggestion_board_idx"),
            models.Index(fields=["author", "created_at"], name="suggestion_author_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status="open", answered_at__isnull=True)
                    | (Q(status="answered", answered_at__isnull=False) & ~Q(answer=""))
                ),
                name="suggestion_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=Q(published=False, published_at__isnull=True)
                | Q(published=True, published_at__isnull=False, status="answered"),
                name="suggestion_published_only_answered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

"""The suggestion box (意见箱): who may write, read and answer, how the author is shown, and the writes.

- Residents (verified, current owners and tenants) write to a body of their compound: the party branch,
  the owners' committee or the property company.
- The body answers: the party branch's secretary, a current committee member, staff of the company
  serving the compound. Staff who manage the compound (community, street, district) may answer any.
- The author sees their own; anyone who sees the compound reads its published suggestions.
- Anonymous means anonymous to the recipient: "匿名居民", no name, phone or home. Managing staff still
  see the author (abuse handling). On the board a name is always masked (王**) or hidden.

Every write is one transaction with an audit row; rules refused raise ApplicationError naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.audit import audit
from core.errors import ApplicationError
from core.masking import mask_name, mask_phone
from core.notifications import notify
from governance.models import Compound, PartyOrganisation, Role, RoleAssignment, ServiceContract, Unit
from governance.scoping import resident_unit_q

from .models import Recipient, Suggestion, SuggestionStatus
from .models.suggestions import answerable_q, answerer_compounds
from .permissions import lives_in

ANONYMOUS_AUTHOR = gettext_lazy("Anonymous resident")
TITLE_MAX = 60
TEXT_MAX = 2000
BOARD_SHOWN = 5
PAGE_SIZE = 20


# --- who may do what ------------------------------------------------------------------------------


def home_compounds(user) -> QuerySet:
    """Return the compounds where the user lives (verified, current owner or tenant): where they may write."""
    if not user.is_authenticated or not user.is_active:
        return Compound.objects.none()
    return Compound.objects.filter(id__in=Unit.objects.filter(resident_unit_q(user)).values("building__compound_id"))


def available_recipients(compound: Compound) -> list[str]:
    """Return the recipients present in a compound (one query): a party branch, a committee in office,
    a property company under an active contract."""
    from committees.models import OwnersCommittee

    row = (
        Compound.objects.filter(pk=compound.pk)
        .annotate(
            has_branch=Exists(
                PartyOrganisation.objects.filter(compound_id=OuterRef("pk"), kind=PartyOrganisation.Kind.COMPOUND_BRANCH)
            ),
            has_secretary=Exists(
                RoleAssignment.objects.active().filter(compound_id=OuterRef("pk"), role=Role.PARTY_SECRETARY)
            ),
            has_committee=Exists(OwnersCommittee.objects.active().filter(compound_id=OuterRef("pk"))),
            has_company=Exists(ServiceContract.objects.active().filter(compound_id=OuterRef("pk"))),
        )
        .values("has_branch", "has_secretary", "has_committee", "has_company")
        .first()
    ) or {}
    present = {
        Recipient.PARTY_BRANCH: row.get("has_branch") or row.get("has_secretary"),
        Recipient.COMMITTEE: row.get("has_committee"),
        Recipient.PROPERTY_COMPANY: row.get("has_company"),
    }
    return [recipient for recipient in Recipient.values if present[recipient]]


def can_answer(user, suggestion: Suggestion) -> bool:
    return Suggestion.objects.answerable_by(user).filter(pk=suggestion.pk).exists()


def answers_anywhere(user) -> bool:
    """Return whether the user answers suggestions somewhere (for the link to the answering list)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    q = Q(id__in=Compound.objects.managed_by(user).values("pk"))
    for recipient in Recipient.values:
        q |= Q(id__in=answerer_compounds(user, recipient))
    return Compound.objects.filter(q).exists()


def recipient_users(compound: Compound, recipient: str) -> QuerySet:
    """Return the people who receive (and answer) a suggestion to `recipient` in `compound`."""
    from committees.models import CommitteeMember
    from residents.models import User

    if recipient == Recipient.PARTY_BRANCH:
        ids = RoleAssignment.objects.active().filter(role=Role.PARTY_SECRETARY, compound_id=compound.pk).values("user_id")
    elif recipient == Recipient.COMMITTEE:
        ids = CommitteeMember.objects.current().filter(committee__compound_id=compound.pk).values("user_id")
    else:
        companies = ServiceContract.objects.active().filter(compound_id=compound.pk).values("company_id")
        ids = RoleAssignment.objects.active().filter(role=Role.PROPERTY_STAFF, property_company_id__in=companies).values(
            "user_id"
        )
    return User.objects.filter(pk__in=ids, is_active=True)


def with_viewer_flags(qs: QuerySet, user) -> QuerySet:
    """Add `viewer_manages` (staff over the compound) and `viewer_answers` to each row, in the same query."""
    if user.is_superuser:
        return qs.annotate(viewer_manages=Value(True), viewer_answers=Value(True))
    manages = Q(compound_id__in=Compound.objects.managed_by(user).values("pk"))
    return qs.annotate(
        viewer_manages=ExpressionWrapper(manages, output_field=BooleanField()),
        viewer_answers=ExpressionWrapper(answerable_q(user), output_field=BooleanField()),
    )


# --- how the author is shown ----------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorCard:
    name: str
    phone: str
    identified: bool  # the viewer may know who wrote it (and so see their home)


def author_card(suggestion: Suggestion, viewer, *, manages: bool, answers: bool) -> AuthorCard:
    """Return the author as this viewer may see them.

    The author and managing staff: name and phone. The recipient: "匿名居民" when anonymous, else the
    name and a masked phone. Everyone else (the public board): hidden when anonymous, else masked (王**).
    """
    author = suggestion.author
    if (viewer is not None and suggestion.author_id == viewer.pk) or manages:
        return AuthorCard(author.real_name, author.phone, True)
    if suggestion.anonymous:
        return AuthorCard(str(ANONYMOUS_AUTHOR), "", False)
    if answers:
        return AuthorCard(author.real_name, mask_phone(author.phone), True)
    return AuthorCard(mask_name(author.real_name), "", False)


def public_author(suggestion: Suggestion) -> str:
    """The author's name on the compound board: hidden when anonymous, else masked (王**)."""
    return str(ANONYMOUS_AUTHOR) if suggestion.anonymous else mask_name(suggestion.author.real_name)


def author_homes(suggestion: Suggestion) -> list[str]:
    """Return the author's homes in the suggestion's compound (only for viewers with an identified card)."""
    units = Unit.objects.filter(resident_unit_q(suggestion.author), building__compound_id=suggestion.compound_id)
    return [str(unit) for unit in units.select_related("building").order_by("building__name", "number")]


def board_suggestions(compound: Compound, limit: int = BOARD_SHOWN) -> list[Suggestion]:
    """Return the latest published suggestions of a compound for its board (one query), names masked."""
    rows = list(
        Suggestion.objects.published().filter(compound=compound).select_related("author").order_by("-published_at", "-id")[:limit]
    )
    for row in rows:
        row.author_display = public_author(row)
    return rows


# --- writes ---------------------------------------------------------------------------------------


def _clean_text(value: str, *, field: str, empty: str, too_long: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ApplicationError(empty, field=field)
    if len(value) > limit:
        raise ApplicationError(too_long % {"limit": limit}, field=field)
    return value


def _detail_url(suggestion: Suggestion) -> str:
    return reverse("suggestions:detail", args=[suggestion.pk])


def suggestion_submit(
    *, actor, compound: Compound, recipient: str, title: str, text: str, anonymous: bool = False
) -> Suggestion:
    """A resident leaves a suggestion for a body of their compound; its people are told in their inbox."""
    if not lives_in(actor, compound):
        raise ApplicationError(_("Only residents of this compound can leave suggestions here."), field="compound",
                               code="forbidden")
    if recipient not in Recipient.values:
        raise ApplicationError(_("Choose who the suggestion is for."), field="recipient")
    if recipient not in available_recipients(compound):
        raise ApplicationError(_("This compound has no such recipient yet. Please choose another."), field="recipient")
    title = _clean_text(title, field="title", empty=_("Write a short title."),
                        too_long=_("The title can be at most %(limit)s characters."), limit=TITLE_MAX)
    text = _clean_text(text, field="text", empty=_("Write your suggestion."),
                       too_long=_("The suggestion can be at most %(limit)s characters."), limit=TEXT_MAX)
    with transaction.atomic():
        suggestion = Suggestion.objects.create(
            compound=compound, author=actor, recipient=recipient, title=title, text=text, anonymous=bool(anonymous)
        )
        audit(actor=actor, action="suggestion.submitted", target=suggestion, compound=compound.pk, recipient=recipient,
              anonymous=suggestion.anonymous)
        notify(
            users=recipient_users(compound, recipient).exclude(pk=actor.pk),
            key=f"suggestion:{suggestion.pk}:new",
            title=gettext_noop("New suggestion in %(compound)s: %(title)s"),
            params={"compound": compound.name, "title": title},
            url=_detail_url(suggestion),
        )
    return suggestion


def _lock(suggestion: Suggestion, actor) -> Suggestion:
    """Inside a transaction: lock the row and check the actor may answer it."""
    locked = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if not can_answer(actor, locked):
        raise ApplicationError(_("You cannot answer this suggestion."), code="forbidden")
    return locked


def suggestion_answer(*, suggestion: Suggestion, answer: str, actor, publish: bool = False) -> Suggestion:
    """The recipient (or managing staff) answers, once; the author is told. `publish` also puts it on the board."""
    answer = _clean_text(answer, field="answer", empty=_("Write an answer."),
                         too_long=_("The answer can be at most %(limit)s characters."), limit=TEXT_MAX)
    with transaction.atomic():
        locked = _lock(suggestion, actor)
        if locked.status != SuggestionStatus.OPEN:
            raise ApplicationError(
                _("This suggestion has already been answered. Reload the page to see the answer."), code="conflict"
            )
        now = timezone.now()
        locked.status = SuggestionStatus.ANSWERED
        locked.answer = answer
        locked.answered_by = actor
        locked.answered_at = now
        if publish:
            locked.published, locked.published_at = True, now
        locked.save(update_fields=["status", "answer", "answered_by", "answered_at", "published", "published_at",
                                   "updated_at"])
        audit(actor=actor, action="suggestion.answered", target=locked, published=bool(publish))
        notify(
            users=[locked.author],
            key=f"suggestion:{locked.pk}:answered",
            title=gettext_noop("Your suggestion “%(title)s” has an answer."),
            params={"title": locked.title},
            url=_detail_url(locked),
        )
    return locked


def suggestion_publish(*, suggestion: Suggestion, actor) -> Suggestion:
    """Put an answered suggestion on the compound board (the author's name masked or hidden)."""
    with transaction.atomic():
        locked = _lock(suggestion, actor)
        if locked.status != SuggestionStatus.ANSWERED:
            raise ApplicationError(_("Answer the suggestion before publishing it."), field="answer")
        if locked.published:
            return locked
        locked.published, locked.published_at = True, timezone.now()
        locked.save(update_fields=["published", "published_at", "updated_at"])
        audit(actor=actor, action="suggestion.published", target=locked)
    return locked


def suggestion_unpublish(*, suggestion: Suggestion, actor) -> Suggestion:
    """Take a suggestion off the compound board."""
    with transaction.atomic():
        locked = _lock(suggestion, actor)
        if not locked.published:
            return locked
        locked.published, locked.published_at = False, None
        locked.save(update_fields=["published", "published_at", "updated_at"])
        audit(actor=actor, action="suggestion.unpublished", target=locked)
    return locked

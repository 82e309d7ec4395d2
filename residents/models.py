"""People: the phone-login User, ownership and tenancy of units, party membership."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from governance.models import Compound, PartyOrganisation, Unit
from governance.scoping import compound_scope_q, granted_ids

phone_validator = RegexValidator(r"^1[3-9]\d{9}$", _("Enter an 11-digit mainland mobile number, e.g. 13812345678."))
id_number_validator = RegexValidator(r"^\d{17}[\dXx]$", _("Enter an 18-character resident ID number."))


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra) -> User:
        if not phone:
            raise ValueError("phone is required")
        user = self.model(phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **extra)

    def visible_to(self, viewer) -> models.QuerySet:
        """Return the people the viewer may see: themself and the owners/tenants of units in scope.

        Residents see only themselves; staff see the people of the units they may see. Costs one
        query of its own (the in-scope compound ids, at most a district's few hundred): with them as
        a list PostgreSQL estimates the ownership rows right; as a nested subquery it misjudged them
        and took seconds at district scale (docs/benchmarks.md).
        """
        qs = self.get_queryset()
        if not viewer.is_authenticated or not viewer.is_active:
            return qs.none()
        if viewer.is_superuser:
            return qs
        compound_ids = list(
            Compound.objects.filter(compound_scope_q(viewer, residents=False, grids=False)).values_list("pk", flat=True)
        )
        in_scope = Q(unit__building__compound_id__in=compound_ids) | Q(
            unit__building__grid_id__in=granted_ids(viewer, "grid")
        )
        return qs.filter(
            Q(pk=viewer.pk)
            | Q(pk__in=Ownership.objects.current().filter(in_scope).values("user_id"))
            | Q(pk__in=Tenancy.objects.current().filter(in_scope).values("user_id"))
        )


class User(AbstractBaseUser, PermissionsMixin):
    """A person: logs in with a mobile number and a password; one account per person (等保 2.0)."""

    phone = models.CharField(_("mobile number"), max_length=11, unique=True, validators=[phone_validator])
    real_name = models.CharField(_("real name"), max_length=32)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[id_number_validator])
    email = models.EmailField(_("e-mail address"), blank=True, help_text=_("Optional: reminders also come by e-mail."))
    is_party_member = models.BooleanField(_("party member"), default=False)
    is_staff = models.BooleanField(_("admin site access"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["real_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["real_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=~Q(id_number=""), name="uniq_user_id_number"),
        ]

    def __str__(self) -> str:
        return self.real_name or self.phone

    def get_full_name(self) -> str:
        return self.real_name

    def get_short_name(self) -> str:
        return self.real_name


class OwnershipQuerySet(models.QuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gte=on))

    def verified(self):
        return self.filter(status=Ownership.Status.VERIFIED)


class Ownership(TimeStampedModel):
    """A person's (co-)ownership of a unit. It gives rights only once staff verify it."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("awaiting verification")
        VERIFIED = "verified", _("verified")
        REJECTED = "rejected", _("rejected")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="ownerships")
    user = models.ForeignKey(User, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="ownerships")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CLAIMED)
    is_voter = models.BooleanField(
        _("designated voter"), default=True, help_text=_("Co-owners of a unit name one of them to vote.")
    )
    is_developer = models.BooleanField(_("developer (unsold unit)"), default=False)
    start = models.DateField(_("owner since"), default=timezone.localdate)
    end = models.DateField(_("owner until"), null=True, blank=True)
    evidence = models.CharField(_("evidence"), max_length=200, blank=True, help_text=_("Property certificate number or contract."))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User, verbose_name=_("verified by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)

    objects = OwnershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("ownership")
        verbose_name_plural = _("ownerships")
        ordering = ["unit_id", "-is_voter", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "user"], condition=Q(end__isnull=True) & ~Q(status="rejected"), name="uniq_current_ownership"
            ),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(end__isnull=True, is_voter=True, status="verified"), name="one_voter_per_unit"
            ),
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_at__isnull=False), name="verified_ownership_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit}"


class TenancyQuerySet(models.QuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=on)


class Tenancy(TimeStampedModel):
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="tenancies")
    user = models.ForeignKey(User, verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="tenancies")
    start = models.DateField(_("start"), default=timezone.localdate)
    end = models.DateField(_("end"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User, verbose_name=_("verified by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TenancyQuerySet.as_manager()

    class Meta:
        verbose_name = _("tenancy")
        verbose_name_plural = _("tenancies")
        ordering = ["unit_id", "-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=models.F("start")), name="tenancy_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit}"


class PartyMembership(TimeStampedModel):
    """Membership of a party organisation; 双报到 marks an employed member registered with a community."""

    class Post(models.TextChoices):
        SECRETARY = "secretary", _("secretary")
        DEPUTY = "deputy", _("deputy secretary")
        COMMITTEE = "committee", _("committee member")
        MEMBER = "member", _("member")

    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.PROTECT, related_name="party_memberships")
    organisation = models.ForeignKey(
        PartyOrganisation, verbose_name=_("party organisation"), on_delete=models.PROTECT, related_name="memberships"
    )
    post = models.CharField(_("post"), max_length=12, choices=Post.choices, default=Post.MEMBER)
    dual_registration = models.BooleanField(_("registered with home community (双报到)"), default=False)
    start = models.DateField(_("start"), default=timezone.localdate)
    end = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("party membership")
        verbose_name_plural = _("party memberships")
        ordering = ["organisation_id", "post", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], condition=Q(end__isnull=True), name="uniq_current_party_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation}"


class RosterImportQuerySet(models.QuerySet):
    def managed_by(self, user):
        """Return the imports of compounds the user manages (one query when evaluated)."""
        from governance.models import Compound

        return self.filter(compound__in=Compound.objects.managed_by(user))


def _roster_upload_to(instance, filename: str) -> str:
    # A random name: the file holds phone and ID numbers, so its URL must not be guessable.
    import uuid

    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return f"rosters/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class RosterImport(TimeStampedModel):
    """One upload of a compound's owner roster (CSV/XLSX), validated and applied by a Celery task."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        VALIDATING = "validating", _("checking")
        FAILED = "failed", _("failed")
        PREVIEWED = "previewed", _("checked, not saved")
        APPLIED = "applied", _("imported")

    compound = models.ForeignKey(
        "governance.Compound", verbose_name=_("compound"), on_delete=models.PROTECT, related_name="roster_imports"
    )
    uploaded_by = models.ForeignKey(User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to=_roster_upload_to)
    original_name = models.CharField(_("file name"), max_length=255)
    dry_run = models.BooleanField(_("preview only"), default=False)
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RosterImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=models.F("total_rows")), name="roster_import_progress_within_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.compound_id} · {self.original_name}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.FAILED, self.Status.PREVIEWED, self.Status.APPLIED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0

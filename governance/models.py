"""The governance map: District → Street → Community → Grid → Compound → Building → Unit,
plus property companies, party organisations, functional departments and staff roles."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from .scoping import ScopedQuerySet


class District(TimeStampedModel):
    name = models.CharField(_("name"), max_length=64, unique=True)
    code = models.CharField(_("administrative code"), max_length=12, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        permissions = [("manage_district", _("Can manage within this district"))]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Street(TimeStampedModel):
    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="streets")
    name = models.CharField(_("name"), max_length=64)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("street office")
        verbose_name_plural = _("street offices")
        permissions = [("manage_street", _("Can manage within this street office"))]
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="uniq_street_name")]

    def __str__(self) -> str:
        return self.name


class Community(TimeStampedModel):
    street = models.ForeignKey(Street, verbose_name=_("street office"), on_delete=models.PROTECT, related_name="communities")
    name = models.CharField(_("name"), max_length=64)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        permissions = [("manage_community", _("Can manage within this community"))]
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["street", "name"], name="uniq_community_name")]

    def __str__(self) -> str:
        return self.name


class Grid(TimeStampedModel):
    community = models.ForeignKey(Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="grids")
    name = models.CharField(_("name"), max_length=64)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        permissions = [("manage_grid", _("Can manage within this grid"))]
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="uniq_grid_name")]

    def __str__(self) -> str:
        return self.name


class Compound(TimeStampedModel):
    community = models.ForeignKey(Community, verbose_name=_("community"), on_delete=models.PROTECT, related_name="compounds")
    name = models.CharField(_("name"), max_length=64)
    address = models.CharField(_("address"), max_length=200, blank=True)
    built_year = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    count_non_voters_with_majority = models.BooleanField(
        _("count non-voters with the majority (从众 clause)"), default=False,
        help_text=_("Only when the compound's rules of procedure say so."),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        permissions = [("manage_compound", _("Can manage this compound"))]
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="uniq_compound_name")]

    def __str__(self) -> str:
        return self.name


class Building(TimeStampedModel):
    compound = models.ForeignKey(Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="buildings")
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), null=True, blank=True, on_delete=models.SET_NULL, related_name="buildings"
    )
    name = models.CharField(_("name"), max_length=32, help_text=_("For example 3栋"))
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound_id", "name"]
        constraints = [models.UniqueConstraint(fields=["compound", "name"], name="uniq_building_name")]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.name}" if "compound" in self._state.fields_cache else self.name


class AreaSource(models.TextChoices):
    REGISTER = "register", _("property register")
    SURVEY = "survey", _("surveyed")
    CONTRACT = "contract", _("purchase contract")


class Unit(TimeStampedModel):
    """A flat. Its exclusive-part floor area is the basis of owners' votes (民法典 第278条)."""

    building = models.ForeignKey(Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="units")
    entrance = models.CharField(_("entrance"), max_length=16, blank=True, help_text=_("For example 1单元"))
    number = models.CharField(_("unit number"), max_length=16, help_text=_("For example 302"))
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    area_register = models.DecimalField(
        _("register area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_survey = models.DecimalField(
        _("surveyed area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_contract = models.DecimalField(
        _("contract area (m²)"), max_digits=8, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["building_id", "entrance", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "entrance", "number"], name="uniq_unit_number"),
            models.CheckConstraint(
                condition=(Q(area_register__isnull=True) | Q(area_register__gt=0))
                & (Q(area_survey__isnull=True) | Q(area_survey__gt=0))
                & (Q(area_contract__isnull=True) | Q(area_contract__gt=0)),
                name="unit_areas_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.entrance}{self.number}" if self.entrance else self.number

    @property
    def area_m2(self) -> Decimal | None:
        """Return the area that counts: register, else survey, else contract (domain §3.3)."""
        for value in (self.area_register, self.area_survey, self.area_contract):
            if value is not None:
                return value
        return None

    @property
    def area_source(self) -> str | None:
        for source, value in zip(AreaSource.values, (self.area_register, self.area_survey, self.area_contract), strict=True):
            if value is not None:
                return source
        return None

    def get_area_source_display(self) -> str:
        source = self.area_source
        return AreaSource(source).label if source else ""


class PropertyCompany(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100, unique=True)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    service_phone = models.CharField(_("service phone"), max_length=20, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("property company")
        verbose_name_plural = _("property companies")
        permissions = [("manage_propertycompany", _("Can manage this property company"))]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceContractQuerySet(models.QuerySet):
    def active(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=on)


class ServiceContract(TimeStampedModel):
    compound = models.ForeignKey(Compound, verbose_name=_("compound"), on_delete=models.PROTECT, related_name="contracts")
    company = models.ForeignKey(
        PropertyCompany, verbose_name=_("property company"), on_delete=models.PROTECT, related_name="contracts"
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    fee_per_m2_month = models.DecimalField(
        _("fee (yuan per m² per month)"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    objects = ServiceContractQuerySet.as_manager()

    class Meta:
        verbose_name = _("service contract")
        verbose_name_plural = _("service contracts")
        ordering = ["compound_id", "-start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gt=models.F("start")), name="contract_end_after_start"),
            models.CheckConstraint(condition=Q(fee_per_m2_month__gte=0), name="contract_fee_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.company} → {self.compound}"


class PartyOrganisation(TimeStampedModel):
    class Kind(models.TextChoices):
        COMPOUND_BRANCH = "compound_branch", _("compound party branch")
        PROPERTY_BRANCH = "property_branch", _("property-service party branch")
        COMMUNITY_COMMITTEE = "community_committee", _("community party committee")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), null=True, blank=True, on_delete=models.PROTECT, related_name="party_organisations"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("community"), null=True, blank=True, on_delete=models.PROTECT, related_name="party_organisations"
    )
    property_company = models.ForeignKey(
        PropertyCompany, verbose_name=_("property company"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="party_organisations",
    )

    class Meta:
        verbose_name = _("party organisation")
        verbose_name_plural = _("party organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="compound_branch", compound__isnull=False))
                | Q(kind="property_branch", compound__isnull=False, property_company__isnull=False)
                | Q(kind="community_committee", community__isnull=False),
                name="party_org_has_its_place",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UrgencyTier(models.TextChoices):
    EMERGENCY = "emergency", _("emergency")
    UTILITIES = "utilities", _("utilities")
    GENERAL = "general", _("general")
    COMPLEX = "complex", _("complex")


# Defaults from domain.md §3.1 and the 12345 practice, in hours: (acknowledge, handle).
DEFAULT_TIME_LIMITS: dict[str, tuple[int, int]] = {
    UrgencyTier.EMERGENCY: (1, 2),
    UrgencyTier.UTILITIES: (2, 24),
    UrgencyTier.GENERAL: (24, 7 * 24),
    UrgencyTier.COMPLEX: (24, 15 * 24),
}


class Department(TimeStampedModel):
    district = models.ForeignKey(District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("name"), max_length=64)
    short_name = models.CharField(_("short name"), max_length=16, blank=True)
    duty_phone = models.CharField(_("duty phone"), max_length=20, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("functional department")
        verbose_name_plural = _("functional departments")
        permissions = [("manage_department", _("Can manage this department"))]
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="uniq_department_name")]

    def __str__(self) -> str:
        return self.name

    def time_limit(self, tier: str) -> DepartmentTimeLimit:
        """Return the limits for a tier (one query unless `time_limits` is prefetched)."""
        for limit in self.time_limits.all():
            if limit.tier == tier:
                return limit
        hours = DEFAULT_TIME_LIMITS[tier]
        return DepartmentTimeLimit(department=self, tier=tier, acknowledge_hours=hours[0], handle_hours=hours[1])


class DepartmentTimeLimit(models.Model):
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.CASCADE, related_name="time_limits")
    tier = models.CharField(_("urgency tier"), max_length=16, choices=UrgencyTier.choices)
    acknowledge_hours = models.PositiveIntegerField(_("acknowledge within (hours)"), validators=[MinValueValidator(1)])
    handle_hours = models.PositiveIntegerField(_("handle within (hours)"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("department time limit")
        verbose_name_plural = _("department time limits")
        ordering = ["department_id", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["department", "tier"], name="uniq_department_tier"),
            models.CheckConstraint(condition=Q(acknowledge_hours__gte=1) & Q(handle_hours__gte=models.F("acknowledge_hours")),
                                   name="time_limit_handle_after_ack"),
        ]

    def __str__(self) -> str:
        return f"{self.department} {self.get_tier_display()}"

    @property
    def acknowledge_within(self) -> timedelta:
        return timedelta(hours=self.acknowledge_hours)

    @property
    def handle_within(self) -> timedelta:
        return timedelta(hours=self.handle_hours)


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", _("district staff")
    STREET_STAFF = "street_staff", _("street office staff")
    COMMUNITY_STAFF = "community_staff", _("community staff")
    GRID_WORKER = "grid_worker", _("grid worker")
    PROPERTY_STAFF = "property_staff", _("property company staff")
    DEPARTMENT_STAFF = "department_staff", _("department staff")
    PARTY_SECRETARY = "party_secretary", _("party-branch secretary")


# The field of RoleAssignment that holds each role's scope object.
ROLE_SCOPE_FIELD: dict[str, str] = {
    Role.DISTRICT_STAFF: "district",
    Role.STREET_STAFF: "street",
    Role.COMMUNITY_STAFF: "community",
    Role.GRID_WORKER: "grid",
    Role.PROPERTY_STAFF: "property_company",
    Role.DEPARTMENT_STAFF: "department",
    Role.PARTY_SECRETARY: "compound",
}
SCOPE_FIELDS = ("district", "street", "community", "grid", "compound", "property_company", "department")

# The object permissions a role gets on its scope object. Grid workers and department staff
# only see; the rest also manage (verify owners, import rosters, assign staff below them).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.DISTRICT_STAFF: ("view", "manage"),
    Role.STREET_STAFF: ("view", "manage"),
    Role.COMMUNITY_STAFF: ("view", "manage"),
    Role.GRID_WORKER: ("view",),
    Role.PROPERTY_STAFF: ("view",),
    Role.DEPARTMENT_STAFF: ("view",),
    Role.PARTY_SECRETARY: ("view",),
}


def _scope_condition() -> Q:
    condition = Q()
    for role, field in ROLE_SCOPE_FIELD.items():
        others = {f"{other}__isnull": True for other in SCOPE_FIELDS if other != field}
        condition |= Q(role=role, **{f"{field}__isnull": False}, **others)
    return condition


class RoleAssignmentQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(Q(end__isnull=True) | Q(end__gt=at), start__lte=at)

    def visible_to(self, user):
        """Return the user's own roles and the roles in the scopes the user manages."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        q = Q(user_id=user.pk)
        for role, field in ROLE_SCOPE_FIELD.items():
            scope_model = self.model._meta.get_field(field).related_model
            q |= Q(role=role, **{f"{field}_id__in": scope_model.objects.managed_by(user).values("pk")})
        return self.filter(q)


class RoleAssignment(TimeStampedModel):
    """A staff role held by a user over one scope object, for a period.

    Written only by governance.services, which keeps django-guardian grants in step.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    district = models.ForeignKey(District, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("street office"))
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("community"))
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    compound = models.ForeignKey(Compound, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("compound"))
    property_company = models.ForeignKey(
        PropertyCompany, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("property company")
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    start = models.DateTimeField(_("start"), default=timezone.now)
    end = models.DateTimeField(_("end"), null=True, blank=True)
    granted = models.BooleanField(_("permissions granted"), default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(condition=_scope_condition(), name="role_assignment_scope_matches_role"),
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gt=models.F("start")), name="role_assignment_end_after_start"),
        ]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.scope}"

    @property
    def scope(self) -> models.Model:
        return getattr(self, ROLE_SCOPE_FIELD[self.role])

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.start <= at and (self.end is None or self.end > at)


# The dashboards' rollup tables live with the dashboards; imported here so Django registers them.
from .dashboards.models import (  # noqa: E402,F401
    ComplaintFact,
    DailyComplaintStats,
    DailyDispatchStats,
    MonthlyComplaintStats,
    MonthlyDispatchStats,
    RankingList,
    RollupQueue,
)

"""A small district with hand-made rollup rows, shared by the area dashboard tests (no tests here).

Rows are inserted straight into the daily and monthly tables (each day's counters also added to its
month), so every expected figure below can be worked out by hand.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import F

from complaints.models import HandlerKind
from governance.dashboards import query
from governance.dashboards.models import (
    DailyComplaintStats,
    DailyDispatchStats,
    MonthlyComplaintStats,
    MonthlyDispatchStats,
)
from governance.models import Role

from .. import factories


def add_cases(day: date, compound, category: str = "parking", **counters) -> None:
    """Add case counters to (day, compound, category) in the daily table and to its month in the monthly one."""
    for model, period, when in ((DailyComplaintStats, "day", day), (MonthlyComplaintStats, "month", day.replace(day=1))):
        row, _ = model.objects.get_or_create(**{period: when}, compound=compound, category=category)
        model.objects.filter(pk=row.pk).update(**{name: F(name) + value for name, value in counters.items()})


def add_dispatches(day: date, compound, category: str = "parking", *, kind: str = HandlerKind.DEPARTMENT,
                   handler_id: int = 0, **counters) -> None:
    for model, period, when in ((DailyDispatchStats, "day", day), (MonthlyDispatchStats, "month", day.replace(day=1))):
        row, _ = model.objects.get_or_create(
            **{period: when}, compound=compound, category=category, handler_kind=kind, handler_id=handler_id
        )
        model.objects.filter(pk=row.pk).update(**{name: F(name) + value for name, value in counters.items()})


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Households are cached: a cache of this process only, so parallel test workers never read each other's."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dashboard-area"}}


def forget_households() -> None:
    query.forget_households()


class World:
    """娄星区 → 乐坪街道 (新星社区: 八一新村, 融和园小区; 长青社区: 长青小区) and 花山街道 (花山社区: 花山小区)."""

    PERIOD = {"from": "2025-01-15", "to": "2025-03-10"}  # cuts January and March, February whole

    def __init__(self, make_staff):
        self.district = factories.DistrictFactory(name="娄星区")
        self.leping = factories.StreetFactory(district=self.district, name="乐坪街道")
        self.huashan = factories.StreetFactory(district=self.district, name="花山街道")
        self.xinxing = factories.CommunityFactory(street=self.leping, name="新星社区")
        self.changqing = factories.CommunityFactory(street=self.leping, name="长青社区")
        self.huashan_community = factories.CommunityFactory(street=self.huashan, name="花山社区")
        self.bayi = factories.CompoundFactory(community=self.xinxing, name="八一新村")
        self.ronghe = factories.CompoundFactory(community=self.xinxing, name="融和园小区")
        self.changqing_compound = factories.CompoundFactory(community=self.changqing, name="长青小区")
        self.huashan_compound = factories.CompoundFactory(community=self.huashan_community, name="花山小区")
        units = {self.bayi: 4, self.ronghe: 2, self.changqing_compound: 1, self.huashan_compound: 1}
        for compound, n in units.items():
            building = factories.BuildingFactory(compound=compound)
            for _ in range(n):
                factories.UnitFactory(building=building)
        self.resident = factories.OwnershipFactory(unit=self.bayi.buildings.first().units.first()).user
        self.urban = factories.DepartmentFactory(district=self.district, name="城管局")
        self.housing = factories.DepartmentFactory(district=self.district, name="住建局")
        self.company = factories.PropertyCompanyFactory()
        from governance.models import ServiceContract

        ServiceContract.objects.create(compound=self.bayi, company=self.company, start="2024-01-01", fee_per_m2_month="1.20")
        self.district_staff = make_staff(Role.DISTRICT_STAFF, self.district)
        self.street_staff = make_staff(Role.STREET_STAFF, self.leping)
        self.community_staff = make_staff(Role.COMMUNITY_STAFF, self.xinxing)
        self.property_staff = make_staff(Role.PROPERTY_STAFF, self.company)
        self.department_staff = make_staff(Role.DEPARTMENT_STAFF, self.urban)
        from residents.models import User

        self.superuser = User.objects.filter(is_superuser=True).first()
        forget_households()

    def fill(self) -> None:
        """The rows the expected figures in test_dashboard_area.py are worked out from."""
        # Outside the range (before and after): must not count.
        add_cases(date(2025, 1, 10), self.bayi, filed=100)
        add_cases(date(2025, 3, 20), self.bayi, filed=50)
        # Inside.
        add_cases(date(2025, 1, 20), self.bayi, "parking", filed=4, merged=1, accepted=3, closed=2, solved=1,
                  closed_unconfirmed=1, rated=2, satisfied=1, dissatisfied=1)
        add_cases(date(2025, 2, 5), self.ronghe, "sanitation", filed=6, accepted=6, closed=6, solved=5,
                  rated=4, satisfied=2, basically=1, dissatisfied=1)
        add_cases(date(2025, 3, 5), self.changqing_compound, "parking", filed=2, accepted=2, closed=2, solved=2,
                  rated=2, satisfied=2)
        add_cases(date(2025, 2, 10), self.huashan_compound, "parking", filed=7, closed=7, solved=0)  # another street
        add_dispatches(date(2025, 1, 20), self.bayi, "parking", handler_id=self.urban.pk,
                       dispatched=2, acknowledged=2, ack_on_time=1, resolved=2, resolved_on_time=1)
        add_dispatches(date(2025, 2, 5), self.ronghe, "sanitation", handler_id=self.housing.pk,
                       dispatched=3, acknowledged=3, ack_on_time=3, resolved=2, resolved_on_time=2, returned=1)
        add_dispatches(date(2025, 3, 5), self.changqing_compound, "parking", kind=HandlerKind.PROPERTY,
                       handler_id=self.company.pk, dispatched=1)
        # The same period a year before: 2024-01-15 → 2024-03-10.
        add_cases(date(2024, 2, 10), self.bayi, "parking", filed=20, closed=10, solved=5, rated=10, satisfied=3, basically=2)
        add_cases(date(2024, 3, 15), self.bayi, "parking", filed=30)  # outside last year's range
        add_dispatches(date(2024, 2, 10), self.bayi, "parking", handler_id=self.urban.pk, dispatched=4, ack_on_time=1)

    def grow(self, k: int) -> None:
        """Add k more compounds (in both streets), departments and categories with rows inside the range."""
        categories = ["facilities", "neighbours", "other", "fire_safety", "committee"]
        for i in range(k):
            community = self.xinxing if i % 2 else self.changqing
            compound = factories.CompoundFactory(community=community)
            factories.UnitFactory(building=factories.BuildingFactory(compound=compound))
            department = factories.DepartmentFactory(district=self.district)
            for day in (date(2025, 1, 16), date(2025, 2, 1 + i % 27), date(2025, 3, 9)):
                category = categories[i % len(categories)]
                add_cases(day, compound, category, filed=1 + i, accepted=1, closed=1, solved=1, rated=1, satisfied=1)
                add_dispatches(day, compound, category, handler_id=department.pk, dispatched=1, ack_on_time=1)
                add_cases(day.replace(year=2024), compound, category, filed=2)
        forget_households()

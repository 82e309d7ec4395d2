"""A small district for the handlers', rankings' and ledger tests, with hand-made dispatch rollup rows.

Two streets (乐坪 with 新星社区 → 八一新村; 大科 with 春园社区 → 春园小区), three departments, two property
companies, and one staff member per role. Rows are inserted straight into the rollup tables, so the expected
KPIs follow from the counters by hand.
"""

from __future__ import annotations

from datetime import date

from complaints.models import HandlerKind
from governance.dashboards.models import DailyDispatchStats, MonthlyDispatchStats
from governance.models import Role

from .. import factories

DEPARTMENT, PROPERTY = HandlerKind.DEPARTMENT.value, HandlerKind.PROPERTY.value


def dispatch_row(*, compound, kind: str, handler_id: int, month: date | None = None, day: date | None = None,
                 category: str = "parking", **counters):
    """Insert one monthly (month=) or daily (day=) dispatch rollup row."""
    if month is not None:
        return MonthlyDispatchStats.objects.create(month=month, compound=compound, category=category, handler_kind=kind,
                                                   handler_id=handler_id, **counters)
    return DailyDispatchStats.objects.create(day=day, compound=compound, category=category, handler_kind=kind,
                                             handler_id=handler_id, **counters)


class World:
    def __init__(self, make_staff):
        self.district = factories.DistrictFactory(name="娄星区")
        self.leping = factories.StreetFactory(district=self.district, name="乐坪街道")
        self.dake = factories.StreetFactory(district=self.district, name="大科街道")
        self.xinxing = factories.CommunityFactory(street=self.leping, name="新星社区")
        self.chunyuan = factories.CommunityFactory(street=self.dake, name="春园社区")
        self.bayi = factories.CompoundFactory(community=self.xinxing, name="八一新村")
        self.spring = factories.CompoundFactory(community=self.chunyuan, name="春园小区")
        self.cg = factories.DepartmentFactory(district=self.district, name="城管局")
        self.water = factories.DepartmentFactory(district=self.district, name="水务局")
        self.fire = factories.DepartmentFactory(district=self.district, name="消防救援大队")
        self.anju = factories.PropertyCompanyFactory(name="安居物业")
        self.lejia = factories.PropertyCompanyFactory(name="乐家物业")
        self.other_district = factories.DistrictFactory(name="冷水江市")
        self.far_street = factories.StreetFactory(district=self.other_district, name="远方街道")
        self.district_staff = make_staff(Role.DISTRICT_STAFF, self.district)
        self.street_staff = make_staff(Role.STREET_STAFF, self.leping)
        self.dake_staff = make_staff(Role.STREET_STAFF, self.dake)
        self.community_staff = make_staff(Role.COMMUNITY_STAFF, self.xinxing)
        self.department_staff = make_staff(Role.DEPARTMENT_STAFF, self.cg)
        self.property_staff = make_staff(Role.PROPERTY_STAFF, self.anju)
        self.far_staff = make_staff(Role.STREET_STAFF, self.far_street)
        self.resident = factories.UserFactory()

    def fill(self):
        """February 2025 (monthly rows), a daily row on 2025-04-05, and February 2024 for last year."""
        feb, feb_last = date(2025, 2, 1), date(2024, 2, 1)
        # 城管局 in 八一新村: response 8/10, solved 6/8, satisfied 4/5
        dispatch_row(month=feb, compound=self.bayi, kind=DEPARTMENT, handler_id=self.cg.pk, dispatched=10, ack_on_time=8,
                     acknowledged=10, ack_seconds=10 * 3600, resolved=8, resolved_on_time=7, handle_seconds=8 * 7200,
                     returned=1, redo=1, score_sum=9, score_count=2, cases=10, closed=8, solved=6, rated=5, satisfied=4)
        # 城管局 in 春园小区 (大科街道): response 2/10, solved 2/10, satisfied 3/10
        dispatch_row(month=feb, compound=self.spring, kind=DEPARTMENT, handler_id=self.cg.pk, category="sanitation",
                     dispatched=10, ack_on_time=2, cases=10, closed=10, solved=2, rated=10, satisfied=3)
        # 水务局 in 八一新村: everything on time and solved
        dispatch_row(month=feb, compound=self.bayi, kind=DEPARTMENT, handler_id=self.water.pk, dispatched=4, ack_on_time=4,
                     cases=4, closed=4, solved=4, rated=4, satisfied=4)
        # 消防 in 八一新村 on 5 April (daily table only)
        dispatch_row(day=date(2025, 4, 5), compound=self.bayi, kind=DEPARTMENT, handler_id=self.fire.pk,
                     dispatched=2, ack_on_time=1)
        # property companies
        dispatch_row(month=feb, compound=self.bayi, kind=PROPERTY, handler_id=self.anju.pk, dispatched=5, ack_on_time=5,
                     cases=5, closed=5, solved=5, rated=5, satisfied=5)
        dispatch_row(month=feb, compound=self.spring, kind=PROPERTY, handler_id=self.lejia.pk, dispatched=6, ack_on_time=3,
                     cases=6, closed=6, solved=3, rated=6, satisfied=2)
        # the party branch is no department (handler_id 0)
        dispatch_row(month=feb, compound=self.bayi, kind=HandlerKind.PARTY_BRANCH.value, handler_id=0, dispatched=3)
        # last year: 城管局 in 八一新村, response 5/10, solved 5/10, satisfied 5/10
        dispatch_row(month=feb_last, compound=self.bayi, kind=DEPARTMENT, handler_id=self.cg.pk, dispatched=10,
                     ack_on_time=5, cases=10, closed=10, solved=5, rated=10, satisfied=5)
        return self

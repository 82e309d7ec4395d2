import os
import shutil

import pytest

from governance import services as gov_services
from governance.models import Role

from . import factories

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PASSWORD = "demo-pass-123"


def require(condition: bool, reason: str) -> None:
    """Skip when a real service is missing on a laptop; in CI nothing may skip, so fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but: {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    return shutil.which("chromium") or (os.path.exists("/usr/bin/chromium") and "/usr/bin/chromium") or None


@pytest.fixture
def make_staff(db):
    """Return a function that creates a user holding `role` over `scope` via the service."""
    from residents.models import User

    root = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "13800000000", PASSWORD, real_name="系统管理员"
    )

    def make(role: str, scope, **user_fields):
        user = factories.UserFactory(**user_fields)
        gov_services.role_assignment_create(user=user, role=role, scope=scope, actor=root)
        return user

    return make


@pytest.fixture
def two_communities(db):
    """Two communities in two streets, each with a compound, a building and two units with owners."""
    world = {}
    for key in ("a", "b"):
        street = factories.StreetFactory()
        community = factories.CommunityFactory(street=street)
        grid = factories.GridFactory(community=community)
        compound = factories.CompoundFactory(community=community)
        building = factories.BuildingFactory(compound=compound, grid=grid)
        other_building = factories.BuildingFactory(compound=compound)
        units = [factories.UnitFactory(building=building) for _ in range(2)]
        owner = factories.OwnershipFactory(unit=units[0]).user
        world[key] = {
            "street": street,
            "community": community,
            "grid": grid,
            "compound": compound,
            "building": building,
            "other_building": other_building,
            "units": units,
            "owner": owner,
        }
    return world


@pytest.fixture
def role_users(two_communities, make_staff):
    """One user per staff role, scoped to side "a" of `two_communities`."""
    a = two_communities["a"]
    company = factories.PropertyCompanyFactory()
    from governance.models import ServiceContract

    ServiceContract.objects.create(compound=a["compound"], company=company, start="2024-01-01", fee_per_m2_month="1.20")
    department = factories.DepartmentFactory()
    return {
        Role.DISTRICT_STAFF: make_staff(Role.DISTRICT_STAFF, a["street"].district),
        Role.STREET_STAFF: make_staff(Role.STREET_STAFF, a["street"]),
        Role.COMMUNITY_STAFF: make_staff(Role.COMMUNITY_STAFF, a["community"]),
        Role.GRID_WORKER: make_staff(Role.GRID_WORKER, a["grid"]),
        Role.PROPERTY_STAFF: make_staff(Role.PROPERTY_STAFF, company),
        Role.PARTY_SECRETARY: make_staff(Role.PARTY_SECRETARY, a["compound"]),
        Role.DEPARTMENT_STAFF: make_staff(Role.DEPARTMENT_STAFF, department),
        "resident": a["owner"],
    }

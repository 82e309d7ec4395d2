"""Every list page and list endpoint costs the same number of queries for 1 item as for 50.

Each scene returns the viewer, the URL and a function that adds `k` more items the list shows,
each with the related rows the page or serializer touches (so a missing select_related shows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance import services as gov_services
from governance.models import DepartmentTimeLimit, PartyOrganisation, Role, ServiceContract
from residents.models import Ownership, Tenancy, User

from .. import factories


@dataclass
class Scene:
    user: User
    url: str
    add: Callable[[int], list]
    # How many rows the list holds besides the added ones (e.g. the viewer themself).
    extra_rows: int = 0
    # The text a page shows for each added item.
    shows: Callable[[object], str] = lambda obj: obj.name


class Place:
    """A fresh district with one street, community, grid, compound and building, and its district staff."""

    def __init__(self, make_staff):
        self.make_staff = make_staff
        self.district = factories.DistrictFactory(name="测试区")
        self.street = factories.StreetFactory(district=self.district)
        self.community = factories.CommunityFactory(street=self.street)
        self.grid = factories.GridFactory(community=self.community)
        self.compound = factories.CompoundFactory(community=self.community)
        self.building = factories.BuildingFactory(compound=self.compound, grid=self.grid)
        self.staff = make_staff(Role.DISTRICT_STAFF, self.district)

    def owner(self):
        return factories.OwnershipFactory(unit=factories.UnitFactory(building=self.building), user__id_number="")

    def compound_with_building(self, **kwargs):
        compound = factories.CompoundFactory(community=kwargs.pop("community", self.community), **kwargs)
        factories.BuildingFactory(compound=compound, grid=self.grid)
        return compound


def _times(k: int, make: Callable[[], object]) -> list:
    return [make() for _ in range(k)]


def api_streets(p: Place) -> Scene:
    return Scene(p.staff, "/api/v1/streets/", lambda k: _times(k, lambda: factories.StreetFactory(district=p.district)), 1)


def api_communities(p: Place) -> Scene:
    return Scene(p.staff, "/api/v1/communities/", lambda k: _times(k, lambda: factories.CommunityFactory(street=p.street)), 1)


def api_grids(p: Place) -> Scene:
    return Scene(p.staff, "/api/v1/grids/", lambda k: _times(k, lambda: factories.GridFactory(community=p.community)), 1)


def api_compounds(p: Place) -> Scene:
    return Scene(p.staff, "/api/v1/compounds/", lambda k: _times(k, p.compound_with_building), 1)


def api_buildings(p: Place) -> Scene:
    def add(k):
        return _times(k, lambda: factories.UnitFactory(building=factories.BuildingFactory(compound=p.compound, grid=p.grid)))

    return Scene(p.staff, "/api/v1/buildings/", add, 1)


def api_units(p: Place) -> Scene:
    return Scene(p.staff, "/api/v1/units/", lambda k: _times(k, lambda: factories.UnitFactory(building=p.building)))


def api_people(p: Place) -> Scene:
    def owner_who_also_rents():
        ownership = p.owner()
        Tenancy.objects.create(user=ownership.user, unit=factories.UnitFactory(building=p.building))
        return ownership

    return Scene(p.staff, "/api/v1/people/", lambda k: _times(k, owner_who_also_rents), 1)  # and the viewer


def api_ownerships(p: Place) -> Scene:
    return Scene(p.staff, "/api/v1/ownerships/", lambda k: _times(k, p.owner))


def api_departments(p: Place) -> Scene:
    def department():
        department = factories.DepartmentFactory(district=p.district)
        DepartmentTimeLimit.objects.create(department=department, tier="general", acknowledge_hours=24, handle_hours=168)
        return department

    return Scene(p.staff, "/api/v1/departments/", lambda k: _times(k, department))


def api_property_companies(p: Place) -> Scene:
    def company():
        company = factories.PropertyCompanyFactory()
        ServiceContract.objects.create(compound=p.compound, company=company, start="2024-01-01", fee_per_m2_month="1")
        return company

    return Scene(p.staff, "/api/v1/property-companies/", lambda k: _times(k, company))


def api_role_assignments(p: Place) -> Scene:
    def grid_worker():
        return p.make_staff(Role.GRID_WORKER, factories.GridFactory(community=p.community))

    return Scene(p.staff, "/api/v1/role-assignments/", lambda k: _times(k, grid_worker), 1)  # and the viewer's own


def page_browser_streets(p: Place) -> Scene:
    def street():
        street = factories.StreetFactory(district=p.district)
        factories.CommunityFactory(street=street)
        return street

    return Scene(p.staff, reverse("place-browser"), lambda k: _times(k, street), 1)


def page_browser_communities(p: Place) -> Scene:
    staff = p.make_staff(Role.COMMUNITY_STAFF, p.community)

    def community():  # a second role over another community of the street
        community = factories.CommunityFactory(street=p.street)
        p.compound_with_building(community=community)
        gov_services.role_assignment_create(user=staff, role=Role.COMMUNITY_STAFF, scope=community, actor=p.staff)
        return community

    return Scene(staff, reverse("place-browser"), lambda k: _times(k, community), 1)


def page_browser_compounds(p: Place) -> Scene:
    staff = p.make_staff(Role.GRID_WORKER, p.grid)
    return Scene(staff, reverse("place-browser"), lambda k: _times(k, p.compound_with_building), 1)


def page_street(p: Place) -> Scene:
    def community():
        community = factories.CommunityFactory(street=p.street)
        factories.GridFactory(community=community)
        factories.CompoundFactory(community=community)
        return community

    return Scene(p.staff, reverse("street-detail", args=[p.street.pk]), lambda k: _times(k, community), 1)


def page_community(p: Place) -> Scene:
    def compound_and_grid():
        factories.GridFactory(community=p.community)
        return p.compound_with_building()

    return Scene(p.staff, reverse("community-detail", args=[p.community.pk]), lambda k: _times(k, compound_and_grid), 1)


def page_compound(p: Place) -> Scene:
    ServiceContract.objects.create(
        compound=p.compound, company=factories.PropertyCompanyFactory(), start="2024-01-01", fee_per_m2_month="1"
    )
    PartyOrganisation.objects.create(kind="compound_branch", name="党支部", compound=p.compound)

    def building():
        building = factories.BuildingFactory(compound=p.compound, grid=factories.GridFactory(community=p.community))
        factories.UnitFactory(building=building)
        return building

    return Scene(p.staff, reverse("compound-detail", args=[p.compound.pk]), lambda k: _times(k, building), 1)


def page_building(p: Place) -> Scene:
    def unit_with_owners():
        unit = factories.UnitFactory(building=p.building)
        factories.OwnershipFactory(unit=unit)
        factories.OwnershipFactory(unit=unit, status=Ownership.Status.CLAIMED, is_voter=False, verified_at=None)
        return unit

    return Scene(
        p.staff, reverse("building-detail", args=[p.building.pk]), lambda k: _times(k, unit_with_owners),
        shows=lambda unit: unit.label,
    )


def page_home(p: Place) -> Scene:
    resident = factories.UserFactory()
    gov_services.role_assignment_create(user=resident, role=Role.GRID_WORKER, scope=p.grid, actor=p.staff)

    def home():
        ownership = factories.OwnershipFactory(
            user=resident, unit=factories.UnitFactory(building=factories.BuildingFactory(compound=p.compound_with_building()))
        )
        Tenancy.objects.create(
            user=resident, unit=factories.UnitFactory(building=p.building), verified_at=ownership.verified_at
        )
        return ownership

    return Scene(resident, reverse("home"), lambda k: _times(k, home), shows=lambda o: o.unit.building.compound.name)


def page_profile(p: Place) -> Scene:
    person = factories.UserFactory()

    def role():
        grid = factories.GridFactory(community=p.community)
        return gov_services.role_assignment_create(user=person, role=Role.GRID_WORKER, scope=grid, actor=p.staff)

    return Scene(person, reverse("profile"), lambda k: _times(k, role), shows=lambda r: r.grid.name)


API_SCENES = [
    api_streets, api_communities, api_grids, api_compounds, api_buildings, api_units, api_people,
    api_ownerships, api_departments, api_property_companies, api_role_assignments,
]
PAGE_SCENES = [
    page_browser_streets, page_browser_communities, page_browser_compounds, page_street, page_community,
    page_compound, page_building, page_home, page_profile,
]


def _measure(client, url: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 100} if url.startswith("/api/") else {})
    assert response.status_code == 200, url
    return [q["sql"] for q in queries.captured_queries], response


@pytest.fixture
def place(db, make_staff):
    return Place(make_staff)


@pytest.mark.parametrize("make_scene", API_SCENES + PAGE_SCENES, ids=lambda f: f.__name__)
def test_list_costs_the_same_queries_for_1_and_50_items(client, place, make_scene):
    scene = make_scene(place)
    client.force_login(scene.user)
    added = scene.add(1)
    _measure(client, scene.url)  # warm the content-type cache
    one, response = _measure(client, scene.url)
    if scene.url.startswith("/api/"):
        assert response.json()["count"] == 1 + scene.extra_rows
    added += scene.add(49)
    fifty, response = _measure(client, scene.url)
    if scene.url.startswith("/api/"):
        assert response.json()["count"] == 50 + scene.extra_rows
    else:
        body = response.content.decode()
        missing = [scene.shows(obj) for obj in added if scene.shows(obj) not in body]
        assert not missing
    assert len(fifty) == len(one), "\n".join(fifty)


# Pinned totals for 50 items. Every request costs 5 queries of its own: load the session and
# the user, and save the session in a savepoint (the idle timeout: SESSION_SAVE_EVERY_REQUEST).
PINNED = {
    "/api/v1/units/": 5 + 2,  # count, page
    # count, page, ownerships and tenancies with their places, the viewer's managed communities,
    # and the in-scope compound ids that User.objects.visible_to reads first
    "/api/v1/people/": 5 + 6,
    # building, managed communities, units, ownerships with owners, the nav's "has a role" check,
    # the inbox badge's unread count
    "building-detail": 5 + 6,
}


@pytest.mark.parametrize("key", list(PINNED))
def test_pinned_query_counts(client, place, key, django_assert_num_queries):
    scene = {"/api/v1/units/": api_units, "/api/v1/people/": api_people, "building-detail": page_building}[key](place)
    client.force_login(scene.user)
    scene.add(50)
    client.get(scene.url)  # warm the content-type cache
    with django_assert_num_queries(PINNED[key]):
        response = client.get(scene.url, {"page_size": 100} if key.startswith("/api/") else {})
    assert response.status_code == 200

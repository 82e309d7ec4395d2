"""Who sees what: every role against every kind of object, in scope and out, on pages and the API.

The world (see `world`): side "a" and side "b" of `two_communities` are two streets of one district;
"x" is a place in another district. Labels name where an object sits:

- home        the resident's own unit (side a, in grid a) and the resident themself
- a           side a, inside grid a (the grid worker's grid)
- a_off_grid  side a, same compound, a building outside grid a
- b           side b: same district, another street, served by another property company
- x           another district
- mine        the department of the department staff (in the district of sides a and b)

Out of scope always answers 404, never 403, so nobody can probe for ids.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.models import Role, RoleAssignment, ServiceContract
from residents.models import Tenancy, User

from .. import factories

DISTRICT, STREET, COMMUNITY = Role.DISTRICT_STAFF.value, Role.STREET_STAFF.value, Role.COMMUNITY_STAFF.value
GRID, PROPERTY, DEPARTMENT = Role.GRID_WORKER.value, Role.PROPERTY_STAFF.value, Role.DEPARTMENT_STAFF.value
SECRETARY, RESIDENT, SUPERUSER = Role.PARTY_SECRETARY.value, "resident", "superuser"

SIDE_A_PLACES = {"a"}
SIDE_A_BUILDINGS = {"a", "a_off_grid"}
SIDE_A_UNITS = {"home", "a", "a_off_grid"}

# role -> kind -> the labels the role may see (API detail and list). Everything else answers 404.
EXPECTED: dict[str, dict[str, set[str]]] = {
    DISTRICT: {
        "street": {"a", "b"},
        "community": {"a", "b"},
        "compound": {"a", "b"},
        "building": SIDE_A_BUILDINGS | {"b"},
        "unit": SIDE_A_UNITS | {"b"},
        "person": SIDE_A_UNITS | {"b"},
        "department": {"mine"},
    },
    STREET: {
        "street": SIDE_A_PLACES,
        "community": SIDE_A_PLACES,
        "compound": SIDE_A_PLACES,
        "building": SIDE_A_BUILDINGS,
        "unit": SIDE_A_UNITS,
        "person": SIDE_A_UNITS,
        "department": set(),
    },
    COMMUNITY: {
        "street": set(),
        "community": SIDE_A_PLACES,
        "compound": SIDE_A_PLACES,
        "building": SIDE_A_BUILDINGS,
        "unit": SIDE_A_UNITS,
        "person": SIDE_A_UNITS,
        "department": set(),
    },
    GRID: {
        "street": set(),
        "community": set(),
        "compound": SIDE_A_PLACES,  # the compound has a building in the grid
        "building": {"a"},  # but only the grid's buildings
        "unit": {"home", "a"},
        "person": {"home", "a"},
        "department": set(),
    },
    PROPERTY: {
        "street": set(),
        "community": set(),
        "compound": SIDE_A_PLACES,  # served under an active contract; b's contract ended
        "building": SIDE_A_BUILDINGS,
        "unit": SIDE_A_UNITS,
        "person": SIDE_A_UNITS,
        "department": set(),
    },
    SECRETARY: {
        "street": set(),
        "community": set(),
        "compound": SIDE_A_PLACES,
        "building": SIDE_A_BUILDINGS,
        "unit": SIDE_A_UNITS,
        "person": SIDE_A_UNITS,
        "department": set(),
    },
    DEPARTMENT: {
        "street": set(),
        "community": set(),
        "compound": set(),
        "building": set(),
        "unit": set(),
        "person": set(),
        "department": {"mine"},
    },
    RESIDENT: {
        "street": set(),
        "community": set(),
        "compound": SIDE_A_PLACES,  # their own compound
        "building": SIDE_A_BUILDINGS,  # API only: names and unit counts, as the compound page lists them
        "unit": {"home"},
        "person": {"home"},  # themself
        "department": set(),
    },
    SUPERUSER: {
        "street": {"a", "b", "x"},
        "community": {"a", "b", "x"},
        "compound": {"a", "b", "x"},
        "building": SIDE_A_BUILDINGS | {"b", "x"},
        "unit": SIDE_A_UNITS | {"b", "x"},
        "person": SIDE_A_UNITS | {"b", "x"},
        "department": {"mine", "x"},
    },
}

# Where a page answers differently from the API: the building page lists owners and their
# contacts, so it is for staff only; a resident sees the buildings on their compound page.
PAGE_OVERRIDES: dict[tuple[str, str], set[str]] = {(RESIDENT, "building"): set()}

LABELS: dict[str, tuple[str, ...]] = {
    "street": ("a", "b", "x"),
    "community": ("a", "b", "x"),
    "compound": ("a", "b", "x"),
    "building": ("a", "a_off_grid", "b", "x"),
    "unit": ("home", "a", "a_off_grid", "b", "x"),
    "person": ("home", "a", "a_off_grid", "b", "x"),
    "department": ("mine", "x"),
}
PAGE_NAMES = {
    "street": "street-detail",
    "community": "community-detail",
    "compound": "compound-detail",
    "building": "building-detail",
}
API_PATHS = {
    "street": "streets",
    "community": "communities",
    "compound": "compounds",
    "building": "buildings",
    "unit": "units",
    "person": "people",
    "department": "departments",
}
ROLES = tuple(EXPECTED)


@pytest.fixture
def world(two_communities, role_users):
    """Return (users by role, objects by kind and label)."""
    a, b = two_communities["a"], two_communities["b"]
    neighbour = factories.OwnershipFactory(unit=a["units"][1]).user
    off_grid_unit = factories.UnitFactory(building=a["other_building"])
    off_grid_owner = factories.OwnershipFactory(unit=off_grid_unit).user

    company = RoleAssignment.objects.get(role=PROPERTY).property_company
    ServiceContract.objects.create(
        compound=b["compound"], company=company, start="2020-01-01", end="2023-12-31", fee_per_m2_month="1.00"
    )
    ServiceContract.objects.create(
        compound=b["compound"], company=factories.PropertyCompanyFactory(), start="2024-01-01", fee_per_m2_month="1.50"
    )

    x_district = factories.DistrictFactory(name="双峰县")
    x_street = factories.StreetFactory(district=x_district)
    x_community = factories.CommunityFactory(street=x_street)
    x_compound = factories.CompoundFactory(community=x_community)
    x_building = factories.BuildingFactory(compound=x_compound, grid=factories.GridFactory(community=x_community))
    x_unit = factories.UnitFactory(building=x_building)
    x_owner = factories.OwnershipFactory(unit=x_unit).user

    users = dict(role_users)
    users[SUPERUSER] = User.objects.get(is_superuser=True)
    objects = {
        "street": {"a": [a["street"]], "b": [b["street"]], "x": [x_street]},
        "community": {"a": [a["community"]], "b": [b["community"]], "x": [x_community]},
        "compound": {"a": [a["compound"]], "b": [b["compound"]], "x": [x_compound]},
        "building": {
            "a": [a["building"]],
            "a_off_grid": [a["other_building"]],
            "b": [b["building"], b["other_building"]],
            "x": [x_building],
        },
        "unit": {
            "home": [a["units"][0]],
            "a": [a["units"][1]],
            "a_off_grid": [off_grid_unit],
            "b": list(b["units"]),
            "x": [x_unit],
        },
        "person": {
            "home": [a["owner"]],
            "a": [neighbour],
            "a_off_grid": [off_grid_owner],
            "b": [b["owner"]],
            "x": [x_owner],
        },
        "department": {
            "mine": [RoleAssignment.objects.get(role=DEPARTMENT).department],
            "x": [factories.DepartmentFactory(district=x_district)],
        },
    }
    return users, objects


def test_expectation_table_covers_every_role_and_kind():
    assert set(EXPECTED) == {*Role.values, RESIDENT, SUPERUSER}
    for role, kinds in EXPECTED.items():
        assert set(kinds) == set(LABELS), role
        for kind, labels in kinds.items():
            assert labels <= set(LABELS[kind]), (role, kind)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(LABELS))
@pytest.mark.parametrize("role", ROLES)
def test_detail_is_allowed_only_in_scope(client, world, role, kind):
    """Each object of the kind, by label and channel: 200 when the table allows it, else 404."""
    users, objects = world
    client.force_login(users[role])
    expected, actual = {}, {}
    for label in LABELS[kind]:
        target = objects[kind][label][0]
        if kind in PAGE_NAMES:
            allowed = PAGE_OVERRIDES.get((role, kind), EXPECTED[role][kind])
            expected[f"{label}/page"] = 200 if label in allowed else 404
            actual[f"{label}/page"] = client.get(reverse(PAGE_NAMES[kind], args=[target.pk])).status_code
        expected[f"{label}/api"] = 200 if label in EXPECTED[role][kind] else 404
        response = client.get(f"/api/v1/{API_PATHS[kind]}/{target.pk}/")
        actual[f"{label}/api"] = response.status_code
        if response.status_code == 200:
            assert response.json()["id"] == target.pk
    assert actual == expected


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(API_PATHS))
@pytest.mark.parametrize("role", ROLES)
def test_list_endpoint_holds_exactly_the_objects_in_scope(client, world, role, kind):
    users, objects = world
    user = users[role]
    expected = {obj.pk for label in EXPECTED[role][kind] for obj in objects[kind][label]}
    if kind == "person":
        expected.add(user.pk)  # everybody sees themself
        if role == SUPERUSER:
            expected = set(User.objects.values_list("pk", flat=True))  # staff accounts too
    client.force_login(user)
    response = client.get(f"/api/v1/{API_PATHS[kind]}/", {"page_size": 200})
    assert response.status_code == 200
    body = response.json()
    assert {row["id"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(PAGE_NAMES))
def test_anonymous_pages_redirect_to_login(client, world, kind):
    _, objects = world
    url = reverse(PAGE_NAMES[kind], args=[objects[kind]["a"][0].pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(API_PATHS))
def test_anonymous_api_is_refused(client, world, kind):
    _, objects = world
    first = next(iter(objects[kind].values()))[0]
    for url in (f"/api/v1/{API_PATHS[kind]}/", f"/api/v1/{API_PATHS[kind]}/{first.pk}/"):
        response = client.get(url)
        assert response.status_code in (401, 403)
        assert response.json()["error"]["code"] == "not_authenticated"


# What the place browser starts with: the highest level of the role's scope.
BROWSER_START: dict[str, tuple[str, set[str]]] = {
    DISTRICT: ("street", {"a", "b"}),
    STREET: ("street", {"a"}),
    COMMUNITY: ("community", {"a"}),
    GRID: ("compound", {"a"}),
    PROPERTY: ("compound", {"a"}),
    SECRETARY: ("compound", {"a"}),
    DEPARTMENT: ("compound", set()),
    RESIDENT: ("compound", set()),  # a resident's compound is on their home page, not in the staff browser
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(BROWSER_START))
def test_place_browser_starts_at_the_top_of_the_scope(client, world, role):
    users, objects = world
    kind, labels = BROWSER_START[role]
    client.force_login(users[role])
    response = client.get(reverse("place-browser"))
    assert response.status_code == 200
    body = response.content.decode()
    for label in LABELS[kind]:
        for obj in objects[kind][label]:
            link = reverse(PAGE_NAMES[kind], args=[obj.pk])
            assert (f'href="{link}"' in body) == (label in labels), (kind, label)


@pytest.mark.django_db
def test_resident_sees_no_other_unit_of_their_own_building(client, world):
    users, objects = world
    client.force_login(users[RESIDENT])
    neighbour_unit = objects["unit"]["a"][0]
    assert neighbour_unit.building_id == objects["unit"]["home"][0].building_id
    assert client.get(f"/api/v1/units/{neighbour_unit.pk}/").status_code == 404


@pytest.mark.django_db
def test_resident_compound_page_lists_buildings_without_links_to_owner_lists(client, world):
    users, objects = world
    client.force_login(users[RESIDENT])
    compound = objects["compound"]["a"][0]
    response = client.get(reverse("compound-detail", args=[compound.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert objects["building"]["a"][0].name in body
    assert reverse("building-detail", args=[objects["building"]["a"][0].pk]) not in body


@pytest.mark.django_db
def test_grid_worker_compound_page_shows_only_the_grids_buildings(client, world):
    users, objects = world
    client.force_login(users[GRID])
    response = client.get(reverse("compound-detail", args=[objects["compound"]["a"][0].pk]))
    body = response.content.decode()
    assert reverse("building-detail", args=[objects["building"]["a"][0].pk]) in body
    assert objects["building"]["a_off_grid"][0].name not in body


@pytest.mark.django_db
def test_department_staff_sees_their_department_and_no_place(client, world):
    users, objects = world
    client.force_login(users[DEPARTMENT])
    mine = objects["department"]["mine"][0]
    assert client.get(f"/api/v1/departments/{mine.pk}/").json()["name"] == mine.name
    assert client.get("/api/v1/compounds/").json()["count"] == 0


@pytest.mark.django_db
def test_verified_tenant_sees_their_home_like_an_owner(client, two_communities):
    a = two_communities["a"]
    tenant = factories.UserFactory()
    Tenancy.objects.create(unit=a["units"][1], user=tenant, verified_at=timezone.now())
    client.force_login(tenant)
    assert client.get(f"/api/v1/units/{a['units'][1].pk}/").status_code == 200
    assert client.get(f"/api/v1/units/{a['units'][0].pk}/").status_code == 404
    assert client.get(reverse("compound-detail", args=[a["compound"].pk])).status_code == 200
    assert client.get(reverse("building-detail", args=[a["building"].pk])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "verified"),
    [
        pytest.param(1, None, True, id="lease-starts-tomorrow"),
        pytest.param(-30, -1, True, id="lease-ended-yesterday"),
        pytest.param(-30, None, False, id="not-verified"),
    ],
)
def test_tenant_without_a_current_verified_lease_sees_nothing(client, two_communities, start, end, verified):
    a = two_communities["a"]
    tenant = factories.UserFactory()
    today = timezone.localdate()
    Tenancy.objects.create(
        unit=a["units"][1], user=tenant, start=today + timedelta(days=start),
        end=today + timedelta(days=end) if end is not None else None,
        verified_at=timezone.now() if verified else None,
    )
    client.force_login(tenant)
    assert client.get(f"/api/v1/units/{a['units'][1].pk}/").status_code == 404
    assert client.get(reverse("compound-detail", args=[a["compound"].pk])).status_code == 404


@pytest.mark.django_db
def test_claimed_or_ended_ownership_opens_nothing(client, two_communities):
    a = two_communities["a"]
    claimant = factories.OwnershipFactory(unit=a["units"][1], status="claimed", verified_at=None, is_voter=False).user
    former = factories.OwnershipFactory(
        unit=a["units"][1], is_voter=False, end=timezone.localdate() - timedelta(days=1)
    ).user
    for person in (claimant, former):
        client.force_login(person)
        assert client.get(f"/api/v1/units/{a['units'][1].pk}/").status_code == 404
        assert client.get(reverse("compound-detail", args=[a["compound"].pk])).status_code == 404

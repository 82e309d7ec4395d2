"""Phones and ID numbers are masked on the server for everyone but the person and the staff who verify them.

Full numbers: the person themself, superusers, and staff who manage the person's community
(community, street and district staff). Masked: grid workers, property staff, party secretaries.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.masking import mask_id_number, mask_name, mask_phone
from governance.models import Role
from residents.models import Tenancy, User

from .. import factories

PHONE = "13812341234"
ID_NUMBER = "43010219500101123X"
MASKED_PHONE = "138****1234"
MASKED_ID = "430102********123X"

FULL_VIEWERS = [Role.DISTRICT_STAFF.value, Role.STREET_STAFF.value, Role.COMMUNITY_STAFF.value, "superuser"]
MASKED_VIEWERS = [Role.GRID_WORKER.value, Role.PROPERTY_STAFF.value, Role.PARTY_SECRETARY.value]


# core.masking


@pytest.mark.parametrize(
    ("phone", "masked"),
    [(PHONE, MASKED_PHONE), ("13900001111", "139****1111"), ("", ""), (None, ""), ("12345", "*****")],
)
def test_mask_phone_hides_the_middle_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [(ID_NUMBER, MASKED_ID), ("430102195001011234", "430102********1234"), ("", ""), (None, ""), ("1234567890", "**********")],
)
def test_mask_id_number_shows_first_6_and_last_4(id_number, masked):
    assert mask_id_number(id_number) == masked


def test_mask_name_keeps_the_family_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("") == ""


# Who sees what


@pytest.fixture
def owner(two_communities):
    """The owner on side "a", with a known phone and ID number."""
    person = two_communities["a"]["owner"]
    person.phone, person.id_number = PHONE, ID_NUMBER
    person.save()
    return person


@pytest.fixture
def viewers(role_users):
    return {**role_users, "superuser": User.objects.get(is_superuser=True)}


def _bodies(client, owner, building, *, building_page: bool = True) -> dict[str, str]:
    urls = {"people list": "/api/v1/people/", "person": f"/api/v1/people/{owner.pk}/"}
    if building_page:
        urls["building page"] = reverse("building-detail", args=[building.pk])
    bodies = {}
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, name
        bodies[name] = response.content.decode()
    return bodies


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", MASKED_VIEWERS)
def test_staff_who_do_not_verify_see_masked_numbers(client, two_communities, owner, viewers, viewer):
    client.force_login(viewers[viewer])
    for name, body in _bodies(client, owner, two_communities["a"]["building"]).items():
        assert PHONE not in body, name
        assert ID_NUMBER not in body, name
        assert MASKED_PHONE in body, name
        if name != "building page":  # the building page shows phones only
            assert MASKED_ID in body, name


@pytest.mark.django_db
@pytest.mark.parametrize("viewer", FULL_VIEWERS)
def test_staff_who_manage_the_community_see_full_numbers(client, two_communities, owner, viewers, viewer):
    client.force_login(viewers[viewer])
    for name, body in _bodies(client, owner, two_communities["a"]["building"]).items():
        assert PHONE in body, name
        if name != "building page":
            assert ID_NUMBER in body, name


@pytest.mark.django_db
def test_the_person_sees_their_own_numbers(client, owner):
    client.force_login(owner)
    me = client.get("/api/v1/people/me/").json()
    assert (me["phone"], me["id_number"]) == (PHONE, ID_NUMBER)
    assert client.get(f"/api/v1/people/{owner.pk}/").json()["phone"] == PHONE
    profile = client.get(reverse("profile")).content.decode()
    assert PHONE in profile and ID_NUMBER in profile


@pytest.mark.django_db
def test_me_endpoint_is_the_callers_own_record(client, owner, viewers):
    grid_worker = viewers[Role.GRID_WORKER]
    grid_worker.id_number = "430102198001017777"
    grid_worker.save()
    client.force_login(grid_worker)
    me = client.get("/api/v1/people/me/").json()
    assert me["id"] == grid_worker.pk
    assert (me["phone"], me["id_number"]) == (grid_worker.phone, grid_worker.id_number)
    assert PHONE not in client.get("/api/v1/people/me/").content.decode()


@pytest.mark.django_db
def test_a_neighbour_cannot_read_another_residents_numbers(client, two_communities, owner):
    neighbour = factories.OwnershipFactory(unit=two_communities["a"]["units"][1]).user
    client.force_login(neighbour)
    assert client.get(f"/api/v1/people/{owner.pk}/").status_code == 404
    body = client.get("/api/v1/people/").content.decode()
    assert PHONE not in body and MASKED_PHONE not in body


@pytest.mark.django_db
def test_staff_of_another_community_cannot_see_the_person_at_all(client, two_communities, owner, make_staff):
    staff_b = make_staff(Role.COMMUNITY_STAFF, two_communities["b"]["community"])
    client.force_login(staff_b)
    assert client.get(f"/api/v1/people/{owner.pk}/").status_code == 404
    assert PHONE not in client.get("/api/v1/people/").content.decode()


@pytest.mark.django_db
def test_community_staff_see_a_verified_tenants_full_number(client, two_communities, viewers):
    """Community staff verify tenants too, so a tenant's community counts like an owner's."""
    tenant = factories.UserFactory(phone="13712345678", id_number="430102199901015555")
    Tenancy.objects.create(unit=two_communities["a"]["units"][1], user=tenant, verified_at="2024-01-01T00:00:00Z")
    client.force_login(viewers[Role.COMMUNITY_STAFF])
    data = client.get(f"/api/v1/people/{tenant.pk}/").json()
    assert (data["phone"], data["id_number"]) == (tenant.phone, tenant.id_number)
    client.force_login(viewers[Role.GRID_WORKER])
    data = client.get(f"/api/v1/people/{tenant.pk}/").json()
    assert (data["phone"], data["id_number"]) == ("137****5678", "430102********5555")

"""The ownership API: claim, list by status, verify, reject, set-voter; same scope rules as the pages."""

import pytest

from governance.models import Compound, Role
from residents import services
from residents.models import Ownership
from tests import factories

URL = "/api/v1/ownerships/"


@pytest.fixture
def world(two_communities, make_staff):
    a = two_communities["a"]
    return {
        **two_communities,
        "staff": make_staff(Role.COMMUNITY_STAFF, a["community"]),
        "staff_b": make_staff(Role.COMMUNITY_STAFF, two_communities["b"]["community"]),
    }


def claim_for(unit):
    person = factories.UserFactory()
    return services.ownership_claim(user=person, unit=unit, evidence="0003号", actor=person)


@pytest.mark.django_db
def test_resident_claims_over_the_api_and_a_duplicate_is_refused(client, world):
    unit = world["a"]["units"][1]
    person = factories.UserFactory()
    client.force_login(person)
    created = client.post(URL, {"unit": unit.pk, "evidence": "湘0003号"}, content_type="application/json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["unit"], body["status"], body["user"], body["evidence"]) == (unit.pk, "claimed", person.pk, "湘0003号")

    again = client.post(URL, {"unit": unit.pk, "evidence": "湘0003号"}, content_type="application/json")
    assert again.status_code == 400
    error = again.json()["error"]
    assert error["code"] == "duplicate" and list(error["fields"]) == ["unit"] and error["message"]

    missing = client.post(URL, {"unit": 999999}, content_type="application/json")
    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"unit", "evidence"}


@pytest.mark.django_db
def test_managers_list_claims_by_status(client, world):
    mine, theirs = claim_for(world["a"]["units"][1]), claim_for(world["b"]["units"][1])
    client.force_login(world["staff"])
    rows = client.get(URL, {"status": "claimed"}).json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert theirs.pk not in [r["id"] for r in client.get(URL).json()["results"]]


@pytest.mark.django_db
def test_verify_gives_rights_and_outsiders_get_404(client, world, role_users):
    claim = claim_for(world["a"]["units"][1])
    for outsider in (world["staff_b"], role_users[Role.GRID_WORKER], role_users[Role.PROPERTY_STAFF], claim.user):
        client.force_login(outsider)
        response = client.post(f"{URL}{claim.pk}/verify/", {}, content_type="application/json")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert not Compound.objects.visible_to(claim.user).exists()

    client.force_login(world["staff"])
    response = client.post(f"{URL}{claim.pk}/verify/", {}, content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["is_voter"]) == ("verified", True)
    assert list(Compound.objects.visible_to(claim.user)) == [world["a"]["compound"]]

    twice = client.post(f"{URL}{claim.pk}/verify/", {}, content_type="application/json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "conflict"


@pytest.mark.django_db
def test_reject_needs_a_reason_named_in_the_error(client, world):
    claim = claim_for(world["a"]["units"][1])
    client.force_login(world["staff"])
    response = client.post(f"{URL}{claim.pk}/reject/", {}, content_type="application/json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["reason"]
    assert error["message"] == error["fields"]["reason"][0]

    blank = client.post(f"{URL}{claim.pk}/reject/", {"reason": "  "}, content_type="application/json")
    assert blank.status_code == 400 and list(blank.json()["error"]["fields"]) == ["reason"]

    done = client.post(f"{URL}{claim.pk}/reject/", {"reason": "证件不清晰"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "rejected"

    client.force_login(claim.user)
    own = client.get(f"{URL}{claim.pk}/").json()
    assert (own["status"], own["rejection_reason"]) == ("rejected", "证件不清晰")


@pytest.mark.django_db
def test_set_voter_moves_the_flag_between_co_owners(client, world):
    a = world["a"]
    unit = a["units"][0]
    spouse = claim_for(unit)
    services.ownership_verify(ownership=spouse, actor=world["staff"])
    client.force_login(world["staff"])
    response = client.post(f"{URL}{spouse.pk}/set-voter/", content_type="application/json")
    assert response.status_code == 200 and response.json()["is_voter"] is True
    assert list(Ownership.objects.filter(unit=unit, is_voter=True).values_list("pk", flat=True)) == [spouse.pk]

    client.force_login(world["staff_b"])
    assert client.post(f"{URL}{spouse.pk}/set-voter/", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_verify_with_is_voter_true_moves_the_voter(client, world):
    unit = world["a"]["units"][0]
    buyer = claim_for(unit)
    client.force_login(world["staff"])
    response = client.post(f"{URL}{buyer.pk}/verify/", {"is_voter": True}, content_type="application/json")
    assert response.status_code == 200
    assert list(Ownership.objects.filter(unit=unit, is_voter=True).values_list("pk", flat=True)) == [buyer.pk]


@pytest.mark.django_db
def test_openapi_schema_describes_the_ownership_actions(client, world):
    client.force_login(world["staff"])
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/ownerships/"]
    for action in ("verify", "reject", "set-voter"):
        assert "post" in paths[f"/api/v1/ownerships/{{id}}/{action}/"]
    reject_body = paths["/api/v1/ownerships/{id}/reject/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert reject_body["$ref"].endswith("OwnershipRejectRequest")

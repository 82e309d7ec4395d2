"""Ownership claims, verification, voters and tenancy through residents.services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import ApplicationError
from core.models import AuditEvent
from governance.models import Compound, Role
from residents import services
from residents.models import Ownership, Tenancy
from residents.permissions import can_verify_ownership
from tests import factories


@pytest.fixture
def world(two_communities, make_staff):
    a = two_communities["a"]
    return {
        **two_communities,
        "staff": make_staff(Role.COMMUNITY_STAFF, a["community"]),
        "staff_b": make_staff(Role.COMMUNITY_STAFF, two_communities["b"]["community"]),
    }


def voters(unit) -> list[int]:
    return list(
        Ownership.objects.current().verified().filter(unit=unit, is_voter=True).values_list("user_id", flat=True)
    )


@pytest.mark.django_db
def test_claimed_but_unverified_owner_sees_no_compound_and_verified_one_does(world):
    a = world["a"]
    person = factories.UserFactory()
    claim = services.ownership_claim(user=person, unit=a["units"][1], evidence="湘(2020)娄底市不动产权第0001号", actor=person)

    assert claim.status == Ownership.Status.CLAIMED
    assert not Compound.objects.visible_to(person).exists()

    services.ownership_verify(ownership=claim, actor=world["staff"])

    claim.refresh_from_db()
    assert claim.status == Ownership.Status.VERIFIED
    assert claim.verified_by == world["staff"] and claim.verified_at is not None
    assert claim.is_voter, "the only owner of a unit is its voter"
    assert list(Compound.objects.visible_to(person)) == [a["compound"]]
    assert AuditEvent.objects.filter(action="ownership.claim", target_id=str(claim.pk)).exists()
    assert AuditEvent.objects.filter(action="ownership.verify", target_id=str(claim.pk), actor=world["staff"]).exists()


@pytest.mark.django_db
def test_a_second_open_claim_of_the_same_unit_is_refused(world):
    person = factories.UserFactory()
    unit = world["a"]["units"][1]
    services.ownership_claim(user=person, unit=unit, evidence="A-1", actor=person)
    with pytest.raises(ApplicationError) as refused:
        services.ownership_claim(user=person, unit=unit, evidence="A-2", actor=person)
    assert refused.value.field == "unit"
    assert Ownership.objects.filter(user=person, unit=unit).count() == 1


@pytest.mark.django_db
def test_a_verified_owner_cannot_claim_the_same_unit_again(world):
    a = world["a"]
    with pytest.raises(ApplicationError):
        services.ownership_claim(user=a["owner"], unit=a["units"][0], evidence="X", actor=a["owner"])


@pytest.mark.django_db
def test_nobody_claims_a_unit_for_someone_else_unless_they_manage_it(world):
    person, stranger = factories.UserFactory(), factories.UserFactory()
    unit = world["a"]["units"][1]
    with pytest.raises(ApplicationError):
        services.ownership_claim(user=person, unit=unit, evidence="X", actor=stranger)
    claim = services.ownership_claim(user=person, unit=unit, evidence="X", actor=world["staff"])
    assert claim.user == person


@pytest.mark.django_db
def test_reject_needs_a_reason_which_the_resident_keeps(world):
    person = factories.UserFactory()
    claim = services.ownership_claim(user=person, unit=world["a"]["units"][1], evidence="X", actor=person)
    with pytest.raises(ApplicationError) as refused:
        services.ownership_reject(ownership=claim, reason="   ", actor=world["staff"])
    assert refused.value.field == "reason"

    services.ownership_reject(ownership=claim, reason="证书号码与登记不符", actor=world["staff"])
    claim.refresh_from_db()
    assert claim.status == Ownership.Status.REJECTED
    assert claim.rejection_reason == "证书号码与登记不符"
    assert not Compound.objects.visible_to(person).exists()
    # A rejected claim is closed: the resident may claim again with better evidence.
    again = services.ownership_claim(user=person, unit=claim.unit, evidence="Y", actor=person)
    assert again.status == Ownership.Status.CLAIMED


@pytest.mark.django_db
def test_a_decided_claim_cannot_be_decided_again(world):
    person = factories.UserFactory()
    claim = services.ownership_claim(user=person, unit=world["a"]["units"][1], evidence="X", actor=person)
    services.ownership_verify(ownership=claim, actor=world["staff"])
    with pytest.raises(ApplicationError):
        services.ownership_reject(ownership=claim, reason="late", actor=world["staff"])
    with pytest.raises(ApplicationError):
        services.ownership_verify(ownership=claim, actor=world["staff"])


@pytest.mark.django_db
def test_co_owners_keep_exactly_one_voter_when_the_flag_moves(world):
    a = world["a"]
    unit = a["units"][0]  # already has a verified voter: a["owner"]
    spouse = factories.UserFactory()
    claim = services.ownership_claim(user=spouse, unit=unit, evidence="X", actor=spouse)
    services.ownership_verify(ownership=claim, actor=world["staff"])
    assert voters(unit) == [a["owner"].pk], "a new co-owner does not take the vote by default"

    services.ownership_set_voter(unit=unit, ownership=claim, actor=world["staff"])
    assert voters(unit) == [spouse.pk]

    first = Ownership.objects.get(unit=unit, user=a["owner"])
    services.ownership_set_voter(unit=unit, ownership=first, actor=world["staff"])
    assert voters(unit) == [a["owner"].pk]
    assert AuditEvent.objects.filter(action="ownership.set_voter").count() == 2


@pytest.mark.django_db
def test_verify_with_is_voter_moves_the_flag_in_one_step(world):
    a = world["a"]
    unit = a["units"][0]
    buyer = factories.UserFactory()
    claim = services.ownership_claim(user=buyer, unit=unit, evidence="X", actor=buyer)
    services.ownership_verify(ownership=claim, actor=world["staff"], is_voter=True)
    assert voters(unit) == [buyer.pk]


@pytest.mark.django_db
def test_the_voter_must_own_the_unit_and_be_verified(world):
    a = world["a"]
    other_units_owner = Ownership.objects.get(user=a["owner"])
    with pytest.raises(ApplicationError):
        services.ownership_set_voter(unit=a["units"][1], ownership=other_units_owner, actor=world["staff"])
    person = factories.UserFactory()
    claim = services.ownership_claim(user=person, unit=a["units"][0], evidence="X", actor=person)
    with pytest.raises(ApplicationError):
        services.ownership_set_voter(unit=a["units"][0], ownership=claim, actor=world["staff"])
    assert voters(a["units"][0]) == [a["owner"].pk]


@pytest.mark.django_db
def test_when_the_voter_sells_the_remaining_co_owner_votes(world):
    a = world["a"]
    unit = a["units"][0]
    spouse = factories.UserFactory()
    claim = services.ownership_claim(user=spouse, unit=unit, evidence="X", actor=spouse)
    services.ownership_verify(ownership=claim, actor=world["staff"])
    seller = Ownership.objects.get(unit=unit, user=a["owner"])

    services.ownership_end(ownership=seller, actor=world["staff"], end=timezone.localdate())

    assert voters(unit) == [spouse.pk]
    with pytest.raises(ApplicationError):
        services.ownership_end(
            ownership=claim, actor=world["staff"], end=timezone.localdate() + timedelta(days=1)
        )


@pytest.mark.django_db
def test_a_resident_may_withdraw_only_their_own_claim(world):
    person, other = factories.UserFactory(), factories.UserFactory()
    claim = services.ownership_claim(user=person, unit=world["a"]["units"][1], evidence="X", actor=person)
    with pytest.raises(ApplicationError):
        services.ownership_end(ownership=claim, actor=other)
    services.ownership_end(ownership=claim, actor=person)
    claim.refresh_from_db()
    assert claim.end == timezone.localdate()


@pytest.mark.django_db
def test_only_managers_of_the_compound_may_verify(world, role_users):
    a = world["a"]
    person = factories.UserFactory()
    claim = services.ownership_claim(user=person, unit=a["units"][1], evidence="X", actor=person)
    allowed = {Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.COMMUNITY_STAFF}
    for role, user in role_users.items():
        assert can_verify_ownership(user, claim) is (role in allowed), role
    assert not can_verify_ownership(world["staff_b"], claim)
    with pytest.raises(ApplicationError) as refused:
        services.ownership_verify(ownership=claim, actor=world["staff_b"])
    assert refused.value.code == "forbidden"
    with pytest.raises(ApplicationError):
        services.ownership_verify(ownership=claim, actor=role_users[Role.GRID_WORKER])
    claim.refresh_from_db()
    assert claim.status == Ownership.Status.CLAIMED


@pytest.mark.django_db
def test_a_registered_tenant_sees_the_compound_until_the_tenancy_ends(world):
    a = world["a"]
    tenant = factories.UserFactory()
    today = timezone.localdate()
    tenancy = services.tenancy_register(user=tenant, unit=a["units"][1], start=today, end=None, actor=world["staff"])
    assert tenancy.verified_at is not None
    assert list(Compound.objects.visible_to(tenant)) == [a["compound"]]
    with pytest.raises(ApplicationError):
        services.tenancy_register(user=tenant, unit=a["units"][1], start=today, end=None, actor=world["staff"])
    with pytest.raises(ApplicationError):
        services.tenancy_register(user=factories.UserFactory(), unit=a["units"][1], start=today, actor=world["staff_b"])

    services.tenancy_end(tenancy=tenancy, actor=world["staff"], end=today)
    # The end day is still part of the lease; the day after, the rights are gone.
    assert Tenancy.objects.current(today + timedelta(days=1)).filter(pk=tenancy.pk).count() == 0
    assert AuditEvent.objects.filter(action__startswith="tenancy.").count() == 2

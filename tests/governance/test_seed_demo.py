"""`manage.py seed_demo`: sizes, determinism, demo accounts and their scopes (run at the tiny scale)."""

import random
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.test import RequestFactory

from committees.demo import CHAIR_PHONE
from governance import demo
from governance.models import (
    Building,
    Community,
    Compound,
    Department,
    DepartmentTimeLimit,
    PartyOrganisation,
    RoleAssignment,
    ServiceContract,
    Street,
    Unit,
)
from residents.models import Ownership, PartyMembership, User

SHOWCASES = {"八一新村", "融和园小区", "涟邵矿务局小区"}


def seed_tiny(seed: int = demo.DEFAULT_SEED) -> str:
    out = StringIO()
    call_command("seed_demo", scale="tiny", seed=seed, stdout=out)
    return out.getvalue()


@pytest.fixture
def tiny(db):
    seed_tiny()
    return {phone: User.objects.get(phone=phone) for phone, _, _ in demo.DEMO_ACCOUNTS}


def test_plan_matches_the_district_of_the_domain_brief():
    district = demo.plan_places(demo.SCALES["district"], random.Random(demo.DEFAULT_SEED)).summary()
    assert (district["streets"], district["communities"], district["compounds"], district["buildings"]) == (7, 60, 600, 4800)
    assert 209_000 <= district["units"] <= 231_000
    assert 500 <= district["grids"] <= 600
    assert district["compound_branches"] == 420  # 70% before the model

    places = demo.plan_places(demo.SCALES["demo"], random.Random(demo.DEFAULT_SEED))
    summary = places.summary()
    assert (summary["streets"], summary["communities"], summary["compounds"], summary["buildings"]) == (2, 8, 40, 320)
    assert 11_400 <= summary["units"] <= 12_600
    assert 26 <= summary["grids"] <= 34
    names = [p.compound.name for p in places.compounds]
    assert SHOWCASES <= set(names) and len(set(names)) == len(names)


def test_plan_is_the_same_for_the_same_seed_and_differs_for_another():
    def layout(seed):
        places = demo.plan_places(demo.SCALES["demo"], random.Random(seed))
        return [(p.compound.name, p.compound.community.name, p.unit_count) for p in places.compounds]

    assert layout(7) == layout(7)
    assert layout(7) != layout(8)


@pytest.mark.django_db
def test_tiny_seed_creates_the_showcase_compounds_with_owned_units(tiny):
    assert Street.objects.get().name == "乐坪街道"
    assert Community.objects.count() == 2
    assert set(Compound.objects.values_list("name", flat=True)) == SHOWCASES
    planned = demo.plan_places(demo.SCALES["tiny"], random.Random(demo.DEFAULT_SEED)).summary()
    assert Building.objects.count() == planned["buildings"]
    assert Unit.objects.count() == planned["units"]
    assert not Unit.objects.filter(ownerships__isnull=True).exists()
    assert not Unit.objects.filter(area_register__isnull=True, area_survey__isnull=True, area_contract__isnull=True).exists()
    registered = Unit.objects.exclude(area_register__isnull=True).values_list("area_register", flat=True)
    assert all(Decimal("60") <= area <= Decimal("140") for area in registered)
    # Grids cover buildings of their own community only.
    assert not Building.objects.exclude(grid__community=F("compound__community")).exists()


@pytest.mark.django_db
def test_seeding_an_empty_database_twice_gives_identical_data():
    digests = []
    for seed in (demo.DEFAULT_SEED, demo.DEFAULT_SEED, demo.DEFAULT_SEED + 1):
        with transaction.atomic():
            seed_tiny(seed)
            digests.append(demo.checksum())
            transaction.set_rollback(True)
        assert not Compound.objects.exists()
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


@pytest.mark.django_db
def test_if_empty_leaves_existing_data_alone_and_a_plain_run_refuses(tiny):
    units = Unit.objects.count()
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert Unit.objects.count() == units
    with pytest.raises(CommandError):
        call_command("seed_demo", scale="tiny", stdout=StringIO())


@pytest.mark.django_db
def test_every_demo_account_logs_in_with_the_documented_password(tiny):
    request = RequestFactory().post("/accounts/login/")
    for phone, _, _ in demo.DEMO_ACCOUNTS:
        assert authenticate(request, username=phone, password=demo.DEMO_PASSWORD) == tiny[phone], phone
    assert tiny["13800000000"].is_superuser and tiny["13800000000"].is_staff
    assert tiny["13800000008"].real_name == "王秀英" and tiny["13800000009"].real_name == "李建国"


@pytest.mark.django_db
def test_generated_owners_cannot_log_in(tiny):
    owner = User.objects.exclude(phone__in=demo.DEMO_PHONES | {CHAIR_PHONE}).first()  # the chair is a demo account too
    assert not owner.has_usable_password()


@pytest.mark.django_db
def test_staff_roles_grant_exactly_their_scope(tiny):
    home = Compound.objects.get(name="八一新村")
    second = Compound.objects.get(name="融和园小区")
    assert home.community != second.community
    assert RoleAssignment.objects.filter(granted=True).count() == 7

    community_staff = tiny["13800000003"]
    visible = set(Compound.objects.visible_to(community_staff))
    assert home in visible and second not in visible

    for phone in ("13800000000", "13800000001", "13800000002"):  # superuser, district, street (乐坪街道)
        assert set(Compound.objects.visible_to(tiny[phone])) == set(Compound.objects.all())

    grid_worker = tiny["13800000004"]
    grid_buildings = Building.objects.visible_to(grid_worker)
    assert grid_buildings.filter(compound=home).exists()
    assert not grid_buildings.filter(compound=second).exists()

    property_staff = tiny["13800000005"]
    assert ServiceContract.objects.active().filter(compound=home, company__name=demo.HOME_COMPANY).exists()
    assert home in Compound.objects.visible_to(property_staff)

    department_staff = tiny["13800000006"]
    assert list(Department.objects.visible_to(department_staff).values_list("name", flat=True)) == ["城管局"]
    assert not Compound.objects.visible_to(department_staff).exists()

    secretary = tiny["13800000007"]
    assert home in Compound.objects.visible_to(secretary)
    membership = PartyMembership.objects.get(user=secretary)
    assert membership.post == PartyMembership.Post.SECRETARY
    assert membership.organisation.compound == home and secretary.is_party_member


@pytest.mark.django_db
def test_demo_residents_are_verified_owners_who_see_only_their_compound(tiny):
    wang, li = tiny["13800000008"], tiny["13800000009"]
    ownership = Ownership.objects.verified().get(user=wang)
    assert ownership.is_voter and ownership.unit.building.compound.name == "八一新村"
    assert ownership.unit.ownerships.count() == 2  # co-owned with a spouse who does not vote
    assert list(Compound.objects.visible_to(wang).values_list("name", flat=True)) == ["八一新村"]
    assert list(Compound.objects.visible_to(li).values_list("name", flat=True)) == ["融和园小区"]


@pytest.mark.django_db
def test_each_co_owned_unit_has_exactly_one_voter(tiny):
    voters = demo.voters_per_co_owned_unit()
    assert voters, "the demo should have co-owned units"
    assert set(voters.values()) == {1}


@pytest.mark.django_db
def test_party_organisations_follow_the_model(tiny):
    branches = PartyOrganisation.objects.filter(kind=PartyOrganisation.Kind.COMPOUND_BRANCH)
    assert branches.count() == round(0.7 * Compound.objects.count())
    assert branches.filter(compound__name="八一新村").exists()
    for branch in branches:
        members = branch.memberships.all()
        assert members.count() >= 3
        assert members.filter(post=PartyMembership.Post.SECRETARY).count() == 1
    committees = PartyOrganisation.objects.filter(kind=PartyOrganisation.Kind.COMMUNITY_COMMITTEE)
    assert set(committees.values_list("community", flat=True)) == set(Community.objects.values_list("pk", flat=True))
    assert PartyOrganisation.objects.filter(kind=PartyOrganisation.Kind.PROPERTY_BRANCH, compound__name="八一新村").exists()
    assert not User.objects.filter(party_memberships__isnull=False, is_party_member=False).exists()


@pytest.mark.django_db
def test_departments_have_time_limits_and_contracts_have_fees(tiny):
    assert Department.objects.count() >= 12
    assert DepartmentTimeLimit.objects.count() == 4 * Department.objects.count()
    fees = ServiceContract.objects.active().values_list("fee_per_m2_month", flat=True)
    assert fees and all(Decimal("0.80") <= fee <= Decimal("2.50") for fee in fees)

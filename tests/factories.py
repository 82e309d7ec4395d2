from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from governance import models as gov
from residents.models import Ownership, User


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = gov.District
        django_get_or_create = ["name"]

    name = "娄星区"


class StreetFactory(DjangoModelFactory):
    class Meta:
        model = gov.Street

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"第{n}街道")


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = gov.Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"第{n}社区")


class GridFactory(DjangoModelFactory):
    class Meta:
        model = gov.Grid

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}网格")


class CompoundFactory(DjangoModelFactory):
    class Meta:
        model = gov.Compound

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"幸福{n}小区")


class BuildingFactory(DjangoModelFactory):
    class Meta:
        model = gov.Building

    compound = factory.SubFactory(CompoundFactory)
    name = factory.Sequence(lambda n: f"{n}栋")
    floors = 6


class UnitFactory(DjangoModelFactory):
    class Meta:
        model = gov.Unit

    building = factory.SubFactory(BuildingFactory)
    entrance = "1单元"
    number = factory.Sequence(lambda n: f"{100 + n}")
    area_register = Decimal("89.50")


class PropertyCompanyFactory(DjangoModelFactory):
    class Meta:
        model = gov.PropertyCompany

    name = factory.Sequence(lambda n: f"安居物业{n}有限公司")


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = gov.Department

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"职能部门{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    real_name = factory.Sequence(lambda n: f"居民{n}")
    password = factory.PostGenerationMethodCall("set_password", "demo-pass-123")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class OwnershipFactory(DjangoModelFactory):
    class Meta:
        model = Ownership

    unit = factory.SubFactory(UnitFactory)
    user = factory.SubFactory(UserFactory)
    status = Ownership.Status.VERIFIED
    verified_at = factory.LazyFunction(timezone.now)

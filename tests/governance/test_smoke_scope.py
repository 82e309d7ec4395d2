import pytest
from django.urls import reverse

from governance.models import Compound, Role, Unit

from ..conftest import PASSWORD


@pytest.mark.django_db
def test_community_staff_sees_only_their_community(two_communities, make_staff):
    a, b = two_communities["a"], two_communities["b"]
    staff = make_staff(Role.COMMUNITY_STAFF, a["community"])
    assert list(Compound.objects.visible_to(staff)) == [a["compound"]]
    assert set(Unit.objects.visible_to(staff)) == set(a["units"])
    assert not Unit.objects.visible_to(staff).filter(pk__in=[u.pk for u in b["units"]]).exists()


@pytest.mark.django_db
def test_login_then_home_shows_the_residents_compound(client, two_communities):
    owner = two_communities["a"]["owner"]
    response = client.post(reverse("login"), {"username": owner.phone, "password": PASSWORD}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert two_communities["a"]["compound"].name in body
    assert two_communities["b"]["compound"].name not in body
    assert "我的小区" in body or "My compound" in body

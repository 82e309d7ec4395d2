"""Who sees which area dashboard: out of scope is 404 on the page, the export and the API alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from governance.dashboards import permissions

from .test_dashboard_area_world import World, own_cache  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_staff):
    return World(make_staff)


def _urls(level: str, pk: int) -> list[str]:
    return [
        reverse("dashboards:area", args=[level, pk]),
        reverse("dashboards:area-export", args=[level, pk]),
        reverse("api:dashboard-area", args=[level, pk]),
    ]


def _places(w: World) -> dict[str, tuple[str, int]]:
    return {
        "district": ("district", w.district.pk),
        "leping": ("street", w.leping.pk),
        "huashan": ("street", w.huashan.pk),
        "xinxing": ("community", w.xinxing.pk),
        "changqing": ("community", w.changqing.pk),
        "huashan_community": ("community", w.huashan_community.pk),
        "bayi": ("compound", w.bayi.pk),
        "changqing_compound": ("compound", w.changqing_compound.pk),
        "huashan_compound": ("compound", w.huashan_compound.pk),
    }


# place → who may see it (everyone else: 404)
MATRIX = {
    "district": {"superuser", "district_staff"},
    "leping": {"superuser", "district_staff", "street_staff"},
    "huashan": {"superuser", "district_staff"},
    "xinxing": {"superuser", "district_staff", "street_staff", "community_staff"},
    "changqing": {"superuser", "district_staff", "street_staff"},
    "huashan_community": {"superuser", "district_staff"},
    "bayi": {"superuser", "district_staff", "street_staff", "community_staff"},
    "changqing_compound": {"superuser", "district_staff", "street_staff"},
    "huashan_compound": {"superuser", "district_staff"},
}
USERS = ("superuser", "district_staff", "street_staff", "community_staff", "property_staff", "department_staff", "resident")


@pytest.mark.parametrize("who", USERS)
def test_each_role_sees_exactly_its_places_and_gets_404_elsewhere(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    for name, (level, pk) in _places(world).items():
        allowed = who in MATRIX[name]
        for url in _urls(level, pk):
            status = client.get(url).status_code
            assert status == (200 if allowed else 404), (who, name, url, status)
        place = permissions.LEVELS[level].objects.get(pk=pk)
        assert permissions.can_view_area(user, place) is allowed


def test_street_staff_of_leping_get_404_for_another_street(client, world):
    client.force_login(world.street_staff)
    assert client.get(reverse("dashboards:area", args=["street", world.huashan.pk])).status_code == 404
    assert client.get(reverse("api:dashboard-area", args=["street", world.huashan.pk])).json()["error"]["code"] == "not_found"


def test_property_staff_see_no_dashboard_of_the_compound_they_serve(client, world):
    client.force_login(world.property_staff)
    assert client.get(reverse("dashboards:area", args=["compound", world.bayi.pk])).status_code == 404
    assert client.get(reverse("dashboards:home")).status_code == 404


def test_residents_and_anonymous_visitors_get_no_dashboard(client, world):
    assert client.get(reverse("dashboards:area", args=["compound", world.bayi.pk])).status_code == 302  # to login
    assert client.get(reverse("api:dashboard-area", args=["compound", world.bayi.pk])).status_code == 401
    client.force_login(world.resident)
    assert client.get(reverse("dashboards:home")).status_code == 404


def test_unknown_levels_and_places_are_404(client, world):
    client.force_login(world.superuser)
    assert client.get("/dashboard/grid/1/").status_code == 404
    assert client.get(reverse("dashboards:area", args=["street", 10**9])).status_code == 404
    with pytest.raises(Exception) as raised:
        permissions.place_or_404(world.superuser, "grid", world.bayi.pk)
    assert raised.type.__name__ == "Http404"


def test_dashboard_places_are_the_widest_level_held(client, world, make_staff):
    assert permissions.dashboard_places(world.district_staff) == [world.district]
    assert permissions.dashboard_places(world.street_staff) == [world.leping]
    assert permissions.dashboard_places(world.community_staff) == [world.xinxing]
    assert permissions.dashboard_places(world.property_staff) == []
    assert permissions.dashboard_places(world.resident) == []
    both = make_staff("community_staff", world.changqing)
    from governance import services

    services.role_assignment_create(user=both, role="community_staff", scope=world.xinxing, actor=world.superuser)
    assert set(permissions.dashboard_places(both)) == {world.changqing, world.xinxing}
    client.force_login(both)
    response = client.get(reverse("dashboards:home"))  # two places: a choice, not a redirect
    assert response.status_code == 200
    html = response.content.decode()
    assert "长青社区" in html and "新星社区" in html

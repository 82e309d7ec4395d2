import pytest
from django.urls import reverse

from governance.models import Role
from residents.models import Ownership

from ..factories import UnitFactory


@pytest.mark.django_db
def test_staff_home_counts_their_scope_and_links_to_it(client, two_communities, make_staff):
    a = two_communities["a"]
    staff = make_staff(Role.COMMUNITY_STAFF, a["community"])
    claimant = two_communities["b"]["owner"]
    Ownership.objects.create(unit=UnitFactory(building=a["building"]), user=claimant, evidence="湘(2024)娄底市不动产权第1号")
    client.force_login(staff)

    response = client.get(reverse("home"))

    figures = response.context["scope_figures"]
    assert figures == {"compounds": 1, "buildings": 2, "units": 3, "pending_claims": 1}
    body = response.content.decode()
    assert reverse("community-detail", args=[a["community"].pk]) in body
    assert reverse("homes:verify-queue") in body


@pytest.mark.django_db
def test_grid_worker_home_counts_only_the_grid_and_offers_no_verification(client, two_communities, make_staff):
    a = two_communities["a"]
    worker = make_staff(Role.GRID_WORKER, a["grid"])
    client.force_login(worker)

    response = client.get(reverse("home"))

    assert response.context["scope_figures"]["buildings"] == 1  # the other building of the compound is not in the grid
    assert response.context["scope_figures"]["pending_claims"] == 0
    assert reverse("homes:verify-queue") not in response.content.decode()


@pytest.mark.django_db
def test_resident_home_has_no_staff_figures(client, two_communities):
    client.force_login(two_communities["a"]["owner"])
    response = client.get(reverse("home"))
    assert response.context["scope_figures"] is None
    assert "我的小区" in response.content.decode()

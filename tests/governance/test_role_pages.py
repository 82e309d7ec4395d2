"""Staff role management in the browser: list, assign, end, and the guardian grants that follow."""

import pytest
from django.urls import reverse

from core.errors import ApplicationError
from governance import role_views
from governance.models import Compound, Role, RoleAssignment
from residents.models import User
from tests import factories


@pytest.fixture
def root(make_staff):
    return User.objects.get(is_superuser=True)


@pytest.mark.django_db
def test_staff_see_their_own_roles_and_those_in_scopes_they_manage(client, two_communities, make_staff):
    a, b = two_communities["a"], two_communities["b"]
    street_a = make_staff(Role.STREET_STAFF, a["street"])
    community_a = make_staff(Role.COMMUNITY_STAFF, a["community"])
    community_b = make_staff(Role.COMMUNITY_STAFF, b["community"])
    grid_a = make_staff(Role.GRID_WORKER, a["grid"])

    client.force_login(street_a)
    rows = client.get(reverse("roles:list")).context["rows"]
    users = {row["assignment"].user for row in rows}
    assert users == {street_a, community_a, grid_a}
    assert community_b not in users
    assert all(row["can_end"] for row in rows)

    filtered = client.get(reverse("roles:list"), {"role": Role.GRID_WORKER, "state": "active"}).context["rows"]
    assert [row["assignment"].user for row in filtered] == [grid_a]

    client.force_login(grid_a)
    rows = client.get(reverse("roles:list")).context["rows"]
    assert [(row["assignment"].user, row["can_end"]) for row in rows] == [(grid_a, False)]


@pytest.mark.django_db
def test_superuser_assigns_any_registered_person_and_ending_revokes_the_grant(client, two_communities, root):
    a = two_communities["a"]
    newcomer = factories.UserFactory(phone="13511112222")
    client.force_login(root)

    options = client.get(reverse("roles:scope-options"), {"role": Role.COMMUNITY_STAFF}).content.decode()
    assert f'<option value="{a["community"].pk}">{a["community"].name}</option>' in options

    response = client.post(
        reverse("roles:assign"), {"phone": "13511112222", "role": Role.COMMUNITY_STAFF, "scope": a["community"].pk}
    )
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=newcomer)
    assert (assignment.role, assignment.community, assignment.created_by) == (Role.COMMUNITY_STAFF, a["community"], root)
    assert list(Compound.objects.visible_to(newcomer)) == [a["compound"]]

    assert client.post(reverse("roles:end", args=[assignment.pk])).status_code == 302
    assignment.refresh_from_db()
    assert assignment.end is not None and not assignment.granted
    assert not Compound.objects.visible_to(newcomer).exists()

    # Ending it again is refused with a message, not an error page.
    again = client.post(reverse("roles:end", args=[assignment.pk]), follow=True)
    assert again.status_code == 200
    assert [m.level_tag for m in again.context["messages"]][-1] == "error"


@pytest.mark.django_db
def test_street_staff_assign_only_people_and_places_they_see(client, two_communities, make_staff):
    a, b = two_communities["a"], two_communities["b"]
    street_a = make_staff(Role.STREET_STAFF, a["street"])
    client.force_login(street_a)

    options = client.get(reverse("roles:scope-options"), {"role": Role.COMMUNITY_STAFF}).content.decode()
    assert f'value="{a["community"].pk}"' in options and f'value="{b["community"].pk}"' not in options

    stranger = client.post(reverse("roles:assign"), {"phone": b["owner"].phone, "role": Role.GRID_WORKER, "scope": a["grid"].pk})
    assert stranger.status_code == 200
    assert list(stranger.context["form"].errors) == ["phone"]

    elsewhere = client.post(
        reverse("roles:assign"), {"phone": a["owner"].phone, "role": Role.GRID_WORKER, "scope": b["grid"].pk}
    )
    assert list(elsewhere.context["form"].errors) == ["scope"]
    assert not RoleAssignment.objects.filter(user=a["owner"]).exists()

    ok = client.post(reverse("roles:assign"), {"phone": a["owner"].phone, "role": Role.GRID_WORKER, "scope": a["grid"].pk})
    assert ok.status_code == 302
    assert a["compound"] in Compound.objects.visible_to(a["owner"], as_staff=True)
    assignment = RoleAssignment.objects.get(user=a["owner"])
    client.post(reverse("roles:end", args=[assignment.pk]))
    assert not Compound.objects.visible_to(a["owner"], as_staff=True).exists()


@pytest.mark.django_db
def test_service_errors_show_as_form_errors(client, two_communities, root, monkeypatch):
    def refuse(**kwargs):
        raise ApplicationError("The end must be after the start.", field="end")

    monkeypatch.setattr(role_views.services, "role_assignment_create", refuse)
    client.force_login(root)
    response = client.post(
        reverse("roles:assign"),
        {"phone": two_communities["a"]["owner"].phone, "role": Role.GRID_WORKER, "scope": two_communities["a"]["grid"].pk},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["The end must be after the start."]


@pytest.mark.django_db
def test_roles_out_of_scope_cannot_be_ended(client, two_communities, make_staff):
    a, b = two_communities["a"], two_communities["b"]
    community_b = make_staff(Role.COMMUNITY_STAFF, b["community"])
    grid_a = make_staff(Role.GRID_WORKER, a["grid"])
    target = RoleAssignment.objects.get(user=grid_a)
    client.force_login(community_b)
    assert client.post(reverse("roles:end", args=[target.pk])).status_code == 404
    client.force_login(grid_a)  # sees their own role, but a grid worker manages nothing
    client.post(reverse("roles:end", args=[target.pk]))
    target.refresh_from_db()
    assert target.end is None and target.granted


@pytest.mark.django_db
def test_role_list_query_count_is_constant(client, two_communities, make_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = two_communities["a"]
    street_a = make_staff(Role.STREET_STAFF, a["street"])
    client.force_login(street_a)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("roles:list"))
    for _ in range(15):
        make_staff(Role.GRID_WORKER, a["grid"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("roles:list"))
    assert len(response.context["rows"]) == 16
    assert len(many) == len(few)

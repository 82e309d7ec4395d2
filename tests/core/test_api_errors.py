"""Every API error has one shape: {"error": {"code", "message", "fields": {field: [messages]}}}.

And token authentication: phone + password at /api/v1/auth/token/, then `Authorization: Token …`.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from governance.models import Role

from ..conftest import PASSWORD

URL = "/api/v1/role-assignments/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    for messages in error["fields"].values():
        assert isinstance(messages, list) and all(isinstance(m, str) and m for m in messages)
    return error


@pytest.fixture
def api(role_users):
    client = APIClient()
    client.force_authenticate(role_users[Role.COMMUNITY_STAFF])
    return client


@pytest.mark.django_db
def test_valid_role_assignment_is_created(api, two_communities):
    a = two_communities["a"]
    response = api.post(URL, {"user": a["owner"].pk, "role": Role.GRID_WORKER, "scope_id": a["grid"].pk}, format="json")
    assert response.status_code == 201
    assert response.json()["scope_id"] == a["grid"].pk


@pytest.mark.django_db
def test_bad_role_and_missing_scope_name_both_fields(api, two_communities):
    error = _error(api.post(URL, {"user": two_communities["a"]["owner"].pk, "role": "mayor"}, format="json"), 400)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"role", "scope_id"}


@pytest.mark.django_db
def test_one_bad_field_puts_its_message_up_front(api, two_communities):
    error = _error(api.post(URL, {"user": two_communities["a"]["owner"].pk, "role": Role.GRID_WORKER}, format="json"), 400)
    assert list(error["fields"]) == ["scope_id"]
    assert error["message"] == error["fields"]["scope_id"][0]


@pytest.mark.django_db
def test_scope_outside_the_callers_community_is_refused_on_the_field(api, two_communities):
    a, b = two_communities["a"], two_communities["b"]
    payload = {"user": a["owner"].pk, "role": Role.GRID_WORKER, "scope_id": b["grid"].pk}
    error = _error(api.post(URL, payload, format="json"), 400)
    assert list(error["fields"]) == ["scope_id"]


@pytest.mark.django_db
def test_person_outside_scope_is_refused_on_the_user_field(api, two_communities):
    payload = {"user": two_communities["b"]["owner"].pk, "role": Role.GRID_WORKER, "scope_id": two_communities["a"]["grid"].pk}
    error = _error(api.post(URL, payload, format="json"), 400)
    assert list(error["fields"]) == ["user"]


@pytest.mark.django_db
def test_service_rule_errors_name_the_field(api, two_communities):
    """An ApplicationError raised by a service (end before start) keeps its field."""
    a = two_communities["a"]
    payload = {
        "user": a["owner"].pk, "role": Role.GRID_WORKER, "scope_id": a["grid"].pk,
        "start": "2025-06-01T00:00:00+08:00", "end": "2025-01-01T00:00:00+08:00",
    }
    error = _error(api.post(URL, payload, format="json"), 400)
    assert list(error["fields"]) == ["end"]
    assert error["message"] == error["fields"]["end"][0]


@pytest.mark.django_db
def test_not_found_shape(api, two_communities):
    for url in ("/api/v1/compounds/999999/", f"/api/v1/compounds/{two_communities['b']['compound'].pk}/"):
        error = _error(api.get(url), 404)
        assert error["code"] == "not_found"
        assert error["fields"] == {}


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/compounds/", "/api/v1/people/me/", "/api/v1/units/1/"])
def test_anonymous_is_refused_with_the_shape(url):
    response = APIClient().get(url)
    assert _error(response, 401)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_session_post_without_csrf_is_forbidden(role_users, two_communities):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(role_users[Role.COMMUNITY_STAFF])
    a = two_communities["a"]
    response = client.post(URL, {"user": a["owner"].pk, "role": Role.GRID_WORKER, "scope_id": a["grid"].pk}, format="json")
    error = _error(response, 403)
    assert error["code"] == "permission_denied"


@pytest.mark.django_db
def test_method_not_allowed_shape(api):
    error = _error(api.post("/api/v1/streets/", {"name": "x"}, format="json"), 405)
    assert error["code"] == "method_not_allowed"


# Token authentication


@pytest.mark.django_db
def test_token_login_with_phone_and_password(two_communities):
    owner = two_communities["a"]["owner"]
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": owner.phone, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get("/api/v1/people/me/")
    assert me.status_code == 200
    assert me.json()["id"] == owner.pk
    units = client.get("/api/v1/units/").json()
    assert [u["id"] for u in units["results"]] == [two_communities["a"]["units"][0].pk]


@pytest.mark.django_db
def test_token_login_with_a_wrong_password(two_communities):
    owner = two_communities["a"]["owner"]
    response = APIClient().post("/api/v1/auth/token/", {"username": owner.phone, "password": "wrong-pass"}, format="json")
    error = _error(response, 400)
    assert "non_field_errors" in error["fields"]


@pytest.mark.django_db
def test_token_login_without_a_password_names_the_field(two_communities):
    response = APIClient().post("/api/v1/auth/token/", {"username": two_communities["a"]["owner"].phone}, format="json")
    assert list(_error(response, 400)["fields"]) == ["password"]


@pytest.mark.django_db
def test_a_bad_token_is_refused():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/people/me/")
    assert _error(response, 401)["code"] == "authentication_failed"

"""The OpenAPI schema documents every endpoint; the docs pages work offline (self-hosted sidecar assets)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

LIST_AND_DETAIL = [
    "streets", "communities", "grids", "compounds", "buildings", "units", "departments",
    "property-companies", "role-assignments", "people", "ownerships",
]
EXPECTED_PATHS = [
    *(f"/api/v1/{name}/" for name in LIST_AND_DETAIL),
    *(f"/api/v1/{name}/{{id}}/" for name in LIST_AND_DETAIL),
    "/api/v1/people/me/",
    "/api/v1/role-assignments/{id}/end/",
    "/api/v1/auth/token/",
]


@pytest.fixture
def schema(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


@pytest.mark.parametrize("path", EXPECTED_PATHS)
def test_schema_documents_the_endpoint(schema, path):
    assert path in schema["paths"]


def test_schema_documents_the_methods(schema):
    paths = schema["paths"]
    for name in LIST_AND_DETAIL:
        assert "get" in paths[f"/api/v1/{name}/"], name
        assert "get" in paths[f"/api/v1/{name}/{{id}}/"], name
    assert "post" in paths["/api/v1/role-assignments/"]
    assert "post" in paths["/api/v1/auth/token/"]
    assert "put" not in paths["/api/v1/streets/{id}/"]


def test_schema_documents_token_and_session_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "Authorization"}.items() <= schemes["tokenAuth"].items()
    assert schemes["cookieAuth"]["in"] == "cookie"


@pytest.mark.django_db
def test_schema_generates_without_warnings(tmp_path):
    """Unannotated views make drf-spectacular guess; a guess is a warning, and a warning fails here."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3.")


EXTERNAL_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
LOCAL_ASSET = re.compile(r"""(?:src|href)\s*=\s*["'](/static/[^"']+)["']""")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_render_with_self_hosted_assets(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not EXTERNAL_ASSET.search(html), EXTERNAL_ASSET.search(html).group(0)
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assets = LOCAL_ASSET.findall(html)
    assert any(asset.endswith(".js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/static/drf_spectacular_sidecar/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"missing static file {asset}"

"""等保 2.0 baselines: login-failure lockout (django-axes) and the idle-session timeout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from .. import factories
from ..conftest import PASSWORD

WRONG = "not-the-password"


def _login(client, phone: str, password: str):
    return client.post(reverse("login"), {"username": phone, "password": password})


def _logged_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


@pytest.fixture
def person(db):
    return factories.UserFactory(phone="13800138000")


def test_lockout_settings_follow_the_baseline():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=30)
    assert settings.AXES_RESET_ON_SUCCESS is True


@pytest.mark.django_db
def test_wrong_password_shows_the_form_again_with_the_lockout_warning(client, person):
    response = _login(client, person.phone, WRONG)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not _logged_in(client)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(client, person):
    for _ in range(5):
        _login(client, person.phone, WRONG)
    response = _login(client, person.phone, PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    body = response.content.decode()
    with translation.override("zh-hans"):
        title = gettext("Account locked")
    assert title != "Account locked", "the Chinese catalog must translate the lockout page"
    assert title in body
    assert '<html lang="zh-hans"' in body
    assert not _logged_in(client)


@pytest.mark.django_db
def test_the_locked_account_stays_locked_from_another_device(client, person):
    for _ in range(5):
        _login(client, person.phone, WRONG)
    other_device = Client(REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="another phone")
    assert _login(other_device, person.phone, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_another_account_still_logs_in(client, person):
    for _ in range(5):
        _login(client, person.phone, WRONG)
    neighbour = factories.UserFactory()
    other_device = Client(REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="another phone")
    response = _login(other_device, neighbour.phone, PASSWORD)
    assert response.status_code == 302
    assert _logged_in(other_device)


@pytest.mark.django_db
def test_a_browser_that_failed_five_times_is_locked_for_every_account(client, person):
    """AXES_LOCKOUT_PARAMETERS also locks the client (address + browser): no guessing across accounts."""
    for _ in range(5):
        _login(client, person.phone, WRONG)
    neighbour = factories.UserFactory()
    assert _login(client, neighbour.phone, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_success_resets_the_failure_count(client, person):
    for _ in range(4):
        _login(client, person.phone, WRONG)
    assert _login(client, person.phone, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        _login(client, person.phone, WRONG)
    # Eight failures in all, but never five in a row: the right password still works.
    assert _login(client, person.phone, PASSWORD).status_code == 302
    assert _logged_in(client)


@pytest.mark.django_db
def test_api_token_endpoint_is_locked_too(client, person):
    for _ in range(5):
        client.post("/api/v1/auth/token/", {"username": person.phone, "password": WRONG})
    response = client.post("/api/v1/auth/token/", {"username": person.phone, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked"
    assert "token" not in response.json()


# Idle-session timeout


def test_idle_timeout_is_30_minutes_refreshed_on_every_request():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def _session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


@pytest.mark.django_db
def test_a_session_idle_longer_than_the_limit_is_logged_out(client, person):
    client.force_login(person)
    assert _logged_in(client)
    Session.objects.filter(pk=_session(client).pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_each_request_pushes_the_idle_limit_back(client, person):
    client.force_login(person)
    Session.objects.filter(pk=_session(client).pk).update(expire_date=timezone.now() + timedelta(minutes=1))
    before = timezone.now()
    assert _logged_in(client)
    expiry = _session(client).expire_date
    assert expiry >= before + timedelta(seconds=settings.SESSION_COOKIE_AGE) - timedelta(seconds=5)


@pytest.mark.django_db
def test_api_session_is_subject_to_the_idle_limit(client, person):
    client.force_login(person)
    assert client.get("/api/v1/people/me/").status_code == 200
    Session.objects.filter(pk=_session(client).pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/people/me/").status_code in (401, 403)

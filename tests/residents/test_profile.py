import pytest
from django.urls import reverse

from ..conftest import PASSWORD


@pytest.mark.django_db
def test_person_changes_their_password_and_logs_in_with_the_new_one(client, two_communities):
    owner = two_communities["a"]["owner"]
    client.force_login(owner)
    page = client.get(reverse("profile")).content.decode()
    assert owner.phone in page  # the person sees their own number in full

    bad = client.post(reverse("password_change"), {"old_password": "wrong", "new_password1": "x", "new_password2": "y"})
    assert bad.status_code == 200
    assert "旧密码" in bad.content.decode() or "old password" in bad.content.decode().lower()

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Qiu-ju-2026!", "new_password2": "Qiu-ju-2026!"},
    )
    assert response.status_code == 302
    client.logout()
    response = client.post(reverse("login"), {"username": owner.phone, "password": "Qiu-ju-2026!"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")

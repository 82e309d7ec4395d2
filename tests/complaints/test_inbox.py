"""The in-app inbox: newest first, unread badge in the header, mark one / all read, only one's own."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import services
from core.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db


def send(user, n=1, *, start=0, url="/cases/mine/"):
    return [
        Notification.objects.create(user=user, key=f"test:{start + i}", title=f"消息{start + i}", body="正文", url=url)
        for i in range(n)
    ]


def test_inbox_lists_my_messages_newest_first_with_the_unread_badge(client):
    me, other = factories.UserFactory(), factories.UserFactory()
    send(me, 3)
    send(other, 1, start=10)
    client.force_login(me)
    response = client.get(reverse("inbox:list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "消息" in body and "全部标为已读" in body
    assert [n.title for n in response.context["page"].object_list] == ["消息2", "消息1", "消息0"]
    assert "消息10" not in body
    assert 'id="unread-count">3<' in body


def test_opening_a_message_marks_it_read_and_goes_to_its_page(client):
    me = factories.UserFactory()
    first, second = send(me, 2)
    client.force_login(me)
    response = client.post(reverse("inbox:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/cases/mine/"
    first.refresh_from_db(), second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert 'id="unread-count">1<' in client.get(reverse("inbox:list")).content.decode()


def test_mark_all_read_and_the_badge_disappears(client):
    me, other = factories.UserFactory(), factories.UserFactory()
    send(me, 3)
    theirs = send(other, 1, start=10)[0]
    client.force_login(me)
    response = client.post(reverse("inbox:read-all"), follow=True)
    assert "所有消息都已标为已读" in response.content.decode()
    assert not Notification.objects.unread().filter(user=me).exists()
    assert 'id="unread-count"' not in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_someone_elses_message_is_404_and_stays_unread(client):
    me, other = factories.UserFactory(), factories.UserFactory()
    theirs = send(other, 1)[0]
    client.force_login(me)
    assert client.post(reverse("inbox:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get(reverse("inbox:open", args=[theirs.pk])).status_code == 405  # reading never changes on GET


def test_an_offsite_link_is_not_followed(client):
    me = factories.UserFactory()
    bad = send(me, 1, url="https://evil.example/")[0]
    client.force_login(me)
    response = client.post(reverse("inbox:open", args=[bad.pk]))
    assert response["Location"] == reverse("inbox:list")


def test_a_filed_case_reaches_the_community_staffs_inbox(client, case_world, django_capture_on_commit_callbacks):
    w = case_world
    with django_capture_on_commit_callbacks(execute=True):
        case = services.complaint_file(
            actor=w["resident"], compound=w["compound"], category="parking", urgency="general", title="车位被占",
            description="消防通道停满了车", place_kind="public_area", place_note="东门",
        )
    client.force_login(w["community_staff"])
    body = client.get(reverse("inbox:list")).content.decode()
    assert case.number in body
    assert Notification.objects.get(user=w["community_staff"]).url == f"/cases/{case.pk}/"
    assert 'id="unread-count">1<' in body


def test_inbox_costs_the_same_queries_at_1_and_50_messages(client, django_assert_num_queries):
    me = factories.UserFactory()
    send(me, 1)
    client.force_login(me)
    client.get(reverse("inbox:list"))  # the first request after login saves the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("inbox:list")).status_code == 200
    send(me, 49, start=1)
    with django_assert_num_queries(len(ctx.captured_queries)):
        assert len(client.get(reverse("inbox:list")).context["page"].object_list) == 20


def test_the_unread_badge_costs_no_query_on_pages_for_anonymous_users(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert client.get(reverse("login")).status_code == 200

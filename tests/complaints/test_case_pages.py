"""The resident-facing case pages: report a case, my cases, the case page, photos, the public board."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from PIL import Image

from complaints import services
from complaints.models import (
    Answer,
    Attachment,
    Category,
    Complaint,
    HandlerKind,
    Rating,
    Status,
    TimelineEvent,
)
from complaints.photos import process_photos
from tests import factories

from .conftest import jpeg_upload

pytestmark = pytest.mark.django_db


def zh(text, **params) -> str:
    """Return a message in Chinese, checking it is translated (the wording of model labels is the catalog's)."""
    with translation.override("zh-hans"):
        chinese = str(text) % params if params else str(text)
    with translation.override("en"):
        english = str(text) % params if params else str(text)
    assert chinese != english, f"not translated: {english}"
    return chinese


def file_case(w, *, actor=None, hide_name=True, title="楼道灯坏了", photos=(), **extra):
    fields = {
        "compound": w["compound"], "category": "facilities", "urgency": "general", "title": title,
        "description": "3栋2单元楼道灯坏了一周", "place_kind": "unit", "unit": w["units"][0],
        **extra,
    }
    return services.complaint_file(actor=actor or w["resident"], hide_name=hide_name, photos=photos, **fields)


def to_awaiting_confirmation(w, case):
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    dispatch = services.complaint_dispatch(
        complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT, department=w["department"]
    )
    services.dispatch_acknowledge(dispatch=dispatch, actor=w["department_staff"])
    services.dispatch_resolve(dispatch=dispatch, actor=w["department_staff"], result="已更换灯泡")
    services.complaint_verify(complaint=case, actor=w["community_staff"], passed=True)
    case.refresh_from_db()
    assert case.status == Status.AWAITING_CONFIRMATION
    return case


@pytest.fixture
def same_compound_neighbour(case_world):
    """A verified owner of the other unit of the same building: a neighbour in the reporter's compound."""
    return factories.OwnershipFactory(unit=case_world["units"][1]).user


def form_data(w, **overrides):
    return {
        "compound": w["compound"].pk, "category": "facilities", "place_kind": "unit", "unit": w["units"][0].pk,
        "urgency": "general", "title": "电梯坏了", "description": "2号电梯停了三天，老人上不去楼", "hide_name": "on",
        **overrides,
    }


# --- the file form -------------------------------------------------------------------------------


def test_file_form_is_in_chinese_with_the_residents_home_preselected(client, case_world):
    w = case_world
    client.force_login(w["resident"])
    response = client.get(reverse("complaints:new"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "我要报事" in body and "提交报事" in body
    assert zh(Category.FACILITIES.label) in body and "紧急是指现在就有危险" in body
    assert f'name="compound" value="{w["compound"].pk}"' in body
    form = response.context["form"]
    assert form["hide_name"].initial is True and form["place_kind"].initial == "unit"
    assert list(form.fields["unit"].queryset) == [w["units"][0]]  # only the resident's own unit
    assert 'accept="image/*"' in body and "multiple" in body and "capture" in body
    assert "source" not in form.fields  # a plain resident reports for themself only


def test_resident_files_a_case_with_photos_exif_stripped_and_thumbnails_made(client, case_world):
    w = case_world
    client.force_login(w["resident"])
    response = client.post(
        reverse("complaints:new"),
        {**form_data(w), "photos": [jpeg_upload("a.jpg"), jpeg_upload("b.jpg", size=(800, 600))]},
        follow=True,
    )
    case = Complaint.objects.get()
    assert response.redirect_chain[-1][0] == reverse("complaints:detail", args=[case.pk])
    body = response.content.decode()
    assert f"报事成功！编号是 {case.number}" in body
    assert (case.reporter, case.filed_by, case.unit, case.hide_name) == (w["resident"], w["resident"], w["units"][0], True)
    photos = list(case.attachments.all())
    assert len(photos) == 2
    for photo in photos:
        with Image.open(photo.image.path) as image:
            assert not image.getexif()
        with Image.open(photo.thumbnail.path) as thumb:
            assert max(thumb.size) <= 320
    assert f'src="/cases/{case.pk}/photos/{photos[0].pk}/thumb/"' in body
    streamed = client.get(reverse("complaints:photo", args=[case.pk, photos[1].pk]))
    assert streamed.status_code == 200 and streamed["Content-Type"] == "image/jpeg"
    data = b"".join(streamed.streaming_content)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (800, 600) and not image.getexif()


def test_a_bad_photo_gives_a_chinese_error_keeps_the_text_and_saves_nothing(client, case_world):
    w = case_world
    client.force_login(w["resident"])
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = client.post(reverse("complaints:new"), {**form_data(w), "photos": [jpeg_upload(), fake]})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["photos"] == [zh(gettext_lazy("%(name)s is not a photo (JPEG, PNG or WebP)."), name="evil.jpg")]
    body = response.content.decode()
    assert "电梯坏了" in body and "2号电梯停了三天，老人上不去楼" in body
    assert Complaint.objects.count() == 0 and Attachment.objects.count() == 0


def test_required_fields_are_named_in_chinese(client, case_world):
    w = case_world
    client.force_login(w["resident"])
    response = client.post(reverse("complaints:new"), {**form_data(w), "place_kind": "building", "building": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["building"] == ["请选择楼栋。"]
    assert Complaint.objects.count() == 0


def test_grid_worker_files_on_behalf_of_a_resident(client, case_world):
    w = case_world
    client.force_login(w["grid_worker"])
    page = client.get(reverse("complaints:new"), {"compound": w["compound"].pk})
    assert "替居民代办" in page.content.decode() and "巡查发现" in page.content.decode()
    response = client.post(
        reverse("complaints:new"),
        {**form_data(w, place_kind="building", building=w["building"].pk, unit=""), "source": "on_behalf",
         "on_behalf_phone": w["resident"].phone},
    )
    assert response.status_code == 302
    case = Complaint.objects.get()
    assert (case.reporter, case.filed_by, case.source) == (w["resident"], w["grid_worker"], "on_behalf")


def test_unknown_phone_for_on_behalf_is_a_field_error(client, case_world):
    w = case_world
    client.force_login(w["grid_worker"])
    response = client.post(
        reverse("complaints:new"),
        {**form_data(w, place_kind="building", building=w["building"].pk), "source": "on_behalf",
         "on_behalf_phone": "13999999999"},
    )
    assert response.status_code == 400
    assert "没有找到这个手机号的居民" in response.context["form"].errors["on_behalf_phone"][0]


def test_a_resident_cannot_file_in_another_compound(client, case_world, two_communities):
    w = case_world
    client.force_login(w["resident"])
    other = two_communities["b"]["compound"]
    assert client.get(reverse("complaints:new"), {"compound": other.pk}).status_code == 404
    assert client.post(reverse("complaints:new"), form_data(w, compound=other.pk)).status_code == 404
    assert Complaint.objects.count() == 0


# --- scope ---------------------------------------------------------------------------------------


def test_out_of_scope_case_and_its_photos_are_404(client, case_world, two_communities):
    w = case_world
    case = file_case(w, photos=process_photos([jpeg_upload()]))
    photo = case.attachments.get()
    urls = [
        reverse("complaints:detail", args=[case.pk]),
        reverse("complaints:photo", args=[case.pk, photo.pk]),
        reverse("complaints:photo-thumb", args=[case.pk, photo.pk]),
    ]
    for outsider in (w["neighbour"], w["outsider_staff"], w["other_department_staff"]):
        client.force_login(outsider)
        assert [client.get(url).status_code for url in urls] == [404, 404, 404]
        assert client.post(reverse("complaints:me-too", args=[case.pk])).status_code == 404
        assert client.post(reverse("complaints:comment", args=[case.pk]), {"text": "x"}).status_code == 404
    client.force_login(w["neighbour"])
    assert client.get(reverse("complaints:board", args=[w["compound"].pk])).status_code == 404
    # A photo of another case through this case's address does not exist either.
    other = file_case(w, photos=process_photos([jpeg_upload()]))
    client.force_login(w["resident"])
    assert client.get(reverse("complaints:photo", args=[case.pk, other.attachments.get().pk])).status_code == 404
    client.force_login(w["community_staff"])
    assert client.get(urls[0]).status_code == 200 and client.get(urls[1]).status_code == 200


def test_department_sees_the_case_once_it_is_whistled_to_it(client, case_world):
    w = case_world
    case = file_case(w)
    client.force_login(w["department_staff"])
    assert client.get(reverse("complaints:detail", args=[case.pk])).status_code == 404
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT,
                                department=w["department"])
    page = client.get(reverse("complaints:detail", args=[case.pk]))
    assert page.status_code == 200 and page.context["is_staff_view"]
    assert w["resident"].real_name in page.content.decode()


def test_internal_notes_and_their_photos_are_for_staff_only(client, case_world):
    w = case_world
    case = file_case(w)
    event = services.complaint_comment(complaint=case, actor=w["community_staff"], text="内部：此户曾多次投诉", internal=True,
                                       photos=process_photos([jpeg_upload()]))
    photo = event.attachments.get()
    client.force_login(w["resident"])
    page = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert "此户曾多次投诉" not in page
    assert client.get(reverse("complaints:photo", args=[case.pk, photo.pk])).status_code == 404
    client.force_login(w["community_staff"])
    page = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert "此户曾多次投诉" in page and "仅工作人员可见" in page
    assert client.get(reverse("complaints:photo", args=[case.pk, photo.pk])).status_code == 200


# --- names on the board and the case page ---------------------------------------------------------


def test_board_shows_open_cases_without_personal_data_and_me_too_joins(client, case_world, same_compound_neighbour):
    w = case_world
    hidden = file_case(w, hide_name=True, title="楼道灯坏了")
    file_case(w, hide_name=False, title="垃圾没人收", category="sanitation", place_kind="building",
              building=w["other_building"], unit=None)
    closed = file_case(w, title="早就办完的事")
    services.complaint_reject(complaint=closed, actor=w["community_staff"], reason="重复")
    client.force_login(same_compound_neighbour)
    board = client.get(reverse("complaints:board", args=[w["compound"].pk]))
    body = board.content.decode()
    assert board.status_code == 200
    assert "楼道灯坏了" in body and "垃圾没人收" in body and "早就办完的事" not in body
    assert zh(Category.FACILITIES.label) in body and w["building"].name in body and "我也遇到" in body
    assert w["resident"].real_name not in body and w["resident"].phone not in body
    assert w["units"][0].label not in body

    response = client.post(reverse("complaints:me-too", args=[hidden.pk]),
                           {"next": reverse("complaints:board", args=[w["compound"].pk])}, follow=True)
    assert "已记下您也遇到了" in response.content.decode()
    assert hidden.followers.filter(user=same_compound_neighbour).exists()
    assert TimelineEvent.objects.filter(complaint=hidden, kind="me_too", actor=same_compound_neighbour).exists()
    # Now following, the neighbour sees the case page, still without the hidden name or the unit.
    page = client.get(reverse("complaints:detail", args=[hidden.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert w["resident"].real_name not in body and "已隐藏姓名" in body and "报事人" in body
    assert w["units"][0].label not in body
    assert page.context["timeline"][-1].actor_name == "我"
    # The reporter sees their own name; staff see it.
    client.force_login(w["resident"])
    page = client.get(reverse("complaints:detail", args=[hidden.pk]))
    assert w["resident"].real_name in page.content.decode()
    assert page.context["timeline"][-1].actor_name == "一位邻居"
    client.force_login(w["community_staff"])
    page = client.get(reverse("complaints:detail", args=[hidden.pk]))
    assert page.context["reporter_name"] == w["resident"].real_name
    assert page.context["timeline"][-1].actor_name == same_compound_neighbour.real_name


def test_a_name_not_hidden_is_shown_to_neighbours(client, case_world, same_compound_neighbour):
    w = case_world
    case = file_case(w, hide_name=False)
    services.complaint_me_too(complaint=case, actor=same_compound_neighbour)
    client.force_login(same_compound_neighbour)
    page = client.get(reverse("complaints:detail", args=[case.pk]))
    assert page.context["reporter_name"] == w["resident"].real_name
    assert w["units"][0].label not in page.content.decode()


# --- resident actions ----------------------------------------------------------------------------


def test_resident_confirms_and_rates_and_the_case_closes(client, case_world):
    w = case_world
    case = to_awaiting_confirmation(w, file_case(w))
    client.force_login(w["resident"])
    page = client.get(reverse("complaints:detail", args=[case.pk]))
    body = page.content.decode()
    assert page.context["can_confirm"]
    assert "问题解决了吗？" in body and zh(Rating.BASICALLY.label) in body and zh(Answer.NOT_SOLVED.label) in body
    response = client.post(
        reverse("complaints:confirm", args=[case.pk]),
        {"version": case.version, "answer": Answer.SOLVED, "rating": Rating.SATISFIED, "comment": "谢谢"},
        follow=True,
    )
    case.refresh_from_db()
    assert (case.status, case.answer, case.rating) == (Status.CLOSED, "solved", "satisfied")
    body = response.content.decode()
    assert "谢谢您的回复" in body and "居民已确认并评价" in body and zh(Status.CLOSED.label) in body


def test_not_solved_needs_a_comment_and_then_reopens(client, case_world):
    w = case_world
    case = to_awaiting_confirmation(w, file_case(w))
    client.force_login(w["resident"])
    url = reverse("complaints:confirm", args=[case.pk])
    response = client.post(url, {"version": case.version, "answer": Answer.NOT_SOLVED, "rating": Rating.DISSATISFIED})
    assert response.status_code == 400
    assert response.context["confirm_form"].errors["comment"] == ["请写一下还有什么问题，好再去处理。"]
    case.refresh_from_db()
    assert case.status == Status.AWAITING_CONFIRMATION
    client.post(url, {"version": case.version, "answer": Answer.NOT_SOLVED, "rating": Rating.DISSATISFIED,
                      "comment": "灯还是不亮"})
    case.refresh_from_db()
    assert (case.status, case.redo_count) == (Status.ACCEPTED, 1)


def test_a_stale_page_gets_the_conflict_message_and_nothing_changes(client, case_world):
    w = case_world
    case = to_awaiting_confirmation(w, file_case(w))
    stale = case.version
    services.complaint_comment(complaint=case, actor=w["community_staff"], text="请确认")  # no version change
    services.complaint_close_unconfirmed(complaint=case, now=timezone.now() + timedelta(days=8))
    client.force_login(w["resident"])
    response = client.post(
        reverse("complaints:confirm", args=[case.pk]),
        {"version": stale, "answer": Answer.SOLVED, "rating": Rating.SATISFIED}, follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("complaints:detail", args=[case.pk])
    conflict = gettext_lazy("Someone else has just acted on case %(number)s. Reload the page to see what changed.")
    assert zh(conflict, number=case.number) in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.CLOSED_UNCONFIRMED and case.rating == ""


def test_reporter_answers_an_info_request_with_a_photo(client, case_world):
    w = case_world
    case = file_case(w)
    services.complaint_request_info(complaint=case, actor=w["community_staff"], question="是几楼的灯？")
    case.refresh_from_db()
    client.force_login(w["resident"])
    page = client.get(reverse("complaints:detail", args=[case.pk])).content.decode()
    assert "社区想问您" in page and "是几楼的灯？" in page and "暂停计时" in page
    client.post(reverse("complaints:provide-info", args=[case.pk]),
                {"version": case.version, "answer": "5楼", "photos": [jpeg_upload()]})
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.paused_at is None
    assert case.attachments.filter(event__kind="info_provided").count() == 1


def test_follower_comments_with_a_photo(client, case_world):
    w = case_world
    case = file_case(w)
    client.force_login(w["resident"])
    response = client.post(reverse("complaints:comment", args=[case.pk]),
                           {"text": "今晚又黑了", "photos": [jpeg_upload()]}, follow=True)
    assert "留言已添加" in response.content.decode() and "今晚又黑了" in response.content.decode()
    assert not TimelineEvent.objects.get(kind="comment").internal
    empty = client.post(reverse("complaints:comment", args=[case.pk]), {"text": ""})
    assert empty.status_code == 400 and zh(gettext_lazy("Write a comment or add a photo.")) in empty.content.decode()


# --- my cases ------------------------------------------------------------------------------------


def test_my_cases_lists_reported_and_followed_cases_with_filters_and_overdue(client, case_world, same_compound_neighbour):
    w = case_world
    mine = file_case(w, title="我报的事")
    followed = file_case(w, actor=same_compound_neighbour, title="邻居报的事", place_kind="building",
                         building=w["building"], unit=None)
    services.complaint_me_too(complaint=followed, actor=w["resident"])
    file_case(w, actor=same_compound_neighbour, title="与我无关的事", place_kind="building", building=w["building"], unit=None)
    Complaint.objects.filter(pk=mine.pk).update(accept_due_at=timezone.now() - timedelta(hours=1))
    client.force_login(w["resident"])
    page = client.get(reverse("complaints:mine"))
    body = page.content.decode()
    assert "我的报事" in body and zh(Status.SUBMITTED.label) in body
    assert [c.pk for c in page.context["page"].object_list] == [followed.pk, mine.pk]
    assert [c.is_overdue for c in page.context["page"].object_list] == [False, True]
    assert "已超时" in body and "与我无关的事" not in body
    services.complaint_accept(complaint=mine, actor=w["community_staff"])
    filtered = client.get(reverse("complaints:mine"), {"status": "accepted"})
    assert [c.pk for c in filtered.context["page"].object_list] == [mine.pk]
    by_category = client.get(reverse("complaints:mine"), {"category": "parking"})
    assert list(by_category.context["page"].object_list) == []


# --- query counts --------------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _bulk_cases(w, n, **extra):
    for i in range(n):
        file_case(w, title=f"问题{i}", photos=(), **extra)


@pytest.mark.parametrize("page", ["mine", "board"])
def test_lists_cost_the_same_queries_at_1_and_50_cases(client, case_world, page, django_assert_num_queries):
    w = case_world
    client.force_login(w["resident"])
    url = reverse("complaints:mine") if page == "mine" else reverse("complaints:board", args=[w["compound"].pk])
    _bulk_cases(w, 1)
    one = _count(client, url)
    assert one <= 12
    _bulk_cases(w, 49)
    Complaint.objects.filter(title="问题3").update(accept_due_at=timezone.now() - timedelta(hours=2))
    with django_assert_num_queries(one):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("viewer", ["resident", "community_staff"])
def test_case_page_costs_the_same_queries_at_1_and_50_timeline_events(client, case_world, viewer, django_assert_num_queries):
    w = case_world
    case = file_case(w, photos=process_photos([jpeg_upload()]))
    client.force_login(w[viewer])
    url = reverse("complaints:detail", args=[case.pk])
    services.complaint_accept(complaint=case, actor=w["community_staff"])
    services.complaint_dispatch(complaint=case, actor=w["community_staff"], handler_kind=HandlerKind.DEPARTMENT,
                                department=w["department"])
    # Counted in the same state as below (which actions a page offers depends on the state, not on the events).
    few = _count(client, url)
    for i in range(46):
        services.complaint_comment(complaint=case, actor=w["resident"] if i % 2 else w["community_staff"], text=f"第{i}条",
                                   photos=process_photos([jpeg_upload()]) if i % 10 == 0 else ())
    assert TimelineEvent.objects.filter(complaint=case).count() == 49
    services.complaint_comment(complaint=case, actor=w["community_staff"], text="最后一条")
    with django_assert_num_queries(few):
        page = client.get(url)
    assert len(page.context["timeline"]) == 50

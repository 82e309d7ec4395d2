"""The suggestion box (意见箱): services, who sees and answers what, anonymity, publishing, pages and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from committees.models import CommitteeMember, OwnersCommittee
from complaints import suggestions as box
from complaints.models import Recipient, Suggestion, SuggestionStatus
from core.errors import ApplicationError
from core.models import AuditEvent, Notification
from governance.models import PropertyCompany, Role, ServiceContract
from tests import factories

from .builders import with_neighbour

pytestmark = pytest.mark.django_db

AUTHOR_NAME = "司马光明"
AUTHOR_PHONE = "13987654321"
ANSWERERS = {
    Recipient.PARTY_BRANCH: "secretary",
    Recipient.COMMITTEE: "committee_member",
    Recipient.PROPERTY_COMPANY: "property_staff",
}


@pytest.fixture
def w(case_world, make_staff):
    """Side "a" with an owners' committee (one member living there), a same-compound neighbour, outsiders."""
    world = with_neighbour(case_world)
    author = world["resident"]
    author.real_name, author.phone = AUTHOR_NAME, AUTHOR_PHONE
    author.save(update_fields=["real_name", "phone"])
    today = timezone.localdate()
    committee = OwnersCommittee.objects.create(
        compound=world["compound"], name="幸福小区业委会", term_start=today - timedelta(days=100),
        term_end=today + timedelta(days=1000),
    )
    member = factories.OwnershipFactory(unit=factories.UnitFactory(building=world["building"])).user
    CommitteeMember.objects.create(committee=committee, user=member, position="chair")
    other_company = factories.PropertyCompanyFactory()
    return {
        **world,
        "author": author,
        "committee": committee,
        "committee_member": member,
        "other_property_staff": make_staff(Role.PROPERTY_STAFF, other_company),
    }


def submit(w, *, recipient=Recipient.PROPERTY_COMPANY, anonymous=False, title="楼下垃圾桶太少", author=None):
    return box.suggestion_submit(
        actor=author or w["author"], compound=w["compound"], recipient=recipient, title=title,
        text="建议每栋楼下多放两个分类垃圾桶。", anonymous=anonymous,
    )


def answered(w, *, publish=False, **kwargs) -> Suggestion:
    suggestion = submit(w, **kwargs)
    return box.suggestion_answer(
        suggestion=suggestion, answer="下周增加垃圾桶。", actor=w[ANSWERERS[suggestion.recipient]], publish=publish
    )


def zh_anonymous() -> str:
    with translation.override("zh-hans"):
        return str(box.ANONYMOUS_AUTHOR)


# --- services ------------------------------------------------------------------------------------


def test_submit_stores_the_suggestion_audits_and_tells_the_recipients(w, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        suggestion = submit(w, recipient=Recipient.COMMITTEE, anonymous=True)
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.anonymous, suggestion.author_id) == (SuggestionStatus.OPEN, True, w["author"].pk)
    event = AuditEvent.objects.get(action="suggestion.submitted", target_id=str(suggestion.pk))
    assert event.actor_id == w["author"].pk and event.data["recipient"] == "committee"
    told = set(Notification.objects.filter(key=f"suggestion:{suggestion.pk}:new").values_list("user_id", flat=True))
    assert told == {w["committee_member"].pk}
    # No notification names the anonymous author.
    assert not Notification.objects.filter(title__contains=AUTHOR_NAME).exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": "  "}, "title"),
        ({"title": "长" * 61}, "title"),
        ({"text": ""}, "text"),
        ({"text": "字" * 2001}, "text"),
        ({"recipient": "mayor"}, "recipient"),
    ],
)
def test_submit_refuses_bad_input_naming_the_field(w, change, field):
    fields = {"compound": w["compound"], "recipient": Recipient.PARTY_BRANCH, "title": "建议", "text": "内容", **change}
    with pytest.raises(ApplicationError) as error:
        box.suggestion_submit(actor=w["author"], **fields)
    assert error.value.field == field
    assert not Suggestion.objects.exists()


def test_only_residents_of_the_compound_may_write(w):
    for outsider in (w["outsider_resident"], w["community_staff"], w["property_staff"]):
        with pytest.raises(ApplicationError) as error:
            box.suggestion_submit(actor=outsider, compound=w["compound"], recipient=Recipient.PARTY_BRANCH, title="x",
                                  text="y")
        assert (error.value.field, error.value.code) == ("compound", "forbidden")
    # A verified tenant writes too.
    tenant = factories.UserFactory()
    from residents.models import Tenancy

    Tenancy.objects.create(unit=w["units"][1], user=tenant, start=timezone.localdate() - timedelta(days=10),
                           verified_at=timezone.now())
    assert submit(w, author=tenant).author_id == tenant.pk


def test_a_recipient_the_compound_does_not_have_is_refused(w):
    w["committee"].status = OwnersCommittee.Status.ENDED
    w["committee"].save(update_fields=["status"])
    assert box.available_recipients(w["compound"]) == [Recipient.PARTY_BRANCH, Recipient.PROPERTY_COMPANY]
    with pytest.raises(ApplicationError) as error:
        submit(w, recipient=Recipient.COMMITTEE)
    assert error.value.field == "recipient"


def test_answer_once_notifies_the_author_and_audits(w, django_capture_on_commit_callbacks):
    suggestion = submit(w, recipient=Recipient.PARTY_BRANCH)
    with django_capture_on_commit_callbacks(execute=True):
        box.suggestion_answer(suggestion=suggestion, answer="  已转社区研究。 ", actor=w["secretary"])
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.answer, suggestion.answered_by_id) == ("answered", "已转社区研究。", w["secretary"].pk)
    assert suggestion.published is False
    assert Notification.objects.filter(user=w["author"], key=f"suggestion:{suggestion.pk}:answered").count() == 1
    assert AuditEvent.objects.filter(action="suggestion.answered", target_id=str(suggestion.pk), actor=w["secretary"]).exists()
    with pytest.raises(ApplicationError) as error:
        box.suggestion_answer(suggestion=suggestion, answer="再答一次", actor=w["community_staff"])
    assert error.value.code == "conflict"
    suggestion.refresh_from_db()
    assert suggestion.answer == "已转社区研究。"


def test_an_empty_answer_is_refused(w):
    suggestion = submit(w)
    with pytest.raises(ApplicationError) as error:
        box.suggestion_answer(suggestion=suggestion, answer="   ", actor=w["property_staff"])
    assert error.value.field == "answer"
    suggestion.refresh_from_db()
    assert suggestion.status == SuggestionStatus.OPEN


def test_publishing_requires_an_answer_and_unpublishing_takes_it_off(w):
    suggestion = submit(w)
    with pytest.raises(ApplicationError) as error:
        box.suggestion_publish(suggestion=suggestion, actor=w["property_staff"])
    assert error.value.field == "answer"
    suggestion.refresh_from_db()
    assert not suggestion.published
    box.suggestion_answer(suggestion=suggestion, answer="好的", actor=w["property_staff"])
    box.suggestion_publish(suggestion=suggestion, actor=w["property_staff"])
    suggestion.refresh_from_db()
    assert suggestion.published and suggestion.published_at is not None
    box.suggestion_unpublish(suggestion=suggestion, actor=w["community_staff"])
    suggestion.refresh_from_db()
    assert not suggestion.published and suggestion.published_at is None
    actions = list(AuditEvent.objects.filter(target_id=str(suggestion.pk), target_type="complaints.suggestion")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["suggestion.submitted", "suggestion.answered", "suggestion.published", "suggestion.unpublished"]


def test_the_database_refuses_a_published_unanswered_suggestion(w):
    from django.db import IntegrityError, transaction

    suggestion = submit(w)
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.filter(pk=suggestion.pk).update(published=True, published_at=timezone.now())


def test_answer_in_the_same_step_can_publish(w):
    suggestion = answered(w, publish=True)
    assert suggestion.published and suggestion.published_at == suggestion.answered_at


# --- the permission matrix ------------------------------------------------------------------------

WHO = [
    "author", "neighbour", "outsider_resident", "secretary", "committee_member", "property_staff",
    "other_property_staff", "community_staff", "street_staff", "outsider_staff", "grid_worker",
]


@pytest.mark.parametrize("recipient", list(ANSWERERS))
@pytest.mark.parametrize("who", WHO)
def test_who_sees_and_answers_an_unpublished_suggestion(client, w, recipient, who):
    suggestion = submit(w, recipient=recipient)
    user = w[who]
    may_answer = who in ("community_staff", "street_staff") or who == ANSWERERS[recipient]
    may_see = may_answer or who == "author"
    client.force_login(user)
    page = client.get(reverse("suggestions:detail", args=[suggestion.pk]))
    assert page.status_code == (200 if may_see else 404)
    api = client.get(f"/api/v1/suggestions/{suggestion.pk}/")
    assert api.status_code == (200 if may_see else 404)
    if may_see:
        assert api.json()["can_answer"] is may_answer
    assert box.can_answer(user, suggestion) is may_answer
    response = client.post(reverse("suggestions:answer", args=[suggestion.pk]), {"answer": "收到"})
    suggestion.refresh_from_db()
    if may_answer:
        assert response.status_code == 302 and suggestion.status == SuggestionStatus.ANSWERED
    else:
        assert response.status_code in (302, 404) and suggestion.status == SuggestionStatus.OPEN
        if may_see:  # the author: a message, no answer
            assert response.status_code == 302


@pytest.mark.parametrize("who", WHO)
def test_who_sees_a_published_suggestion(client, w, who):
    suggestion = answered(w, publish=True, recipient=Recipient.COMMITTEE)
    client.force_login(w[who])
    # The public side is everyone who sees the compound; never a resident or staff of another place.
    outside = who in ("outsider_resident", "outsider_staff", "other_property_staff")
    assert client.get(reverse("suggestions:detail", args=[suggestion.pk])).status_code == (404 if outside else 200)
    assert client.get(f"/api/v1/suggestions/{suggestion.pk}/").status_code == (404 if outside else 200)


def test_a_committee_member_whose_seat_ended_no_longer_answers(w):
    suggestion = submit(w, recipient=Recipient.COMMITTEE)
    CommitteeMember.objects.filter(user=w["committee_member"]).update(end=timezone.localdate())
    assert not box.can_answer(w["committee_member"], suggestion)
    with pytest.raises(ApplicationError) as error:
        box.suggestion_answer(suggestion=suggestion, answer="x", actor=w["committee_member"])
    assert error.value.code == "forbidden"


def test_property_staff_answer_only_while_their_company_serves_the_compound(w):
    suggestion = submit(w)
    assert box.can_answer(w["property_staff"], suggestion)
    ServiceContract.objects.filter(company=w["company"]).update(end=timezone.localdate() - timedelta(days=1))
    assert not box.can_answer(w["property_staff"], suggestion)
    assert PropertyCompany.objects.filter(pk=w["company"].pk).exists()


# --- anonymity -----------------------------------------------------------------------------------


def _secrets(w) -> list[str]:
    return [AUTHOR_NAME, AUTHOR_PHONE, AUTHOR_NAME[0] + "***", AUTHOR_PHONE[-4:], str(w["units"][0])]


@pytest.mark.parametrize("recipient", list(ANSWERERS))
def test_the_recipient_never_sees_who_wrote_an_anonymous_suggestion(client, w, recipient):
    suggestion = submit(w, recipient=recipient, anonymous=True)
    client.force_login(w[ANSWERERS[recipient]])
    pages = [
        client.get(reverse("suggestions:detail", args=[suggestion.pk])),
        client.get(reverse("suggestions:inbox")),
        client.get("/api/v1/suggestions/"),
        client.get(f"/api/v1/suggestions/{suggestion.pk}/"),
        client.get("/api/v1/suggestions/", {"to_answer": "true"}),
    ]
    for response in pages:
        assert response.status_code == 200
        body = response.content.decode()
        assert suggestion.title in body
        for secret in _secrets(w):
            assert secret not in body, (response.request["PATH_INFO"], secret)
    assert zh_anonymous() in pages[0].content.decode()
    assert zh_anonymous() in pages[1].content.decode()
    detail = pages[3].json()
    assert (detail["author_name"], detail["author_phone"], detail["author_homes"]) == (str(box.ANONYMOUS_AUTHOR), "", [])
    # Answering and publishing do not reveal the author either.
    client.post(reverse("suggestions:answer", args=[suggestion.pk]), {"answer": "会考虑", "publish": "on"})
    body = client.get(reverse("suggestions:detail", args=[suggestion.pk])).content.decode()
    assert "会考虑" in body and AUTHOR_NAME not in body and AUTHOR_PHONE not in body


def test_a_named_suggestion_shows_the_recipient_the_name_and_a_masked_phone(client, w):
    suggestion = submit(w)
    client.force_login(w["property_staff"])
    body = client.get(reverse("suggestions:detail", args=[suggestion.pk])).content.decode()
    assert AUTHOR_NAME in body and "139****4321" in body and AUTHOR_PHONE not in body
    assert str(w["units"][0]) in body


def test_the_author_and_managing_staff_see_the_author_of_an_anonymous_suggestion(client, w):
    suggestion = submit(w, anonymous=True)
    for who in ("author", "community_staff"):
        client.force_login(w[who])
        body = client.get(reverse("suggestions:detail", args=[suggestion.pk])).content.decode()
        assert AUTHOR_NAME in body and AUTHOR_PHONE in body, who
        data = client.get(f"/api/v1/suggestions/{suggestion.pk}/").json()
        assert (data["author_name"], data["author_phone"]) == (AUTHOR_NAME, AUTHOR_PHONE)
        assert data["author_homes"] == [str(w["units"][0])]


# --- the board -----------------------------------------------------------------------------------


def test_the_board_shows_published_answered_suggestions_only_with_names_masked_or_hidden(client, w):
    submit(w, title="还没回复的建议")
    answered(w, title="回复了没公开的建议")
    answered(w, title="公开的具名建议", publish=True)
    answered(w, title="公开的匿名建议", publish=True, anonymous=True, recipient=Recipient.PARTY_BRANCH)
    client.force_login(w["neighbour"])
    for url in (reverse("complaints:board", args=[w["compound"].pk]),
                reverse("suggestions:published", args=[w["compound"].pk])):
        body = client.get(url).content.decode()
        assert "公开的具名建议" in body and "公开的匿名建议" in body and "下周增加垃圾桶。" in body
        assert "还没回复的建议" not in body and "回复了没公开的建议" not in body
        assert AUTHOR_NAME not in body and AUTHOR_PHONE not in body
        assert AUTHOR_NAME[0] + "***" in body  # 司*** for the named one
        assert zh_anonymous() in body
    # Residents of another compound do not see this board.
    client.force_login(w["outsider_resident"])
    assert client.get(reverse("suggestions:published", args=[w["compound"].pk])).status_code == 404


def test_unpublished_suggestions_leave_the_board(client, w):
    suggestion = answered(w, title="公开后撤下", publish=True)
    box.suggestion_unpublish(suggestion=suggestion, actor=w["property_staff"])
    client.force_login(w["neighbour"])
    assert "公开后撤下" not in client.get(reverse("complaints:board", args=[w["compound"].pk])).content.decode()


# --- pages ---------------------------------------------------------------------------------------


def test_a_resident_writes_a_suggestion_on_the_page(client, w):
    client.force_login(w["author"])
    index = client.get(reverse("suggestions:index"))
    assert index.status_code == 200 and reverse("suggestions:new") in index.content.decode()
    form = client.get(reverse("suggestions:new"))
    assert form.status_code == 200
    assert set(form.context["recipients"]) == set(Recipient.values)
    response = client.post(reverse("suggestions:new"), {
        "compound": w["compound"].pk, "recipient": "committee", "title": "增加健身器材", "text": "小区空地可以放健身器材。",
        "anonymous": "on",
    })
    suggestion = Suggestion.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("suggestions:detail", args=[suggestion.pk])
    assert suggestion.anonymous and suggestion.recipient == "committee"
    assert "增加健身器材" in client.get(reverse("suggestions:index")).content.decode()


def test_the_write_page_shows_chinese_form_errors(client, w):
    client.force_login(w["author"])
    response = client.post(reverse("suggestions:new"), {"compound": w["compound"].pk, "recipient": "", "title": "", "text": ""})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"recipient", "title", "text"}
    assert response.content.decode().count("该字段是必填项。") == 3


def test_the_write_page_is_404_for_a_compound_where_one_does_not_live(client, w):
    client.force_login(w["outsider_resident"])
    assert client.get(reverse("suggestions:new"), {"compound": w["compound"].pk}).status_code == 404
    assert client.post(reverse("suggestions:new"), {"compound": w["compound"].pk, "recipient": "committee", "title": "x",
                                                   "text": "y"}).status_code == 404
    assert not Suggestion.objects.exists()


def test_the_inbox_lists_unanswered_first_and_the_answer_form_works(client, w):
    first = answered(w, title="已回复的")
    second = submit(w, title="等回复的甲")
    third = submit(w, title="等回复的乙")
    client.force_login(w["property_staff"])
    page = client.get(reverse("suggestions:inbox"))
    assert [s.pk for s in page.context["page"].object_list] == [second.pk, third.pk, first.pk]
    only_open = client.get(reverse("suggestions:inbox"), {"status": "open"})
    assert [s.pk for s in only_open.context["page"].object_list] == [second.pk, third.pk]
    empty = client.post(reverse("suggestions:answer", args=[second.pk]), {"answer": ""})
    assert empty.status_code == 400 and "answer" in empty.context["answer_form"].errors
    done = client.post(reverse("suggestions:answer", args=[second.pk]), {"answer": "已安排"}, follow=True)
    assert done.status_code == 200 and "已安排" in done.content.decode()
    assert client.get(reverse("suggestions:index")).context["waiting"] == 1


def test_publishing_on_the_page(client, w):
    suggestion = submit(w)
    client.force_login(w["property_staff"])
    client.post(reverse("suggestions:publish", args=[suggestion.pk]))
    suggestion.refresh_from_db()
    assert not suggestion.published  # not answered yet: refused with a message
    box.suggestion_answer(suggestion=suggestion, answer="好", actor=w["property_staff"])
    assert client.post(reverse("suggestions:publish", args=[suggestion.pk])).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.published
    # The author may not publish or unpublish.
    client.force_login(w["author"])
    client.post(reverse("suggestions:unpublish", args=[suggestion.pk]))
    suggestion.refresh_from_db()
    assert suggestion.published


def test_the_nav_and_the_board_link_to_the_suggestion_box(client, w):
    client.force_login(w["neighbour"])
    body = client.get(reverse("complaints:board", args=[w["compound"].pk])).content.decode()
    assert 'id="nav-suggestions"' in body and reverse("suggestions:published", args=[w["compound"].pk]) in body


# --- query counts --------------------------------------------------------------------------------


def _count(client, url, data=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _bulk(w, n, **kwargs):
    for i in range(n):
        suggestion = submit(w, title=f"建议{i}", anonymous=bool(i % 2), **kwargs)
        if i % 3 == 0:
            box.suggestion_answer(suggestion=suggestion, answer="答复", actor=w["property_staff"], publish=bool(i % 2))


@pytest.mark.parametrize(
    "who, url, data",
    [
        ("author", "suggestions:index", None),
        ("property_staff", "suggestions:inbox", None),
        ("community_staff", "suggestions:inbox", None),
        ("neighbour", "suggestions:published", None),
        ("neighbour", "complaints:board", None),
        ("property_staff", "api", None),
        ("community_staff", "api", {"to_answer": "true"}),
        ("author", "api", {"mine": "true"}),
    ],
)
def test_lists_cost_the_same_queries_at_1_and_30_suggestions(client, w, who, url, data, django_assert_num_queries):
    client.force_login(w[who])
    if url == "api":
        path = "/api/v1/suggestions/"
    elif url in ("suggestions:published", "complaints:board"):
        path = reverse(url, args=[w["compound"].pk])
    else:
        path = reverse(url)
    _bulk(w, 1)
    box.suggestion_publish(suggestion=Suggestion.objects.get(), actor=w["property_staff"])
    one = _count(client, path, data)
    _bulk(w, 29)
    with django_assert_num_queries(one):
        response = client.get(path, data or {})
    if url == "api":
        assert response.json()["count"] >= 2


# --- API -----------------------------------------------------------------------------------------


def test_api_journey_write_answer_publish(client, w, django_capture_on_commit_callbacks):
    client.force_login(w["author"])
    created = client.post("/api/v1/suggestions/", {
        "compound": w["compound"].pk, "recipient": "party_branch", "title": "设立老年活动室", "text": "希望有个活动室。",
        "anonymous": True,
    }, content_type="application/json")
    assert created.status_code == 201
    data = created.json()
    assert (data["status"], data["anonymous"], data["is_mine"], data["author_name"]) == ("open", True, True, AUTHOR_NAME)
    pk = data["id"]
    client.force_login(w["secretary"])
    listed = client.get("/api/v1/suggestions/", {"to_answer": "true", "status": "open"}).json()
    assert [row["id"] for row in listed["results"]] == [pk]
    assert listed["results"][0]["author_name"] == str(box.ANONYMOUS_AUTHOR)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/v1/suggestions/{pk}/answer/", {"answer": "已向社区申请场地。"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "answered" and answer.json()["can_publish"] is True
    assert Notification.objects.filter(user=w["author"], key=f"suggestion:{pk}:answered").exists()
    published = client.post(f"/api/v1/suggestions/{pk}/publish/")
    assert published.status_code == 200 and published.json()["published"] is True
    client.force_login(w["neighbour"])
    seen = client.get("/api/v1/suggestions/", {"published": "true"}).json()
    assert [row["id"] for row in seen["results"]] == [pk]
    assert seen["results"][0]["author_name"] == str(box.ANONYMOUS_AUTHOR)
    assert seen["results"][0]["can_answer"] is False


def _error(response, status_code, code, field=None):
    assert response.status_code == status_code, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if field:
        assert list(error["fields"]) == [field]
        assert error["fields"][field][0]
    return error


def test_api_errors_have_the_one_shape_and_name_the_field(client, w):
    client.force_login(w["author"])
    base = {"compound": w["compound"].pk, "recipient": "committee", "title": "标题", "text": "内容"}
    _error(client.post("/api/v1/suggestions/", {**base, "title": ""}, content_type="application/json"), 400, "invalid", "title")
    _error(client.post("/api/v1/suggestions/", {**base, "recipient": "mayor"}, content_type="application/json"), 400,
           "invalid", "recipient")
    elsewhere = factories.CompoundFactory().pk
    _error(client.post("/api/v1/suggestions/", {**base, "compound": elsewhere}, content_type="application/json"), 400,
           "invalid", "compound")
    w["committee"].status = OwnersCommittee.Status.ENDED
    w["committee"].save(update_fields=["status"])
    _error(client.post("/api/v1/suggestions/", base, content_type="application/json"), 400, "invalid", "recipient")
    suggestion = submit(w)
    _error(client.post(f"/api/v1/suggestions/{suggestion.pk}/answer/", {"answer": "自己答"}, content_type="application/json"),
           403, "forbidden")
    client.force_login(w["property_staff"])
    _error(client.post(f"/api/v1/suggestions/{suggestion.pk}/publish/"), 400, "invalid", "answer")
    _error(client.post(f"/api/v1/suggestions/{suggestion.pk}/answer/", {"answer": ""}, content_type="application/json"),
           400, "invalid", "answer")
    assert client.post(f"/api/v1/suggestions/{suggestion.pk}/answer/", {"answer": "好"}, content_type="application/json").status_code == 200
    _error(client.post(f"/api/v1/suggestions/{suggestion.pk}/answer/", {"answer": "再答"}, content_type="application/json"),
           409, "conflict")
    client.force_login(w["outsider_resident"])
    _error(client.get(f"/api/v1/suggestions/{suggestion.pk}/"), 404, "not_found")
    _error(client.post("/api/v1/suggestions/", base, content_type="application/json"), 400, "invalid", "compound")


def test_the_schema_documents_the_suggestion_endpoints(client):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/suggestions/", "/api/v1/suggestions/{id}/", "/api/v1/suggestions/{id}/answer/",
                 "/api/v1/suggestions/{id}/publish/", "/api/v1/suggestions/{id}/unpublish/"):
        assert path in paths

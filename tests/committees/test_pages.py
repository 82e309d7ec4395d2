"""The meeting pages: list, convening, the notice, items, voting, participation, receipts, the result."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from committees import explain, selectors, services, tally
from committees.models import AgendaItem, Ballot, Candidate, ItemComment, Meeting
from committees.selectors import election_from_result, outcome_from_result
from tests import factories

from .conftest import end_now, published_assembly

pytestmark = pytest.mark.django_db

FORMAT = "%Y-%m-%dT%H:%M"
CHOICE_WORDS = ("同意", "反对", "弃权", "Agree", "Disagree", "Abstain")


def shown(msgid: str, **params) -> str:
    """Return a message as the pages show it: Chinese first, HTML-escaped."""
    with translation.override("zh-hans"):
        text = gettext(msgid)
        return escape(text % params if params else text)


def zh(msgid: str, **params) -> str:
    """Like shown(), and check the message is really translated (the catalog must hold it)."""
    text = shown(msgid, **params)
    with translation.override("en"):
        english = escape(gettext(msgid) % params if params else gettext(msgid))
    assert text != english, f"not translated: {english}"
    return text


def login(client, user):
    client.force_login(user)
    return client


def url(name: str, *args) -> str:
    return reverse(f"committees:{name}", args=args)


def local(dt) -> str:
    return timezone.localtime(dt).strftime(FORMAT)


def draft_assembly(w, *, title="业主大会（草稿）", opens_in=timedelta(days=20)) -> Meeting:
    now = timezone.now()
    meeting = services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind=Meeting.Kind.ASSEMBLY, title=title,
        convener=Meeting.Convener.COMMITTEE, starts_at=now + opens_in, vote_opens_at=now + opens_in,
        vote_closes_at=now + opens_in + timedelta(days=7),
    )
    services.item_add(meeting=meeting, actor=w["chair"], title="续聘物业公司", proposer="committee", matter=4)
    return meeting


def vote(w, meeting, owners, choice, item=None):
    item = item or meeting.items.first()
    for owner in owners:
        services.vote_online(item=item, actor=owner, choice=choice)


# --- the list --------------------------------------------------------------------------------------


def test_list_groups_meetings_and_shows_convene_button_to_conveners(client, meeting_world):
    w = meeting_world
    voting = published_assembly(w)
    upcoming = published_assembly(w, open_voting=False)
    draft = draft_assembly(w)
    response = login(client, w["chair"]).get(url("meetings"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="convene"' in html and 'id="nav-meetings"' in html
    voting_part = html.split('id="voting-now"')[1].split('id="upcoming"')[0]
    upcoming_part = html.split('id="upcoming"')[1].split('id="past"')[0]
    assert f'id="meeting-{voting.pk}"' in voting_part
    assert f'id="meeting-{upcoming.pk}"' in upcoming_part and f'id="meeting-{draft.pk}"' in upcoming_part

    resident = login(client, w["owners"][7]).get(url("meetings")).content.decode()
    assert 'id="convene"' not in resident
    assert f'id="meeting-{voting.pk}"' in resident and f'id="meeting-{draft.pk}"' not in resident

    outsider = login(client, w["outsider"]).get(url("meetings")).content.decode()
    assert f'id="meeting-{voting.pk}"' not in outsider


def test_list_costs_the_same_queries_for_1_and_20_meetings(client, meeting_world, django_assert_num_queries):
    w = meeting_world
    published_assembly(w)
    login(client, w["chair"])
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("meetings")).status_code == 200
    for i in range(19):
        draft_assembly(w, title=f"会议{i}")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url("meetings"))
    assert response.content.decode().count('class="list-group-item') == 20


def test_list_is_narrowed_by_a_search_and_a_kind_and_says_when_it_is_cut(client, meeting_world, monkeypatch):
    w = meeting_world
    railings = draft_assembly(w, title="楼道扶手")
    lifts = draft_assembly(w, title="电梯更新")
    login(client, w["chair"])
    html = client.get(url("meetings"), {"q": "扶手"}).content.decode()
    assert f'id="meeting-{railings.pk}"' in html and f'id="meeting-{lifts.pk}"' not in html
    by_compound = client.get(url("meetings"), {"q": w["compound"].name}).content.decode()
    assert f'id="meeting-{railings.pk}"' in by_compound and f'id="meeting-{lifts.pk}"' in by_compound
    assert f'id="meeting-{lifts.pk}"' not in client.get(url("meetings"), {"kind": "building"}).content.decode()
    assert 'id="list-truncated"' not in by_compound
    monkeypatch.setattr("committees.views.meetings.LIST_LIMIT", 1)
    cut = client.get(url("meetings")).content.decode()
    assert 'id="list-truncated"' in cut and cut.count('class="list-group-item') == 1


# --- who sees what ---------------------------------------------------------------------------------


def test_pages_render_for_residents_and_404_for_outsiders(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.first()
    pages = [url("meeting", meeting.pk), url("item", meeting.pk, item.pk), url("participation", meeting.pk),
             url("receipt", meeting.pk)]
    login(client, w["owners"][7])
    for page in pages:
        assert client.get(page).status_code == 200, page
    login(client, w["outsider"])
    for page in [*pages, url("result", meeting.pk), url("tellers", meeting.pk), url("cancel", meeting.pk)]:
        assert client.get(page).status_code == 404, page
    assert client.post(url("vote", meeting.pk, item.pk), {"choice": "yes"}).status_code == 404
    assert not Ballot.objects.exists()


def test_convener_pages_are_for_conveners(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    login(client, w["owners"][7])
    for page in (url("tellers", meeting.pk), url("cancel", meeting.pk), url("close", meeting.pk)):
        assert client.get(page).status_code == 403, page
    html = client.get(url("meeting", meeting.pk)).content.decode()
    assert 'id="convener-panel"' not in html
    login(client, w["chair"])
    html = client.get(url("meeting", meeting.pk)).content.decode()
    assert 'id="convener-panel"' in html and 'id="cancel"' in html
    assert 'id="publish"' not in html and 'id="close"' not in html  # published; the vote still runs
    assert reverse("committees:paper", args=[meeting.pk]) in html and reverse("committees:minutes", args=[meeting.pk]) in html
    assert client.get(url("tellers", meeting.pk)).status_code == 200
    assert client.get(url("cancel", meeting.pk)).status_code == 200


def test_a_draft_is_hidden_from_residents(client, meeting_world):
    w = meeting_world
    meeting = draft_assembly(w)
    item = meeting.items.first()
    login(client, w["owners"][7])
    for page in (url("meeting", meeting.pk), url("item", meeting.pk, item.pk), url("participation", meeting.pk)):
        assert client.get(page).status_code == 404, page
    login(client, w["chair"])
    html = client.get(url("meeting", meeting.pk)).content.decode()
    assert 'id="publish"' in html and 'id="add-item"' in html
    assert client.get(url("item", meeting.pk, item.pk)).status_code == 200


# --- convening -------------------------------------------------------------------------------------


def test_create_add_item_and_publish_refuses_a_too_early_assembly(client, meeting_world):
    w = meeting_world
    login(client, w["chair"])
    form = client.get(url("meeting_new")).content.decode()
    assert 'type="datetime-local"' in form and 'id="notice-rule"' in form
    now = timezone.now()
    opens = now + timedelta(days=10)
    response = client.post(url("meeting_new"), {
        "compound": w["compound"].pk, "kind": "assembly", "title": "选聘新物业", "convener": "committee",
        "place": "活动室", "starts_at": local(opens), "vote_opens_at": local(opens),
        "vote_closes_at": local(opens + timedelta(days=7)), "precedence": "first_wins", "description": "",
        "entrance": "",
    })
    meeting = Meeting.objects.get(title="选聘新物业")
    assert response.status_code == 302 and response.url == url("meeting", meeting.pk)
    assert meeting.status == Meeting.Status.DRAFT and meeting.kind == Meeting.Kind.ASSEMBLY

    item_form = client.get(url("item_new", meeting.pk)).content.decode()
    assert 'name="matter"' in item_form and 'name="rule"' not in item_form  # the matter decides the rule
    response = client.post(url("item_new", meeting.pk), {
        "title": "筹集维修资金", "description": "每平方米30元", "proposer": "committee", "kind": "question", "matter": "6",
    })
    assert response.status_code == 302
    item = meeting.items.get()
    assert item.matter == 6 and item.rule == "supermajority"

    assert client.get(url("publish", meeting.pk)).status_code == 200
    response = client.post(url("publish", meeting.pk), {"version": meeting.version + 0})
    meeting.refresh_from_db()
    assert response.status_code == 400 and meeting.status == Meeting.Status.DRAFT
    html = response.content.decode()
    error = html.split('id="publish-error">')[1].split("</div>")[0]
    date = timezone.localtime(now + timedelta(days=services.ASSEMBLY_NOTICE_DAYS)).strftime("%Y-%m-%d")
    expected_start = zh(
        "The notice of an owners' assembly must be published at least %(days)d days before voting opens. "
        "Move the opening of the vote to %(date)s or later.", days=15, date="@@"
    ).split("@@")[0]
    assert expected_start in error and date in error
    assert reverse("committees:meeting_edit", args=[meeting.pk]) in html  # a way out: change the time

    later = now + timedelta(days=17)
    response = client.post(url("meeting_edit", meeting.pk), {
        "title": "选聘新物业", "description": "", "place": "活动室", "starts_at": local(later),
        "vote_opens_at": local(later), "vote_closes_at": local(later + timedelta(days=7)),
        "precedence": "first_wins", "version": meeting.version,
    })
    assert response.status_code == 302
    meeting.refresh_from_db()
    response = client.post(url("publish", meeting.pk), {"version": meeting.version}, follow=True)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.NOTICED and meeting.electors.count() == 12
    assert 'id="meeting-status"' in response.content.decode()


def test_meeting_form_names_the_field_at_fault(client, meeting_world):
    w = meeting_world
    login(client, w["chair"])
    now = timezone.now()
    response = client.post(url("meeting_new"), {
        "compound": w["compound"].pk, "kind": "assembly", "title": "没有投票时间", "convener": "committee",
        "starts_at": local(now + timedelta(days=20)), "precedence": "first_wins",
    })
    assert response.status_code == 400
    assert shown("An owners' assembly needs a voting window.") in response.content.decode()
    assert not Meeting.objects.filter(title="没有投票时间").exists()
    response = client.post(url("meeting_new"), {
        "compound": w["compound"].pk, "kind": "building", "title": "楼宇会", "convener": "committee",
        "starts_at": local(now + timedelta(days=2)), "precedence": "first_wins",
    })
    assert response.status_code == 400 and not Meeting.objects.filter(title="楼宇会").exists()


def test_building_meeting_items_choose_their_rule(client, meeting_world):
    w = meeting_world
    login(client, w["chair"])
    now = timezone.now()
    response = client.post(url("meeting_new"), {
        "compound": w["compound"].pk, "kind": "building", "building": w["building"].pk, "entrance": "2单元",
        "title": "加装楼梯扶手", "convener": "party_branch", "starts_at": local(now + timedelta(days=2)),
        "vote_opens_at": local(now + timedelta(days=1)), "vote_closes_at": local(now + timedelta(days=3)),
        "precedence": "first_wins",
    })
    meeting = Meeting.objects.get(title="加装楼梯扶手")
    assert response.status_code == 302 and meeting.building == w["building"] and meeting.entrance == "2单元"
    form = client.get(url("item_new", meeting.pk)).content.decode()
    assert 'name="rule"' in form and 'name="matter"' not in form
    client.post(url("item_new", meeting.pk), {"title": "每户出资200元", "proposer": "resident", "rule": "consensus"})
    item = meeting.items.get()
    assert item.rule == "consensus" and item.matter is None
    detail = client.get(url("meeting", meeting.pk)).content.decode()
    assert escape(explain.rule_summary("consensus")) in detail


def test_tellers_by_phone_numbers(client, meeting_world):
    w = meeting_world
    meeting = draft_assembly(w)
    login(client, w["chair"])
    a, b = w["tellers"]
    response = client.post(url("tellers", meeting.pk), {"tellers": f"{a.phone}\n13000000009"})
    assert response.status_code == 400 and "13000000009" in response.content.decode()
    response = client.post(url("tellers", meeting.pk), {"tellers": a.phone})
    assert response.status_code == 400
    assert shown("Name at least two tellers: each paper ballot is entered twice.") in response.content.decode()
    response = client.post(url("tellers", meeting.pk), {"tellers": f"{a.phone}，{b.phone}"})
    assert response.status_code == 302
    assert set(meeting.tellers.all()) == {a, b}


def test_cancel_needs_a_reason(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    login(client, w["chair"])
    assert client.post(url("cancel", meeting.pk), {"reason": "", "version": meeting.version}).status_code == 400
    response = client.post(url("cancel", meeting.pk), {"reason": "疫情原因延期", "version": meeting.version})
    meeting.refresh_from_db()
    assert response.status_code == 302 and meeting.status == Meeting.Status.CANCELLED


# --- items: candidates, documents, discussion, the party's opinion ---------------------------------


def test_candidates_are_verified_owners_chosen_by_phone(client, meeting_world):
    w = meeting_world
    meeting = draft_assembly(w)
    login(client, w["chair"])
    response = client.post(url("item_new", meeting.pk), {
        "title": "选举业委会委员", "proposer": "committee", "kind": "election", "seats": "5",
    })
    item = meeting.items.get(kind=AgendaItem.Kind.ELECTION)
    assert response.status_code == 302 and item.matter == 3 and item.seats == 5
    page = url("candidate_new", meeting.pk, item.pk)
    response = client.post(page, {"phone": "13000000009"})
    assert response.status_code == 400
    assert shown("Nobody is registered with this mobile number. Check the number.") in response.content.decode()
    response = client.post(page, {"phone": w["tellers"][0].phone})  # registered, but owns nothing here
    assert response.status_code == 400
    assert shown("A candidate must be a verified owner in the compound.") in response.content.decode()
    response = client.post(page, {"phone": w["owners"][3].phone, "statement": "愿为大家服务"}, follow=True)
    assert Candidate.objects.filter(item=item, user=w["owners"][3]).exists()
    assert w["owners"][3].real_name in response.content.decode()


def test_documents_download_only_for_those_who_see_the_meeting(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.first()
    login(client, w["chair"])
    response = client.post(url("document_new", meeting.pk, item.pk), {
        "name": "物业服务合同", "file": SimpleUploadedFile("contract.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    })
    assert response.status_code == 302
    document = item.documents.get()
    response = client.post(url("document_new", meeting.pk, item.pk), {
        "name": "病毒", "file": SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream"),
    })
    assert response.status_code == 400 and item.documents.count() == 1
    login(client, w["owners"][7])
    response = client.get(url("document", meeting.pk, item.pk, document.pk))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    login(client, w["outsider"])
    assert client.get(url("document", meeting.pk, item.pk, document.pk)).status_code == 404


def test_discussion_and_party_opinion(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.first()
    owner = w["owners"][7]
    login(client, owner)
    page = client.get(url("item", meeting.pk, item.pk)).content.decode()
    assert 'id="comment-form"' in page and 'id="opinion-form"' not in page
    response = client.post(url("comment_new", meeting.pk, item.pk), {"body": "物业费能不能降一点？"}, follow=True)
    assert ItemComment.objects.filter(item=item, author=owner).exists()
    html = response.content.decode()
    assert "物业费能不能降一点？" in html and owner.real_name not in html.split('id="discussion"')[1]
    assert client.post(url("party_opinion", meeting.pk, item.pk), {"text": "同意"}).status_code == 302
    item.refresh_from_db()
    assert item.party_opinion == ""  # refused: only the party secretary

    login(client, w["secretary"])
    assert 'id="opinion-form"' in client.get(url("item", meeting.pk, item.pk)).content.decode()
    client.post(url("party_opinion", meeting.pk, item.pk), {"text": "党支部支持续聘，但要求公开收支。"})
    item.refresh_from_db()
    assert item.party_opinion == "党支部支持续聘，但要求公开收支。"
    assert item.party_opinion in client.get(url("meeting", meeting.pk)).content.decode()


# --- voting ----------------------------------------------------------------------------------------


def test_vote_on_the_page_gives_a_receipt_and_refuses_a_second_vote(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.first()
    owner = w["owners"][6]
    login(client, owner)
    page = client.get(url("meeting", meeting.pk)).content.decode()
    assert f'id="vote-{item.pk}"' in page and 'name="choice"' in page

    response = client.post(url("vote", meeting.pk, item.pk), {"choice": "no"}, follow=True)
    ballot = Ballot.objects.get(item=item, elector__user=owner)
    assert ballot.status == Ballot.Status.VALID and ballot.choice == "no" and ballot.channel == "online"
    html = response.content.decode()
    assert html.count(ballot.receipt_code) == 2  # in the message and next to the item
    assert f'id="vote-{item.pk}"' not in html  # the form gives way to "you have voted"

    response = client.post(url("vote", meeting.pk, item.pk), {"choice": "yes"}, follow=True)
    assert shown("You have already voted on this item.") in response.content.decode()
    assert Ballot.objects.filter(item=item).count() == 1
    assert Ballot.objects.get(item=item).choice == "no"


def test_a_vote_without_a_choice_is_refused_on_the_form(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.first()
    response = login(client, w["owners"][6]).post(url("vote", meeting.pk, item.pk), {})
    assert response.status_code == 400 and 'class="invalid-feedback' in response.content.decode()
    assert not Ballot.objects.exists()


def test_a_resident_who_is_not_an_owner_gets_no_ballot(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.first()
    login(client, w["secretary"])
    assert f'id="vote-{item.pk}"' not in client.get(url("meeting", meeting.pk)).content.decode()
    response = client.post(url("vote", meeting.pk, item.pk), {"choice": "yes"})
    assert response.status_code == 302 and not Ballot.objects.exists()


def test_election_ballot_takes_at_most_the_seats(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(), election_seats=5)
    item = meeting.items.get()
    candidates = list(item.candidates.order_by("position"))
    login(client, w["owners"][8])
    page = client.get(url("meeting", meeting.pk)).content.decode()
    assert page.count('name="candidates"') == 6 and 'data-seats="5"' in page
    response = client.post(url("vote", meeting.pk, item.pk), {"candidates": [c.pk for c in candidates]})
    assert response.status_code == 400 and not Ballot.objects.exists()
    response = client.post(url("vote", meeting.pk, item.pk), {"candidates": [c.pk for c in candidates[:3]]})
    assert response.status_code == 302
    ballot = Ballot.objects.get(item=item)
    assert sorted(ballot.marks.values_list("candidate_id", flat=True)) == sorted(c.pk for c in candidates[:3])


def test_participation_shows_count_and_area_but_never_the_choices(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    vote(w, meeting, w["owners"][:2], "yes")
    vote(w, meeting, w["owners"][2:3], "no")
    area = sum((u.area_register for u in w["units"][:3]), Decimal("0"))
    login(client, w["owners"][7])
    response = client.get(url("participation", meeting.pk), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<nav" not in html and 'hx-trigger="every 30s"' in html  # a fragment that keeps polling
    assert shown("Owners taking part: %(count)s of %(total)s (2/3 needed: %(need)s)", count=3, total=12, need=8) in html
    assert f"{area:.2f}" in html
    # 12 electors: 2/3 is 8 owners; 3 have voted, so 5 more are needed (and the area gap).
    total = selectors.electorate_total(meeting)
    so_far = tally.decide(rule=tally.MAJORITY, total=total, yes=tally.Votes(), no=tally.Votes(),
                          abstain=tally.Votes(3, area))
    assert explain.shortfall_figures(so_far) == {
        "need": "participation", "count": 5, "area": (so_far.thresholds.participation_area - area).quantize(Decimal("0.01")),
    }
    assert escape(explain.shortfall(so_far)) in html.split('class="text-danger fw-semibold shortfall">')[1]
    for word in CHOICE_WORDS:
        assert word not in html, word
    full = client.get(url("participation", meeting.pk))
    assert full.status_code == 200 and 'id="nav-meetings"' in full.content.decode()
    # Nor does a receipt say what was chosen before the close.
    code = Ballot.objects.filter(elector__user=w["owners"][2]).get().receipt_code
    receipt = login(client, w["owners"][2]).get(url("receipt", meeting.pk), {"code": code.lower()}).content.decode()
    answer = receipt.split('id="receipt-answer"')[1]
    assert shown("counted") in answer
    assert shown("no") not in answer.split("</div>")[0] and shown("The choice is shown here after the vote closes.") in answer


def test_detail_costs_the_same_queries_for_1_and_several_items(client, meeting_world, django_assert_num_queries):
    w = meeting_world
    voter = w["owners"][9]

    def prepared(meeting):
        for item in meeting.items.all():
            services.document_add(item=item, actor=w["chair"], name="说明",
                                  file=SimpleUploadedFile("a.pdf", b"%PDF", content_type="application/pdf"))
        first = meeting.items.order_by("position").first()
        services.vote_online(item=first, actor=voter, choice="yes")
        return meeting

    small = prepared(published_assembly(w, matters=(4,)))
    big = prepared(published_assembly(w, matters=(1, 4, 6, 9), election_seats=5))
    login(client, voter)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url("meeting", small.pk)).status_code == 200
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url("meeting", big.pk))
    html = response.content.decode()
    assert html.count('class="vote-form') == 4 and html.count("receipt-code") == 1


# --- closing and the result ------------------------------------------------------------------------


def test_close_button_only_when_due_and_result_after_close(client, meeting_world):
    w = meeting_world
    w["compound"].count_non_voters_with_majority = True
    w["compound"].save()
    meeting = published_assembly(w)
    owners = w["owners"]
    vote(w, meeting, owners[:6], "yes")
    vote(w, meeting, [w["double_owner"]], "no")
    vote(w, meeting, owners[6:8], "abstain")
    login(client, w["chair"])
    assert client.get(url("result", meeting.pk)).status_code == 404
    assert 'id="close"' not in client.get(url("meeting", meeting.pk)).content.decode()
    response = client.post(url("close", meeting.pk), follow=True)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.NOTICED

    end_now(meeting)
    assert 'id="close"' in client.get(url("meeting", meeting.pk)).content.decode()
    assert client.get(url("close", meeting.pk)).status_code == 200
    response = client.post(url("close", meeting.pk))
    assert response.status_code == 302 and response.url == url("result", meeting.pk)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED

    item = meeting.items.get()
    login(client, owners[9])
    html = client.get(url("result", meeting.pk)).content.decode()
    # 9 of 12 owners took part, holding the units' area; 6 said yes.
    yes_area = sum((u.area_register for u in w["units"][:6]), Decimal("0"))
    part_area = yes_area + Decimal("200.00") + w["units"][6].area_register + w["units"][7].area_register
    assert f"<td>6</td><td>{yes_area:.2f}</td>" in html
    assert f"<td>9</td><td>{part_area:.2f}</td>" in html
    assert escape(explain.explain(outcome_from_result(item.result))) in html
    assert item.result["clause"] is not None
    assert 'class="border border-warning rounded-3 p-3 h-100 clause-result"' in html  # 从众 side by side
    assert escape(explain.explain(outcome_from_result(item.result["clause"]))) in html
    detail = client.get(url("meeting", meeting.pk)).content.decode()
    assert 'id="result-link"' in detail and 'class="vote-form' not in detail

    printed = client.get(url("result_print", meeting.pk))
    assert printed.status_code == 200
    text = printed.content.decode()
    assert 'id="nav"' not in text and "window.print()" in text and "@page" in text
    assert escape(explain.explain(outcome_from_result(item.result))) in text

    code = Ballot.objects.get(elector__user=owners[0]).receipt_code
    receipt = client.get(url("receipt", meeting.pk), {"code": code}).content.decode()
    assert shown("yes") in receipt.split('id="receipt-answer"')[1]


def test_election_result_lists_candidates_and_warns_on_party_share(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(), election_seats=5)
    item = meeting.items.get()
    candidates = list(item.candidates.order_by("position"))
    voters = [*w["owners"], w["double_owner"]]
    for voter in voters:
        services.vote_online(item=item, actor=voter, candidate_ids=[c.pk for c in candidates[:5]])
    end_now(meeting)
    services.meeting_close(meeting=meeting, actor=w["chair"])
    item.refresh_from_db()
    login(client, w["owners"][0])
    html = client.get(url("result", meeting.pk)).content.decode()
    for candidate in candidates:
        assert candidate.user.real_name in html
    assert html.count("✓ ") == 5  # five elected marks
    assert escape(explain.explain_election(election_from_result(item.result))) in html
    assert item.result["party_share_warning"] is True
    assert 'class="alert alert-warning party-warning"' in html


def test_receipt_for_an_unknown_code(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    response = login(client, w["owners"][1]).get(url("receipt", meeting.pk), {"code": "ZZZZZZZZZZ"})
    assert response.status_code == 200
    assert shown("No ballot of this meeting has this code. Check the letters and try again.") in response.content.decode()


def test_meeting_list_past_after_close(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    end_now(meeting)
    services.meeting_close(meeting=meeting)
    html = login(client, w["owners"][4]).get(url("meetings")).content.decode()
    assert f'id="meeting-{meeting.pk}"' in html.split('id="past"')[1]


def test_outsider_from_another_compound_cannot_see_a_closed_result(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    end_now(meeting)
    services.meeting_close(meeting=meeting)
    other = factories.OwnershipFactory().user
    login(client, other)
    assert client.get(url("result", meeting.pk)).status_code == 404
    assert client.get(url("result_print", meeting.pk)).status_code == 404

"""The follow-up pages: the posted electorate with objections and corrections, paper ballots entered by two
tellers, proxy votes with a mandate, minutes, resolution tasks with their ledger, and petitions for an assembly.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from committees import services
from committees.models import (
    ActionItem,
    AgendaItem,
    AssemblyPetition,
    Ballot,
    Contribution,
    Elector,
    ElectorateCorrection,
    ElectorateObjection,
    Meeting,
    PaperEntry,
)
from complaints.models import Complaint
from tests import factories

from .conftest import published_assembly

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _url(name: str, meeting: Meeting, *args) -> str:
    return reverse(f"committees:{name}", args=[meeting.pk, *args])


def _elector(meeting: Meeting, user) -> Elector:
    return Elector.objects.get(meeting=meeting, user=user)


# --- the electorate ----------------------------------------------------------------------------------


def test_electorate_page_posts_the_list_totals_and_homes_without_an_owner(client, meeting_world):
    w = meeting_world
    unowned = factories.UnitFactory(building=w["building"], number="999", area_register=Decimal("70.00"))
    meeting = published_assembly(w, open_voting=False)
    client.force_login(w["owners"][6])
    page = client.get(_url("electorate", meeting))
    assert page.status_code == 200
    assert page.context["total"].count == 12
    assert page.context["total"].area == sum(e.area_m2 for e in Elector.objects.filter(meeting=meeting))
    assert page.context["unowned_count"] == 1
    assert [f"{u.building.name}{u.label}" for u in page.context["unowned"]] == [f"3栋{unowned.label}"]
    html = page.content.decode()
    assert "业**" in html and "业主5" not in html  # masked names only
    assert page.context["can_object"] is True
    assert page.context["can_correct"] is False


def test_electorate_is_hidden_from_outsiders(client, meeting_world):
    meeting = published_assembly(meeting_world, open_voting=False)
    client.force_login(meeting_world["outsider"])
    for name in ("electorate", "objection_new", "electorate_correct", "minutes", "paper", "proxy", "action_new"):
        assert client.get(_url(name, meeting)).status_code == 404, name


def test_a_resident_objects_and_a_convener_accepts_with_a_logged_correction(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    resident, unit = w["owners"][6], w["units"][6]
    client.force_login(resident)
    form_page = client.get(_url("objection_new", meeting), {"unit": unit.pk})
    assert form_page.status_code == 200 and form_page.context["form"]["unit"].value() == unit.pk
    response = client.post(_url("objection_new", meeting), {"unit": unit.pk, "text": "我家面积是110平方米，不是92"})
    assert response.status_code == 302
    objection = ElectorateObjection.objects.get(meeting=meeting)
    assert (objection.raised_by, objection.unit, objection.status) == (resident, unit, "open")
    # A resident cannot answer.
    assert client.get(_url("objection_answer", meeting, objection.pk)).status_code == 403

    client.force_login(w["chair"])
    page = client.get(_url("electorate", meeting))
    assert [o.pk for o in page.context["objections"]] == [objection.pk]
    response = client.post(_url("objection_answer", meeting, objection.pk), {
        "decision": "accept", "response": "已核对房产证，面积更正为110平方米", "unit": unit.pk, "area_m2": "110.00",
    })
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.status == "accepted"
    correction = ElectorateCorrection.objects.get(meeting=meeting)
    assert correction.objection == objection
    assert correction.before["area_m2"] == "92.00" and correction.after["area_m2"] == "110.00"
    assert _elector(meeting, resident).area_m2 == Decimal("110.00")

    client.force_login(resident)
    page = client.get(_url("electorate", meeting))
    assert [c.pk for c in page.context["corrections"]] == [correction.pk]
    assert "110.00" in page.content.decode()


def test_a_failed_correction_leaves_the_objection_open(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    objection = services.objection_raise(meeting=meeting, actor=w["owners"][6], text="面积不对", unit=w["units"][6])
    client.force_login(w["chair"])
    response = client.post(_url("objection_answer", meeting, objection.pk), {
        "decision": "accept", "response": "已更正", "unit": w["units"][6].pk, "area_m2": "92.00",  # unchanged
    })
    assert response.status_code == 400
    assert response.context["form"].errors["response"] == [gettext("Nothing changed.")]
    objection.refresh_from_db()
    assert objection.status == "open"
    assert not ElectorateCorrection.objects.exists()


def test_a_convener_corrects_the_list_by_the_standalone_form(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    client.force_login(w["owners"][7])
    assert client.get(_url("electorate_correct", meeting)).status_code == 403
    client.force_login(w["chair"])
    response = client.post(_url("electorate_correct", meeting), {"unit": w["units"][7].pk, "reason": "房产证复核"})
    assert response.status_code == 400  # neither an area nor "re-read the owner"
    response = client.post(_url("electorate_correct", meeting),
                           {"unit": w["units"][7].pk, "area_m2": "95.50", "reason": "房产证复核"})
    assert response.status_code == 302
    assert _elector(meeting, w["owners"][7]).area_m2 == Decimal("95.50")
    assert ElectorateCorrection.objects.filter(meeting=meeting, objection=None).count() == 1


def test_electorate_page_costs_the_same_queries_at_12_and_300_electors(client, meeting_world, django_assert_num_queries):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    services.objection_raise(meeting=meeting, actor=w["owners"][6], text="面积不对", unit=w["units"][6])
    services.electorate_correct(meeting=meeting, actor=w["chair"], unit=w["units"][6], area_m2=Decimal("93"), reason="复核")
    client.force_login(w["chair"])
    url = _url("electorate", meeting)
    one = _count(client, url)
    Elector.objects.bulk_create([
        Elector(meeting=meeting, key=f"u:x{i}", label="王*", units_label=f"9栋{i:04d}", area_m2=Decimal("88.00"), unit_count=1)
        for i in range(300)
    ])
    for i in range(30):
        factories.UnitFactory(building=w["other_building"], number=f"9{i:02d}")
    for i in range(5):
        services.objection_raise(meeting=meeting, actor=w["owners"][i], text=f"第{i}条异议")
    with django_assert_num_queries(one):
        page = client.get(url)
    assert len(page.context["page"].object_list) == 50
    assert page.context["unowned_count"] == 30
    assert len(page.context["objections"]) == 6
    with django_assert_num_queries(one):
        assert client.get(url + "?page=3").status_code == 200


# --- paper ballots ------------------------------------------------------------------------------------


def _sheet(meeting: Meeting, elector: Elector, choice: str = "yes", candidates=()) -> dict:
    data = {"elector": elector.pk}
    for item in meeting.items.all():
        data[f"item_{item.pk}"] = [c.pk for c in candidates] if item.kind == AgendaItem.Kind.ELECTION else choice
    return data


def test_paper_page_is_for_tellers_only(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    client.force_login(w["tellers"][0])
    assert client.get(_url("paper", meeting)).status_code == 200
    client.force_login(w["owners"][3])
    assert client.get(_url("paper", meeting)).status_code == 403
    assert client.post(_url("paper", meeting), _sheet(meeting, _elector(meeting, w["owners"][3]))).status_code == 403
    client.force_login(w["outsider"])
    assert client.get(_url("paper", meeting)).status_code == 404


def test_paper_search_finds_the_owner_by_unit(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    client.force_login(w["tellers"][0])
    page = client.get(_url("paper", meeting), {"q": w["units"][4].label})
    assert [e.user for e in page.context["matches"]] == [w["owners"][4]]


def test_two_tellers_agreeing_count_the_sheet(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6), election_seats=5)
    owner = w["owners"][8]
    elector = _elector(meeting, owner)
    election = meeting.items.get(kind=AgendaItem.Kind.ELECTION)
    chosen = list(election.candidates.order_by("position")[:3])
    url = _url("paper", meeting)

    client.force_login(w["tellers"][0])
    response = client.post(url, _sheet(meeting, elector, "no", chosen))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert [e.status for e in page.context["elector_entries"]] == [PaperEntry.Status.WAITING]
    assert 'data-status="waiting"' in page.content.decode()
    assert not Ballot.objects.filter(elector=elector).exists()

    client.force_login(w["tellers"][1])
    page = client.get(url, {"elector": elector.pk})
    assert page.context["form"] is not None
    assert client.post(url, _sheet(meeting, elector, "no", chosen)).status_code == 302
    ballots = Ballot.objects.filter(elector=elector, status=Ballot.Status.VALID, channel=Ballot.Channel.PAPER)
    assert ballots.count() == 3
    assert set(ballots.exclude(item=election).values_list("choice", flat=True)) == {"no"}
    assert sorted(ballots.get(item=election).marks.values_list("candidate_id", flat=True)) == sorted(c.pk for c in chosen)
    page = client.get(url, {"elector": elector.pk})
    assert page.context["elector_counted"] is True
    assert page.context["counts"]["matched"] == 1  # one sheet, entered by two tellers


def test_tellers_disagreeing_are_shown_first_as_a_mismatch(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    url = _url("paper", meeting)
    waiting, mismatched = _elector(meeting, w["owners"][1]), _elector(meeting, w["owners"][9])
    client.force_login(w["tellers"][0])
    client.post(url, _sheet(meeting, waiting, "yes"))
    client.post(url, _sheet(meeting, mismatched, "yes"))
    client.force_login(w["tellers"][1])
    response = client.post(url, _sheet(meeting, mismatched, "no"))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert {e.status for e in page.context["elector_entries"]} == {PaperEntry.Status.MISMATCH}
    assert not Ballot.objects.filter(elector=mismatched).exists()
    statuses = [e.status for e in page.context["page"].object_list]
    assert statuses == ["mismatch", "mismatch", "waiting"]
    assert page.context["counts"] == {"mismatch": 1, "waiting": 1, "matched": 0}  # sheets, not entries


def test_a_sheet_with_a_missing_choice_is_refused_on_its_item(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 5))
    elector = _elector(meeting, w["owners"][2])
    data = _sheet(meeting, elector, "yes")
    second = meeting.items.order_by("position")[1]
    del data[f"item_{second.pk}"]
    client.force_login(w["tellers"][0])
    response = client.post(_url("paper", meeting), data)
    assert response.status_code == 400
    assert response.context["form"].errors[f"item_{second.pk}"] == [
        gettext("Enter the choice for item %(position)d.") % {"position": second.position}]
    assert not PaperEntry.objects.exists()


def test_paper_page_shows_no_form_once_voting_has_closed(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    client.force_login(w["tellers"][0])
    page = client.get(_url("paper", meeting), {"elector": _elector(meeting, w["owners"][1]).pk})
    assert page.status_code == 200
    assert page.context["can_enter"] is False and page.context["form"] is None


# --- proxy votes -------------------------------------------------------------------------------------


def test_proxy_needs_the_written_mandate(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    elector = _elector(meeting, w["owners"][5])
    url = _url("proxy", meeting)
    client.force_login(w["tellers"][1])
    response = client.post(url, {**_sheet(meeting, elector, "abstain"), "proxy_name": "王小明"})
    assert response.status_code == 400
    assert response.context["form"].errors["mandate"] == [gettext("Upload the owner's signed written mandate.")]
    assert not Ballot.objects.exists()

    mandate = SimpleUploadedFile("weituoshu.pdf", b"%PDF-1.4 signed mandate", content_type="application/pdf")
    response = client.post(url, {**_sheet(meeting, elector, "abstain"), "proxy_name": "王小明", "mandate": mandate})
    assert response.status_code == 302
    ballot = Ballot.objects.get(elector=elector)
    assert (ballot.channel, ballot.status, ballot.choice, ballot.proxy_name) == ("proxy", "valid", "abstain", "王小明")
    assert ballot.mandate.name.endswith(".pdf")


def test_proxy_page_is_for_tellers_and_conveners(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    for user, status in ((w["tellers"][0], 200), (w["chair"], 200), (w["owners"][8], 403), (w["outsider"], 404)):
        client.force_login(user)
        assert client.get(_url("proxy", meeting)).status_code == status


# --- minutes and tasks -------------------------------------------------------------------------------


def test_minutes_are_written_then_published_to_everybody(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    url = _url("minutes", meeting)
    client.force_login(w["chair"])
    assert client.post(url, {"minutes": "草稿：到会35人"}).status_code == 302
    client.force_login(w["owners"][7])
    page = client.get(url)
    assert "草稿" not in page.content.decode()
    assert page.context["can_edit"] is False
    assert client.post(url, {"minutes": "篡改"}).status_code == 403

    client.force_login(w["chair"])
    assert client.post(url, {"minutes": "到会35人，决定更换楼梯扶手", "publish": "1"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes_published_at is not None
    client.force_login(w["owners"][7])
    page = client.get(url)
    assert "决定更换楼梯扶手" in page.content.decode()


def test_minutes_empty_text_is_a_field_error(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    client.force_login(w["chair"])
    response = client.post(_url("minutes", meeting), {"minutes": "  "})
    assert response.status_code == 400
    assert response.context["form"].errors["minutes"] == [gettext("Write the minutes.")]


def test_a_task_with_a_contributions_ledger_and_a_case(client, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    assignee = w["owners"][3]
    client.force_login(w["owners"][6])
    assert client.get(_url("action_new", meeting)).status_code == 403

    client.force_login(w["chair"])
    response = client.post(_url("action_new", meeting), {"title": "更换3栋楼梯扶手", "party": "committee",
                                                         "due_date": "2026-09-30", "assignee": "19900000000"})
    assert response.status_code == 400
    assert response.context["form"].errors["assignee"]
    response = client.post(_url("action_new", meeting), {
        "title": "更换3栋楼梯扶手", "description": "业主自筹，每户200元", "party": "committee",
        "due_date": "2026-09-30", "assignee": assignee.phone, "item": meeting.items.first().pk,
    })
    action = ActionItem.objects.get(meeting=meeting)
    assert response.status_code == 302 and response["Location"] == _url("action", meeting, action.pk)
    assert action.assignee == assignee

    ledger_url = _url("contribution_new", meeting, action.pk)
    client.post(ledger_url, {"contributor": "3栋201", "unit": w["units"][0].pk, "pledged": "200", "paid": "200"})
    client.post(ledger_url, {"contributor": "3栋202", "pledged": "200", "paid": "0"})
    client.post(ledger_url, {"contributor": "3栋202", "pledged": "200", "paid": "100"})  # updates the row
    response = client.post(ledger_url, {"contributor": "", "pledged": "50", "paid": "0"})
    assert response.status_code == 400
    assert response.context["contribution_form"].errors["contributor"] == [gettext("Give the household or party.")]
    assert Contribution.objects.filter(action=action).count() == 2

    client.force_login(w["owners"][8])  # every owner sees the ledger
    page = client.get(_url("action", meeting, action.pk))
    assert page.context["ledger"] == {"pledged": Decimal("400.00"), "paid": Decimal("300.00"), "households": 2,
                                      "outstanding": Decimal("100.00")}
    assert page.context["can_record"] is False and page.context["can_complete"] is False
    assert client.post(ledger_url, {"contributor": "x", "pledged": "1", "paid": "1"}).status_code == 403
    minutes = client.get(_url("minutes", meeting))
    assert minutes.context["ledger"]["pledged"] == Decimal("400.00")
    assert [a.pledged for a in minutes.context["actions"]] == [Decimal("400.00")]

    client.force_login(w["chair"])
    assert client.post(_url("action_case", meeting, action.pk), {"category": "facilities"}).status_code == 302
    action.refresh_from_db()
    complaint = Complaint.objects.get(pk=action.complaint_id)
    page = client.get(_url("action", meeting, action.pk))
    assert reverse("complaints:detail", args=[complaint.pk]) in page.content.decode()
    assert page.context["can_case"] is False

    client.force_login(assignee)  # the person responsible marks it done
    assert client.post(_url("action_done", meeting, action.pk), {"note": "已安装"}).status_code == 302
    action.refresh_from_db()
    assert action.status == ActionItem.Status.DONE


# --- petitions ---------------------------------------------------------------------------------------


def test_petition_reaching_20_percent_of_owners_triggers(client, meeting_world):
    w = meeting_world  # 12 owners (the developer counts once): 3 signatures reach 20%
    client.force_login(w["tellers"][0])  # not an owner anywhere
    assert client.get(reverse("committees:petition_new")).status_code == 403

    client.force_login(w["owners"][5])
    form_page = client.get(reverse("committees:petition_new"))
    assert form_page.status_code == 200 and form_page.context["form"]["compound"].value() == w["compound"].pk
    response = client.post(reverse("committees:petition_new"),
                           {"compound": w["compound"].pk, "title": "更换物业公司", "reason": "服务太差"})
    petition = AssemblyPetition.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("committees:petition", args=[petition.pk])
    page = client.get(reverse("committees:petition", args=[petition.pk]))
    assert (page.context["petition"].signed, page.context["petition"].needed) == (1, 3)
    assert page.context["can_sign"] is False and page.context["signed_by_me"] is True

    sign = reverse("committees:petition_sign", args=[petition.pk])
    client.force_login(w["owners"][6])
    assert client.get(reverse("committees:petition", args=[petition.pk])).context["can_sign"] is True
    client.post(sign)
    petition.refresh_from_db()
    assert petition.status == AssemblyPetition.Status.OPEN
    client.force_login(w["double_owner"])
    client.post(sign)
    petition.refresh_from_db()
    assert petition.status == AssemblyPetition.Status.TRIGGERED
    page = client.get(reverse("committees:petition", args=[petition.pk]))
    assert page.context["petition"].percent == 100
    assert 'id="petition-triggered"' in page.content.decode()

    client.force_login(w["outsider"])
    assert client.get(reverse("committees:petition", args=[petition.pk])).status_code == 404
    assert client.post(sign).status_code == 404
    assert petition.signatures.count() == 3


def test_petition_list_costs_the_same_queries_at_1_and_25_petitions(client, meeting_world, django_assert_num_queries):
    w = meeting_world
    services.petition_start(compound=w["compound"], actor=w["owners"][1], title="请愿0")
    client.force_login(w["owners"][2])
    url = reverse("committees:petitions")
    one = _count(client, url)
    for i in range(1, 25):
        petition = services.petition_start(compound=w["compound"], actor=w["owners"][3 + i % 7], title=f"请愿{i}")
        if i % 3 == 0:
            services.petition_sign(petition=petition, actor=w["owners"][2])
    services.petition_start(compound=w["outsider"].ownerships.get().unit.building.compound, actor=w["outsider"],
                            title="别的小区")
    with django_assert_num_queries(one):
        page = client.get(url)
    rows = page.context["page"].object_list
    assert len(rows) == 20
    assert all(p.compound_id == w["compound"].pk for p in rows)
    assert all(p.signed == (2 if p.signed_by_me else 1) for p in rows)
    assert sum(p.signed_by_me for p in rows) == 7  # petitions 5..24 are on the first page; 6, 9, ... 24 signed

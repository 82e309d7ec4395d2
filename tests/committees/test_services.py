"""The committees services against PostgreSQL: notice, agenda, electorate, close, elections, petitions, follow-up."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from committees import services, tally
from committees.models import (
    ActionItem,
    AgendaItem,
    AssemblyPetition,
    Ballot,
    Elector,
    ElectorateCorrection,
    ElectorateObjection,
    ElectorateUnit,
    Meeting,
)
from complaints.models import Complaint
from core.errors import ApplicationError
from core.models import AuditEvent, Notification
from residents.models import Ownership

from .. import factories
from .conftest import end_now, open_now, published_assembly

pytestmark = pytest.mark.django_db
D = Decimal
# meeting_world: ten owners of 80, 82 … 98 m², one owner of two 100 m² units, the developer with 3 × 120 m².
TOTAL_AREA = D(sum(80 + 2 * i for i in range(10))) + D(200) + D(360)


@contextmanager
def refused(code: str | None = None, field: str | None = None):
    """The block must raise ApplicationError with this code (and field)."""
    with pytest.raises(ApplicationError) as info:
        yield info
    if code is not None:
        assert info.value.code == code, (info.value.code, info.value.message)
    if field is not None:
        assert info.value.field == field, (info.value.field, info.value.message)


def draft_assembly(w, *, opens_in=timedelta(days=16), now=None, **extra) -> Meeting:
    now = now or timezone.now()
    return services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind=Meeting.Kind.ASSEMBLY, title="业主大会", convener="committee",
        starts_at=now + opens_in + timedelta(days=1), vote_opens_at=now + opens_in,
        vote_closes_at=now + opens_in + timedelta(days=7), **extra,
    )


def draft_building_meeting(w) -> Meeting:
    now = timezone.now()
    return services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind=Meeting.Kind.BUILDING, building=w["building"], title="3栋楼宇会",
        convener="committee", starts_at=now + timedelta(days=3), vote_opens_at=now + timedelta(days=1),
        vote_closes_at=now + timedelta(days=4),
    )


def vote(item, users, choice):
    for user in users:
        services.vote_online(item=item, actor=user, choice=choice)


def close(meeting, capture) -> bool:
    with capture(execute=True):
        return services.meeting_close(meeting=meeting)


# --- the notice: 15 days, frozen agenda -------------------------------------------------------------


def test_an_assembly_notice_less_than_15_days_before_voting_is_refused(meeting_world):
    w = meeting_world
    now = timezone.now()
    meeting = draft_assembly(w, now=now, opens_in=timedelta(days=15) - timedelta(seconds=1))
    services.item_add(meeting=meeting, actor=w["chair"], title="续聘物业", proposer="committee", matter=4)
    with refused(field="vote_opens_at"):
        services.meeting_publish_notice(meeting=meeting, actor=w["chair"], now=now)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.DRAFT and not Elector.objects.filter(meeting=meeting).exists()


def test_an_assembly_notice_exactly_15_days_before_voting_is_accepted(meeting_world):
    w = meeting_world
    now = timezone.now()
    meeting = draft_assembly(w, now=now, opens_in=timedelta(days=services.ASSEMBLY_NOTICE_DAYS))
    services.item_add(meeting=meeting, actor=w["chair"], title="续聘物业", proposer="committee", matter=4)
    meeting = services.meeting_publish_notice(meeting=meeting, actor=w["chair"], now=now)
    assert meeting.status == Meeting.Status.NOTICED and meeting.notice_published_at == now
    assert AuditEvent.objects.filter(action="meeting.publish_notice", target_id=str(meeting.pk)).get().data["electors"] == 12


def test_a_notice_needs_an_item_and_a_convener(meeting_world):
    w = meeting_world
    meeting = draft_assembly(w)
    with refused(field="items"):
        services.meeting_publish_notice(meeting=meeting, actor=w["chair"])
    services.item_add(meeting=meeting, actor=w["chair"], title="续聘物业", proposer="committee", matter=4)
    with refused("forbidden"):
        services.meeting_publish_notice(meeting=meeting, actor=w["owners"][7])  # an owner, not on the committee
    with refused("forbidden"):
        draft_assembly({**w, "chair": w["outsider"]})


def test_the_agenda_is_frozen_once_the_notice_is_published(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, election_seats=5, open_voting=False)
    election = meeting.items.get(kind=AgendaItem.Kind.ELECTION)
    with refused("conflict"):
        services.item_add(meeting=meeting, actor=w["chair"], title="再加一项", proposer="committee", matter=9)
    with refused("conflict"):
        services.candidate_add(item=election, actor=w["chair"], user=w["owners"][8])
    with refused("conflict"):
        services.item_remove(item=meeting.items.get(kind=AgendaItem.Kind.QUESTION), actor=w["chair"])
    with refused("conflict"):
        services.meeting_update(meeting=meeting, actor=w["chair"], title="改个标题")
    assert meeting.items.count() == 2 and election.candidates.count() == 6


def test_a_stale_version_is_a_conflict(meeting_world):
    w = meeting_world
    meeting = draft_assembly(w)
    version = meeting.version
    services.meeting_update(meeting=meeting, actor=w["chair"], version=version, title="第一次改")
    with refused("conflict"):
        services.meeting_update(meeting=meeting, actor=w["chair"], version=version, title="第二次改")
    meeting.refresh_from_db()
    assert meeting.title == "第一次改"


# --- the rule follows the Civil Code matter ---------------------------------------------------------


@pytest.mark.parametrize(("matter", "rule"), [(1, "majority"), (4, "majority"), (5, "majority"), (6, "supermajority"),
                                              (7, "supermajority"), (8, "supermajority"), (9, "majority")])
def test_an_assembly_items_rule_follows_its_matter_whatever_is_asked(meeting_world, matter, rule):
    w = meeting_world
    meeting = draft_assembly(w)
    item = services.item_add(meeting=meeting, actor=w["chair"], title="议题", proposer="committee", matter=matter,
                             rule=tally.CONSENSUS)
    item.refresh_from_db()
    assert (item.matter, item.rule) == (matter, rule)


@pytest.mark.parametrize("matter", [None, 0, 10, "x"])
def test_an_assembly_item_needs_a_civil_code_matter(meeting_world, matter):
    w = meeting_world
    meeting = draft_assembly(w)
    with refused(field="matter"):
        services.item_add(meeting=meeting, actor=w["chair"], title="议题", proposer="committee", matter=matter)
    assert not meeting.items.exists()


@pytest.mark.parametrize(("matter", "rule"), [
    (6, tally.MAJORITY), (4, tally.SUPERMAJORITY), (4, tally.CONSENSUS), (7, tally.HOUSEHOLD_MAJORITY),
    (None, tally.MAJORITY),  # NULL IN (...) is NULL: the constraint must say matter IS NOT NULL
])
def test_the_database_refuses_a_rule_set_by_hand(meeting_world, matter, rule):
    w = meeting_world
    meeting = draft_assembly(w)
    with pytest.raises(IntegrityError, match="item_rule_follows_matter"), transaction.atomic():
        AgendaItem.objects.create(meeting=meeting, position=1, title="手改规则", proposer="committee",
                                  proposed_by=w["chair"], matter=matter, rule=rule)
    assert not meeting.items.exists()


def test_a_building_meeting_refuses_civil_code_matters_and_elections(meeting_world):
    w = meeting_world
    meeting = draft_building_meeting(w)
    with refused(field="matter"):
        services.item_add(meeting=meeting, actor=w["chair"], title="更换物业", proposer="committee", matter=4,
                          rule=tally.HOUSEHOLD_MAJORITY)
    with refused(field="kind"):
        services.item_add(meeting=meeting, actor=w["chair"], title="选举", proposer="committee",
                          kind=AgendaItem.Kind.ELECTION, seats=5)
    with refused(field="rule"):
        services.item_add(meeting=meeting, actor=w["chair"], title="楼道灯", proposer="resident", rule=tally.MAJORITY)
    item = services.item_add(meeting=meeting, actor=w["chair"], title="楼道灯", proposer="resident", rule=tally.CONSENSUS)
    assert (item.matter, item.rule) == (None, tally.CONSENSUS)


def test_a_building_meeting_counts_one_vote_per_household_of_its_building(meeting_world):
    w = meeting_world
    meeting = draft_building_meeting(w)
    services.item_add(meeting=meeting, actor=w["chair"], title="楼道灯", proposer="resident", rule=tally.HOUSEHOLD_MAJORITY)
    services.meeting_publish_notice(meeting=meeting, actor=w["chair"])
    electors = Elector.objects.filter(meeting=meeting)
    assert sorted(electors.values_list("key", flat=True)) == sorted(f"unit:{u.pk}" for u in w["units"])
    assert not electors.filter(is_developer=True).exists()


def test_elections_need_an_odd_number_of_5_to_11_seats(meeting_world):
    w = meeting_world
    meeting = draft_assembly(w)
    for seats in (None, 4, 6, 13):
        with refused(field="seats"):
            services.item_add(meeting=meeting, actor=w["chair"], title="选举", proposer="committee",
                              kind=AgendaItem.Kind.ELECTION, seats=seats)
    item = services.item_add(meeting=meeting, actor=w["chair"], title="选举", proposer="committee",
                             kind=AgendaItem.Kind.ELECTION, seats=7, matter=9)
    assert (item.matter, item.rule, item.seats) == (3, tally.MAJORITY, 7)
    with refused(field="user"):
        services.candidate_add(item=item, actor=w["chair"], user=w["outsider"])  # not an owner here
    services.candidate_add(item=item, actor=w["chair"], user=w["owners"][1])
    with refused(field="user"):
        services.candidate_add(item=item, actor=w["chair"], user=w["owners"][1])


# --- the electorate snapshot ------------------------------------------------------------------------


def test_the_electorate_counts_each_owner_once_and_the_developer_once(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    electors = Elector.objects.filter(meeting=meeting)
    assert electors.count() == 12
    double = electors.get(user=w["double_owner"])
    assert (double.key, double.area_m2, double.unit_count) == (f"u:{w['double_owner'].pk}", D("200.00"), 2)
    developer = electors.get(key=tally.DEVELOPER_KEY)
    assert (developer.is_developer, developer.area_m2, developer.unit_count) == (True, D("360.00"), 3)
    for owner, unit in zip(w["owners"], w["units"], strict=True):
        elector = electors.get(user=owner)
        assert (elector.area_m2, elector.unit_count) == (unit.area_register, 1)
        assert elector.label.startswith("业") and "*" in elector.label  # the posted name is masked
    assert ElectorateUnit.objects.filter(meeting=meeting).count() == 15
    from committees.selectors import electorate_total

    assert electorate_total(meeting) == tally.Votes(12, TOTAL_AREA)


def test_a_co_owner_who_is_not_the_designated_voter_adds_no_elector(meeting_world):
    w = meeting_world
    co_owner = factories.OwnershipFactory(unit=w["units"][0], is_voter=False).user
    meeting = published_assembly(w, open_voting=False)
    electors = Elector.objects.filter(meeting=meeting)
    assert electors.count() == 12
    assert not electors.filter(user=co_owner).exists()
    assert electors.get(user=w["owners"][0]).area_m2 == D("80.00")


def test_unverified_and_ended_ownerships_are_left_out(meeting_world):
    w = meeting_world
    Ownership.objects.filter(user=w["owners"][9]).update(status=Ownership.Status.CLAIMED, verified_at=None)
    Ownership.objects.filter(user=w["owners"][8]).update(end=timezone.localdate() - timedelta(days=1))
    meeting = published_assembly(w, open_voting=False)
    assert Elector.objects.filter(meeting=meeting).count() == 10
    assert not Elector.objects.filter(meeting=meeting, user__in=w["owners"][8:]).exists()


def test_a_committee_meeting_votes_by_its_current_members(meeting_world):
    w = meeting_world
    now = timezone.now()
    meeting = services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind=Meeting.Kind.COMMITTEE, title="业委会例会", convener="committee",
        starts_at=now + timedelta(days=2), vote_opens_at=now + timedelta(days=1), vote_closes_at=now + timedelta(days=2),
    )
    services.item_add(meeting=meeting, actor=w["chair"], title="楼道灯", proposer="committee", rule=tally.HOUSEHOLD_MAJORITY)
    services.meeting_publish_notice(meeting=meeting, actor=w["chair"])
    assert set(Elector.objects.filter(meeting=meeting).values_list("user_id", flat=True)) == {u.pk for u in w["owners"][:5]}


# --- 从众: frozen at the notice ---------------------------------------------------------------------


def test_the_non_voter_clause_is_frozen_at_the_notice_and_reported_beside_the_strict_result(
    meeting_world, django_capture_on_commit_callbacks
):
    w = meeting_world
    compound = w["compound"]
    compound.count_non_voters_with_majority = True
    compound.save()
    meeting = published_assembly(w)
    assert meeting.non_voters_follow_majority is True
    compound.count_non_voters_with_majority = False  # changed after the notice: changes nothing
    compound.save()
    item = meeting.items.get()
    vote(item, w["owners"][:7], "yes")  # 7 of 12 owners take part: the gate (8) is not met
    assert close(end_now(meeting), django_capture_on_commit_callbacks)

    item.refresh_from_db()
    assert item.result["passed"] is False and item.passed is False
    assert item.result["reason"] == tally.NO_PARTICIPATION
    clause = item.result["clause"]
    assert clause["passed"] is True and clause["yes"]["count"] == 12
    assert clause["yes"]["area"] == f"{TOTAL_AREA:.2f}"


def test_a_clause_switched_on_after_the_notice_is_not_applied(meeting_world, django_capture_on_commit_callbacks):
    w = meeting_world
    meeting = published_assembly(w)
    assert meeting.non_voters_follow_majority is False
    w["compound"].count_non_voters_with_majority = True
    w["compound"].save()
    vote(meeting.items.get(), w["owners"][:7], "yes")
    close(end_now(meeting), django_capture_on_commit_callbacks)
    item = meeting.items.get()
    assert item.result["passed"] is False and item.result["clause"] is None


# --- closing --------------------------------------------------------------------------------------


def test_the_close_waits_for_the_deadline_then_stores_results_once(meeting_world, django_capture_on_commit_callbacks):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    majority, supermajority = meeting.items.order_by("position")
    voters = [*w["owners"][:8], w["double_owner"], w["developer"]]  # 10 of 12, 1,256 of 1,450 m²
    vote(majority, voters, "yes")
    vote(supermajority, [*w["owners"][:7], w["double_owner"]], "yes")  # 8 of 10 owners, 802 of 1,256 m²
    vote(supermajority, [w["owners"][7], w["developer"]], "no")

    assert close(meeting, django_capture_on_commit_callbacks) is False  # the deadline is ahead
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.NOTICED and meeting.result_published_at is None
    assert majority.__class__.objects.get(pk=majority.pk).result is None

    end_now(meeting)
    assert close(meeting, django_capture_on_commit_callbacks) is True
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED and meeting.result_published_at is not None
    majority.refresh_from_db()
    supermajority.refresh_from_db()
    assert majority.passed is True and majority.result["reason"] == tally.PASSED
    assert majority.result["participation"] == {"count": 10, "area": "1256.00"}
    assert majority.result["participation_met"] is True
    assert supermajority.passed is False
    assert supermajority.result["reason"] == tally.NOT_ENOUGH_AREA  # 8 of 10 owners, but 802 of 1,256 m² < 3/4
    assert supermajority.result["yes"] == {"count": 8, "area": "802.00"}

    published_at, results = meeting.result_published_at, (majority.result, supermajority.result)
    assert close(meeting, django_capture_on_commit_callbacks) is False  # idempotent
    meeting.refresh_from_db()
    majority.refresh_from_db()
    supermajority.refresh_from_db()
    assert meeting.result_published_at == published_at and (majority.result, supermajority.result) == results
    assert AuditEvent.objects.filter(action="meeting.close", target_id=str(meeting.pk)).count() == 1
    key = f"meeting:{meeting.pk}:result"
    assert Notification.objects.filter(key=key, user=w["owners"][0]).count() == 1
    assert Notification.objects.filter(key=key, user=w["developer"]).count() == 1
    assert not Notification.objects.filter(key=key, user=w["outsider"]).exists()
    # Late ballots are refused.
    with refused("conflict"):
        services.vote_online(item=majority, actor=w["owners"][9], choice="yes")


def test_the_close_sweeper_closes_only_what_is_due(meeting_world, django_capture_on_commit_callbacks):
    w = meeting_world
    due, ahead = published_assembly(w), published_assembly(w)
    end_now(due)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.meetings_close_due() == 1
        assert services.meetings_close_due() == 0
    due.refresh_from_db()
    ahead.refresh_from_db()
    assert (due.status, ahead.status) == (Meeting.Status.CLOSED, Meeting.Status.NOTICED)


def test_only_conveners_close_by_hand(meeting_world):
    w = meeting_world
    meeting = end_now(published_assembly(w))
    with refused("forbidden"):
        services.meeting_close(meeting=meeting, actor=w["owners"][9])
    assert services.meeting_close(meeting=meeting, actor=w["community_staff"]) is True


# --- elections ------------------------------------------------------------------------------------


def election_meeting(w, party=()):
    for i in party:
        w["owners"][i].is_party_member = True
        w["owners"][i].save()
    meeting = published_assembly(w, matters=(), election_seats=5)
    item = meeting.items.get()
    return meeting, item, list(item.candidates.order_by("position"))


def mark(item, user, candidates):
    services.vote_online(item=item, actor=user, candidate_ids=[c.pk for c in candidates])


def test_an_election_fills_the_seats_with_the_top_five_who_pass(meeting_world, django_capture_on_commit_callbacks):
    w = meeting_world
    meeting, item, cands = election_meeting(w, party=(0, 1, 2))
    o = w["owners"]
    # Each voter marks five of six. Candidate 4 is dropped by 3 voters (98 + 200 + 360 m²), candidate 5 by
    # four (90–96 m²), candidate 6 by the five smallest owners (80–88 m²): all six pass the double majority
    # (9, 8 and 7 of 12 owners; 792, 1,078 and 1,030 of 1,450 m²), and the top five by owners fill the seats.
    drops = {cands[3]: [o[9], w["double_owner"], w["developer"]], cands[4]: o[5:9], cands[5]: o[:5]}
    for dropped, users in drops.items():
        for user in users:
            mark(item, user, [c for c in cands if c != dropped])
    with refused(field=f"item_{item.pk}"):
        services.vote_online(item=item, actor=w["owners"][0], candidate_ids=[c.pk for c in cands])  # 6 marks > 5 seats
    close(end_now(meeting), django_capture_on_commit_callbacks)
    item.refresh_from_db()
    result = item.result
    assert item.passed is True and result["valid_committee"] is True
    assert result["elected"] == [str(c.pk) for c in cands[:5]]
    by_candidate = {row["candidate"]: row for row in result["candidates"]}
    assert [(row["yes"]["count"], row["passed"], row["elected"]) for row in result["candidates"]] == [
        (12, True, True), (12, True, True), (12, True, True), (9, True, True), (8, True, True), (7, True, False),
    ]
    assert by_candidate[str(cands[5].pk)]["yes"]["area"] == "1030.00"
    assert by_candidate[str(cands[0].pk)]["name"] == w["owners"][0].real_name
    assert result["party_members_elected"] == 3 and result["party_share_warning"] is False


def test_fewer_than_five_elected_is_no_valid_committee_and_a_party_share_warning(
    meeting_world, django_capture_on_commit_callbacks
):
    w = meeting_world
    meeting, item, cands = election_meeting(w, party=(0,))
    everyone = [*w["owners"], w["double_owner"], w["developer"]]
    for n, user in enumerate(everyone):
        mark(item, user, cands[:4] if n < 9 else [])  # only four candidates get a majority; 3 blank ballots
    close(end_now(meeting), django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.passed is False
    assert item.result["valid_committee"] is False and item.result["reason"] == tally.TOO_FEW_ELECTED
    assert item.result["elected"] == [str(c.pk) for c in cands[:4]]
    assert item.result["participation"]["count"] == 12  # blank ballots take part
    assert item.result["party_members_elected"] == 1 and item.result["party_share_warning"] is True


# --- petitions ------------------------------------------------------------------------------------


def test_a_petition_triggers_at_20_percent_of_the_owners_and_the_developer_never_counts(
    meeting_world, django_capture_on_commit_callbacks
):
    w = meeting_world
    for _ in range(3):  # 13 owners + the developer counted once = 15 owner keys; 20% is exactly 3
        factories.OwnershipFactory(unit=factories.UnitFactory(building=w["building"]))
    factories.OwnershipFactory(unit=w["units"][2], is_voter=False)  # a co-owner: no extra owner
    with django_capture_on_commit_callbacks(execute=True):
        petition = services.petition_start(compound=w["compound"], actor=w["owners"][1], title="改选业委会")
        assert (petition.status, petition.owners_total) == (AssemblyPetition.Status.OPEN, 15)
        petition = services.petition_sign(petition=petition, actor=w["developer"])  # never counts
        assert petition.status == AssemblyPetition.Status.OPEN
        petition = services.petition_sign(petition=petition, actor=w["owners"][2])
        assert petition.status == AssemblyPetition.Status.OPEN  # 2 of 15
        with refused("conflict"):
            services.petition_sign(petition=petition, actor=w["owners"][2])
        with refused("forbidden"):
            services.petition_sign(petition=petition, actor=w["outsider"])
        petition = services.petition_sign(petition=petition, actor=w["double_owner"])  # 3 of 15 = exactly 20%
    assert petition.status == AssemblyPetition.Status.TRIGGERED and petition.triggered_at
    assert AuditEvent.objects.filter(action="petition.triggered", target_id=str(petition.pk)).count() == 1
    told = set(Notification.objects.filter(key=f"petition:{petition.pk}:triggered").values_list("user_id", flat=True))
    assert told == {u.pk for u in w["owners"][:5]} | {w["secretary"].pk, w["community_staff"].pk}

    meeting = draft_assembly(w)
    with refused("forbidden"):
        services.petition_convened(petition=petition, meeting=meeting, actor=w["owners"][9])
    petition = services.petition_convened(petition=petition, meeting=meeting, actor=w["chair"])
    assert (petition.status, petition.meeting) == (AssemblyPetition.Status.CONVENED, meeting)


def test_a_petition_counts_owners_the_way_the_assembly_does(meeting_world):
    """12 electors at an assembly (the developer once, the owner of two units once): 12 owner keys."""
    from committees.services.followup import compound_owner_keys

    w = meeting_world
    factories.OwnershipFactory(unit=w["units"][0], is_voter=False)  # a co-owner votes through the designated voter
    keys = compound_owner_keys(w["compound"])
    meeting = published_assembly(w, open_voting=False)
    assert keys == set(Elector.objects.filter(meeting=meeting).values_list("key", flat=True))
    assert len(keys) == 12
    petition = services.petition_start(compound=w["compound"], actor=w["owners"][0], title="提前换届")
    services.petition_sign(petition=petition, actor=w["owners"][1])
    petition.refresh_from_db()
    assert petition.status == AssemblyPetition.Status.OPEN  # 2 of 12 < 20%
    co_owner = factories.OwnershipFactory(unit=w["units"][5], is_voter=False).user
    services.petition_sign(petition=petition, actor=co_owner)  # signs through the unit's designated voter
    petition.refresh_from_db()
    assert petition.status == AssemblyPetition.Status.OPEN and petition.owners_total == 12
    services.petition_sign(petition=petition, actor=w["owners"][2])
    petition.refresh_from_db()
    assert petition.status == AssemblyPetition.Status.TRIGGERED  # 3 of 12 ≥ 20%


# --- follow-up ------------------------------------------------------------------------------------


def test_a_resolution_task_becomes_a_case_once(meeting_world, django_capture_on_commit_callbacks):
    w = meeting_world
    meeting = published_assembly(w)
    close(end_now(meeting), django_capture_on_commit_callbacks)
    with refused("forbidden"):
        services.action_create(meeting=meeting, actor=w["owners"][9], title="x", party="committee",
                               due_date=timezone.localdate())
    action = services.action_create(
        meeting=meeting, actor=w["chair"], title="更换3栋楼梯扶手", party=ActionItem.Party.PROPERTY_COMPANY,
        due_date=timezone.localdate() + timedelta(days=30), description="3栋1-6层扶手锈蚀", item=meeting.items.get(),
        assignee=w["owners"][1],
    )
    action = services.action_to_case(action=action, actor=w["chair"], category="facilities")
    complaint = Complaint.objects.get(pk=action.complaint_id)
    assert complaint.compound == w["compound"] and complaint.title == "更换3栋楼梯扶手"
    assert "3栋1-6层扶手锈蚀" in complaint.description
    with refused("conflict"):
        services.action_to_case(action=action, actor=w["chair"], category="facilities")
    assert Complaint.objects.count() == 1

    row = services.contribution_record(action=action, actor=w["chair"], contributor="3栋201", pledged=D("200"), paid=D("0"))
    services.contribution_record(action=action, actor=w["chair"], contributor="3栋201", pledged=D("200"), paid=D("200"))
    row.refresh_from_db()
    assert (row.pledged, row.paid) == (D("200.00"), D("200.00")) and action.contributions.count() == 1
    with refused(field="paid"):
        services.contribution_record(action=action, actor=w["chair"], contributor="3栋202", pledged=D("1"), paid=D("-1"))
    done = services.action_complete(action=action, actor=w["owners"][1])  # the assignee
    assert done.status == ActionItem.Status.DONE and done.done_at
    with refused("conflict"):
        services.action_complete(action=action, actor=w["chair"])


# --- objections and corrections -------------------------------------------------------------------


def test_objections_are_taken_until_voting_opens_and_answered_once(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    with refused("forbidden"):
        services.objection_raise(meeting=meeting, actor=w["outsider"], text="我家面积不对")
    with refused(field="text"):
        services.objection_raise(meeting=meeting, actor=w["owners"][3], text="  ")
    objection = services.objection_raise(meeting=meeting, actor=w["owners"][3], text="我家面积不对", unit=w["units"][3])
    with refused("forbidden"):
        services.objection_answer(objection=objection, actor=w["owners"][9], accept=True, response="好")
    objection = services.objection_answer(objection=objection, actor=w["chair"], accept=True, response="已核实，更正")
    assert objection.status == ElectorateObjection.Status.ACCEPTED and objection.resolved_by == w["chair"]
    with refused("conflict"):
        services.objection_answer(objection=objection, actor=w["chair"], accept=False, response="改主意")
    open_now(meeting)
    with refused("forbidden"):
        services.objection_raise(meeting=meeting, actor=w["owners"][4], text="太晚了")


def test_a_correction_logs_before_and_after_and_updates_the_electors_sums(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    unit = w["units"][3]  # 86 m², owners[3]
    objection = services.objection_raise(meeting=meeting, actor=w["owners"][3], text="面积应为88.5", unit=unit)
    with refused(field="reason"):
        services.electorate_correct(meeting=meeting, actor=w["chair"], unit=unit, reason=" ", area_m2=D("88.50"))
    with refused("forbidden"):  # an owner who is not on the committee
        services.electorate_correct(meeting=meeting, actor=w["owners"][7], unit=unit, reason="x", area_m2=D("88.50"))
    correction = services.electorate_correct(meeting=meeting, actor=w["chair"], unit=unit, reason="按不动产登记更正",
                                             area_m2=D("88.50"), objection=objection)
    key = f"u:{w['owners'][3].pk}"
    assert correction.before == {"elector": key, "area_m2": "86.00"}
    assert correction.after == {"elector": key, "area_m2": "88.50"}
    assert Elector.objects.get(meeting=meeting, key=key).area_m2 == D("88.50")
    audit = AuditEvent.objects.get(action="electorate.correct", target_id=str(meeting.pk))
    assert audit.data["before"] == correction.before and audit.data["after"] == correction.after
    elsewhere = published_assembly(w, open_voting=False)
    foreign = services.objection_raise(meeting=elsewhere, actor=w["owners"][3], text="另一次会议", unit=unit)
    with refused(field="objection"):  # an objection to another meeting's list cannot justify this correction
        services.electorate_correct(meeting=meeting, actor=w["chair"], unit=unit, reason="x", area_m2=D("90"),
                                    objection=foreign)
    with refused(field="reason"):  # nothing changed: nothing logged
        services.electorate_correct(meeting=meeting, actor=w["chair"], unit=unit, reason="再改一次", area_m2=D("88.50"))
    assert ElectorateCorrection.objects.count() == 1

    # The owner of 3栋204 sold it to the owner of two units: the vote moves, the seller drops out.
    seller = w["owners"][4]
    Ownership.objects.filter(user=seller).update(end=timezone.localdate() - timedelta(days=1))
    factories.OwnershipFactory(unit=w["units"][4], user=w["double_owner"])
    correction = services.electorate_correct(meeting=meeting, actor=w["chair"], unit=w["units"][4], reason="过户",
                                             resync_owner=True)
    assert correction.before["elector"] == f"u:{seller.pk}"
    assert correction.after == {"elector": f"u:{w['double_owner'].pk}", "area_m2": "88.00"}
    assert not Elector.objects.filter(meeting=meeting, user=seller).exists()
    double = Elector.objects.get(meeting=meeting, user=w["double_owner"])
    assert (double.area_m2, double.unit_count) == (D("288.00"), 3)
    from committees.selectors import electorate_total

    assert electorate_total(meeting) == tally.Votes(11, TOTAL_AREA + D("2.50"))

    open_now(meeting)
    with refused("conflict"):
        services.electorate_correct(meeting=meeting, actor=w["chair"], unit=unit, reason="投票后", area_m2=D("90"))


def test_ballots_are_counted_with_the_corrected_area(meeting_world, django_capture_on_commit_callbacks):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    services.electorate_correct(meeting=meeting, actor=w["chair"], unit=w["units"][0], reason="测绘面积", area_m2=D("100"))
    open_now(meeting)
    item = meeting.items.get()
    services.vote_online(item=item, actor=w["owners"][0], choice="yes")
    close(end_now(meeting), django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.result["yes"] == {"count": 1, "area": "100.00"}
    assert item.result["total"] == {"count": 12, "area": f"{TOTAL_AREA + 20:.2f}"}
    assert Ballot.objects.get().elector.area_m2 == D("100.00")

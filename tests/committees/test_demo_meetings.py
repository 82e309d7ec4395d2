"""The demo committees and meetings: every stage present, the documented accounts can act on them."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from committees import permissions, selectors
from committees.demo import CHAIR_PHONE
from committees.models import ActionItem, Ballot, CommitteeMember, Meeting
from governance.demo import DEMO_PASSWORD
from residents.models import User


@pytest.fixture
def seeded(db):
    call_command("seed_demo", scale="tiny", stdout=StringIO())


def test_demo_has_a_meeting_in_every_stage_with_published_results(seeded):
    statuses = set(Meeting.objects.values_list("status", flat=True))
    assert statuses == {"draft", "noticed", "closed"}
    closed = Meeting.objects.filter(status="closed")
    assert {m.kind for m in closed} == {"assembly", "building"}
    for meeting in closed:
        assert meeting.result_published_at and meeting.minutes_published_at
        for item in meeting.items.all():
            assert item.result["participation"]["count"] > 0 and item.passed is not None
            # the stored result is what the database tally gives today
            assert item.result == selectors.item_outcome_dict(item)


def test_the_chair_account_logs_in_and_convenes_in_her_compound(seeded):
    chair = User.objects.get(phone=CHAIR_PHONE)
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username=CHAIR_PHONE, password=DEMO_PASSWORD) == chair
    seat = CommitteeMember.objects.current().get(user=chair)
    assert seat.position == "chair"
    assert permissions.can_convene(chair, seat.committee.compound)
    assert Meeting.objects.visible_to(chair).filter(status="draft").exists()


def test_wang_xiuying_can_vote_in_the_open_assembly_and_has_not_yet(seeded):
    wang = User.objects.get(phone="13800000008")
    open_meeting = Meeting.objects.voting_open().get()
    assert permissions.can_vote(wang, open_meeting)
    assert not Ballot.objects.filter(item__meeting=open_meeting, elector__user=wang).exists()
    assert Ballot.objects.filter(item__meeting=open_meeting).exists()  # others have voted: participation is live


def test_the_building_meeting_has_tasks_for_three_parties_and_a_ledger(seeded):
    actions = ActionItem.objects.filter(meeting__kind="building")
    assert set(actions.values_list("party", flat=True)) == {"party_branch", "committee", "property_company"}
    ledger = actions.get(party="committee").contributions.all()
    assert ledger.count() > 5 and any(row.paid < row.pledged for row in ledger) and any(row.paid == row.pledged for row in ledger)

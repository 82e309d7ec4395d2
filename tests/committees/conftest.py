"""A compound with owners, a committee, a party secretary, community staff and two tellers.

`meeting_world` gives 10 owners of one unit each (80–98 m²), plus one owner of two units and the
developer with three unsold units: 12 electors at an assembly. Builders publish a meeting and then
move its voting window to "now" (the 15-day notice rule is tested on its own).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from committees import services
from committees.models import AgendaItem, CommitteeMember, Meeting, OwnersCommittee
from governance.models import Role

from .. import factories


@pytest.fixture
def meeting_world(db, make_staff):
    community = factories.CommunityFactory()
    compound = factories.CompoundFactory(community=community, name="八一新村")
    building = factories.BuildingFactory(compound=compound, name="3栋")
    other_building = factories.BuildingFactory(compound=compound, name="5栋")
    owners, units = [], []
    for i in range(10):
        unit = factories.UnitFactory(building=building, number=f"{201 + i}", area_register=Decimal(80 + 2 * i))
        owners.append(factories.OwnershipFactory(unit=unit, user__real_name=f"业主{i}").user)
        units.append(unit)
    double = factories.UserFactory(real_name="两套房")
    for number in ("301", "302"):
        unit = factories.UnitFactory(building=other_building, number=number, area_register=Decimal("100.00"))
        factories.OwnershipFactory(unit=unit, user=double)
    developer = factories.UserFactory(real_name="开发商")
    for number in ("401", "402", "403"):
        unit = factories.UnitFactory(building=other_building, number=number, area_register=Decimal("120.00"))
        factories.OwnershipFactory(unit=unit, user=developer, is_developer=True)
    committee = OwnersCommittee.objects.create(
        compound=compound, name="八一新村业委会", term_start=timezone.localdate() - timedelta(days=300),
        term_end=timezone.localdate() + timedelta(days=1500),
    )
    for user, position in zip(owners[:5], ["chair", "vice_chair", "member", "member", "member"], strict=True):
        CommitteeMember.objects.create(committee=committee, user=user, position=position)
    return {
        "community": community, "compound": compound, "building": building, "other_building": other_building,
        "owners": owners, "units": units, "double_owner": double, "developer": developer, "committee": committee,
        "chair": owners[0], "tellers": [factories.UserFactory(real_name="计票员甲"), factories.UserFactory(real_name="计票员乙")],
        "secretary": make_staff(Role.PARTY_SECRETARY, compound, real_name="党支部书记"),
        "community_staff": make_staff(Role.COMMUNITY_STAFF, community, real_name="社区干部"),
        "outsider": factories.OwnershipFactory().user,
    }


def open_now(meeting: Meeting, *, closes_in: timedelta = timedelta(days=3)) -> Meeting:
    """Move a published meeting's voting window so that voting is open now."""
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(vote_opens_at=now - timedelta(minutes=1), vote_closes_at=now + closes_in)
    meeting.refresh_from_db()
    return meeting


def end_now(meeting: Meeting) -> Meeting:
    """Move the voting deadline into the past so the meeting is due to close."""
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(vote_opens_at=now - timedelta(days=2), vote_closes_at=now - timedelta(seconds=1))
    meeting.refresh_from_db()
    return meeting


def published_assembly(w, *, matters=(4,), election_seats: int | None = None, open_voting: bool = True) -> Meeting:
    """Create an assembly with one item per matter (and an election if seats are given), publish it."""
    now = timezone.now()
    meeting = services.meeting_create(
        actor=w["chair"], compound=w["compound"], kind=Meeting.Kind.ASSEMBLY, title="2026年第一次业主大会",
        convener=Meeting.Convener.COMMITTEE, starts_at=now + timedelta(days=20), place="小区活动室",
        vote_opens_at=now + timedelta(days=16), vote_closes_at=now + timedelta(days=23),
    )
    for matter in matters:
        services.item_add(meeting=meeting, actor=w["chair"], title=f"第{matter}项事项", proposer="committee", matter=matter)
    if election_seats:
        item = services.item_add(meeting=meeting, actor=w["chair"], title="选举业委会委员", proposer="committee",
                                 kind=AgendaItem.Kind.ELECTION, seats=election_seats)
        for owner in w["owners"][: election_seats + 1]:
            services.candidate_add(item=item, actor=w["chair"], user=owner)
    services.tellers_set(meeting=meeting, actor=w["chair"], tellers=w["tellers"])
    services.meeting_publish_notice(meeting=meeting, actor=w["chair"])
    meeting.refresh_from_db()
    return open_now(meeting) if open_voting else meeting

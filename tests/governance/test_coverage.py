"""Governance coverage (issue 6 §3): figures on built data, in a constant number of queries."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from committees.models import AgendaItem, CommitteeMember, Meeting, OwnersCommittee
from governance.dashboards.coverage import coverage_for
from governance.models import Compound, PartyOrganisation
from residents.models import PartyMembership

from .. import factories

pytestmark = pytest.mark.django_db


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def _committee(compound, *, members: int, party: int, status=OwnersCommittee.Status.ACTIVE):
    committee = OwnersCommittee.objects.create(
        compound=compound, name=f"{compound.name}业委会", status=status,
        term_start=date(2024, 1, 1), term_end=date(2029, 1, 1),
    )
    branch_org = PartyOrganisation.objects.filter(compound=compound).first()
    for i in range(members):
        user = factories.UserFactory(is_party_member=(i < party and i % 2 == 0))
        if i < party and i % 2 == 1:  # the other half are members through a current party membership
            org = branch_org or PartyOrganisation.objects.create(
                kind=PartyOrganisation.Kind.COMMUNITY_COMMITTEE, name="社区党委", community=compound.community)
            PartyMembership.objects.create(user=user, organisation=org)
        CommitteeMember.objects.create(committee=committee, user=user)
    return committee


def _closed_meeting(compound, *, published: date, turnouts: list[tuple[int, int]], status=Meeting.Status.CLOSED):
    author = factories.UserFactory()
    meeting = Meeting.objects.create(
        compound=compound, kind=Meeting.Kind.ASSEMBLY, title="业主大会", convener=Meeting.Convener.COMMITTEE,
        created_by=author, starts_at=_at(published - timedelta(days=20)), status=status,
        notice_published_at=_at(published - timedelta(days=40)),
        vote_opens_at=_at(published - timedelta(days=20)), vote_closes_at=_at(published, 9),
        result_published_at=_at(published) if status == Meeting.Status.CLOSED else None,
    )
    for position, (taken, total) in enumerate(turnouts, start=1):
        AgendaItem.objects.create(
            meeting=meeting, position=position, title=f"事项{position}", proposer=AgendaItem.Proposer.COMMITTEE,
            proposed_by=author, rule=AgendaItem.Rule.HOUSEHOLD_MAJORITY,
            result={"participation": {"count": taken, "area": "0"}, "total": {"count": total, "area": "0"}},
        )
    return meeting


@pytest.fixture
def world():
    community = factories.CommunityFactory()
    compounds = [factories.CompoundFactory(community=community) for _ in range(4)]
    a, b, c, d = compounds
    for compound in (a, b, c):
        PartyOrganisation.objects.create(kind=PartyOrganisation.Kind.COMPOUND_BRANCH, name=f"{compound.name}党支部",
                                         compound=compound)
    # a property-service branch does not make a compound branch
    PartyOrganisation.objects.create(kind=PartyOrganisation.Kind.PROPERTY_BRANCH, name="物业党支部", compound=d,
                                     property_company=factories.PropertyCompanyFactory())
    _committee(a, members=5, party=3)
    _committee(b, members=5, party=1)
    _committee(c, members=7, party=7, status=OwnersCommittee.Status.ENDED)  # not in office: not counted
    left = CommitteeMember.objects.filter(committee__compound=a).order_by("id").last()
    left.end = date(2025, 1, 1)  # a member who left (not a party member): not counted
    left.save()
    _closed_meeting(a, published=date(2025, 3, 10), turnouts=[(80, 100), (60, 100)])
    _closed_meeting(b, published=date(2025, 5, 10), turnouts=[(10, 40)])
    _closed_meeting(b, published=date(2024, 5, 10), turnouts=[(1, 40)])  # outside the range
    return compounds


def test_coverage_figures_on_built_data(world):
    cov = coverage_for(Compound.objects.filter(pk__in=[c.pk for c in world]), date(2025, 1, 1), date(2025, 12, 31))
    assert cov["compounds"] == 4
    assert (cov["committee"]["count"], cov["committee"]["of"], cov["committee"]["rate"]) == (2, 4, 50.0)
    assert (cov["party_branch"]["count"], cov["party_branch"]["rate"], cov["party_branch"]["met"]) == (3, 75.0, False)
    # current members: a has 4 (3 in the party), b has 5 (1 in the party) -> 4 / 9
    assert (cov["party_share"]["count"], cov["party_share"]["of"], cov["party_share"]["rate"]) == (4, 9, 44.4)
    assert cov["party_share"]["target"] == 50 and cov["party_share"]["met"] is False
    assert cov["meetings_held"] == 2
    assert cov["votes_closed"] == 3
    assert cov["turnout"] == pytest.approx((80 + 60 + 25) / 3, abs=0.05)


def test_coverage_of_a_subset_and_without_range(world):
    a = world[0]
    cov = coverage_for(Compound.objects.filter(pk=a.pk))
    assert cov["compounds"] == 1 and cov["party_branch"]["met"] is True
    assert cov["party_share"]["rate"] == 75.0 and cov["party_share"]["met"] is True
    assert cov["meetings_held"] == 1 and cov["votes_closed"] == 2 and cov["turnout"] == 70.0


def test_coverage_of_nothing_shows_dashes():
    cov = coverage_for(Compound.objects.none())
    assert cov["compounds"] == 0 and cov["party_branch"]["rate"] is None and cov["turnout"] is None


def test_coverage_costs_four_queries_at_two_sizes(world, django_assert_num_queries):
    compounds = Compound.objects.all()
    with django_assert_num_queries(4):
        coverage_for(compounds, date(2025, 1, 1), date(2025, 12, 31))
    for compound in world:
        _closed_meeting(compound, published=date(2025, 6, 1), turnouts=[(5, 10)] * 3)
        _committee(factories.CompoundFactory(community=compound.community), members=6, party=4)
    with django_assert_num_queries(4):
        coverage_for(Compound.objects.all(), date(2025, 1, 1), date(2025, 12, 31))


def test_coverage_partial_renders(world, rf):
    from django.template.loader import render_to_string

    html = render_to_string("dashboards/_coverage.html", {"coverage": coverage_for(Compound.objects.all())})
    assert 'id="coverage-party_branch"' in html and "75.0%" in html

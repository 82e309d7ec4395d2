"""The tally over the database (committees.selectors) agrees with the pure engine, in a fixed number of queries.

Electorates and ballots are written straight into the tables (bulk_create) so that random electorates
of any size are quick to build; the services are tested elsewhere.
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from committees import selectors, tally
from committees.models import AgendaItem, Ballot, BallotMark, Candidate, Elector, Meeting

from .. import factories

pytestmark = pytest.mark.django_db
RULE_MATTER = {tally.MAJORITY: 4, tally.SUPERMAJORITY: 6, tally.HOUSEHOLD_MAJORITY: None, tally.CONSENSUS: None}
_codes = iter(range(10**9))


def code() -> str:
    return f"T{next(_codes):010d}"


@pytest.fixture
def place(db):
    compound = factories.CompoundFactory()
    return {"compound": compound, "user": factories.UserFactory()}


def meeting_with_electorate(place, areas: list[Decimal], *, clause: bool = False) -> tuple[Meeting, list[Elector]]:
    now = timezone.now()
    meeting = Meeting.objects.create(
        compound=place["compound"], kind=Meeting.Kind.ASSEMBLY, title="随机", convener=Meeting.Convener.COMMITTEE,
        created_by=place["user"], starts_at=now, vote_opens_at=now - timedelta(days=1), vote_closes_at=now + timedelta(days=1),
        status=Meeting.Status.NOTICED, notice_published_at=now - timedelta(days=20), non_voters_follow_majority=clause,
    )
    electors = Elector.objects.bulk_create(
        [Elector(meeting=meeting, key=f"e{i}", label=f"业{i}", area_m2=area, unit_count=1) for i, area in enumerate(areas)],
        batch_size=5000,
    )
    return meeting, electors


def add_item(meeting, place, *, rule=tally.MAJORITY, position=1, seats=None) -> AgendaItem:
    kind = AgendaItem.Kind.ELECTION if seats else AgendaItem.Kind.QUESTION
    return AgendaItem.objects.create(
        meeting=meeting, position=position, kind=kind, title=f"议题{position}", proposer="committee",
        proposed_by=place["user"], matter=3 if seats else RULE_MATTER[rule], rule=tally.MAJORITY if seats else rule, seats=seats,
    )


def cast(item, place, ballots: dict[Elector, str], *, set_aside: dict[Elector, str] | None = None) -> None:
    """Write valid ballots, and (optionally) superseded / rejected ones that must not count."""
    rows = [Ballot(item=item, elector=e, channel="online", choice=c, cast_by=place["user"], receipt_code=code())
            for e, c in ballots.items()]
    for e, c in (set_aside or {}).items():
        status = random.choice([Ballot.Status.SUPERSEDED, Ballot.Status.REJECTED])
        rows.append(Ballot(item=item, elector=e, channel="paper", choice=c, status=status, status_reason="测试",
                           cast_by=place["user"], receipt_code=code()))
    Ballot.objects.bulk_create(rows, batch_size=5000)


def random_areas(rng: random.Random, n: int) -> list[Decimal]:
    # Mostly ordinary flats, some large holdings (an owner of several units, the developer).
    return [Decimal(rng.randint(3000, 15000 if rng.random() < 0.9 else 80000)) / 100 for _ in range(n)]


def random_choices(rng: random.Random, electors: list[Elector]) -> dict[Elector, str]:
    turnout = rng.choice([0.0, 0.5, 0.66, 0.75, 0.9, 1.0])
    # yes / no / abstain: from a landslide either way to no objection at all (consensus).
    weights = [rng.choice([0.3, 1, 3, 10, 30]), rng.choice([0, 0.3, 1, 3]), rng.choice([0, 0.2, 1])]
    if not any(weights):
        weights[0] = 1
    return {e: rng.choices(tally.CHOICES, weights)[0] for e in electors if rng.random() < turnout}


CASES = [(seed, rule, clause) for seed in range(10) for rule in tally.RULES for clause in (False, True)
         if not (clause and rule not in tally.DOUBLE_MAJORITY_RULES)]


@pytest.mark.parametrize(("seed", "rule", "clause"), CASES)
def test_the_database_tally_agrees_with_the_engine(place, seed, rule, clause):
    rng = random.Random(f"{seed}-{rule}-{clause}")
    areas = random_areas(rng, rng.randint(1, 60))
    meeting, electors = meeting_with_electorate(place, areas, clause=clause)
    item = add_item(meeting, place, rule=rule)
    choices = random_choices(rng, electors)
    set_aside = {e: rng.choice(tally.CHOICES) for e in electors if rng.random() < 0.2}
    cast(item, place, choices, set_aside=set_aside)
    # A second item of the same meeting with other ballots must not leak into the first.
    other = add_item(meeting, place, rule=rule, position=2)
    cast(other, place, {e: tally.YES for e in electors})

    db = selectors.item_outcome(item)
    engine = tally.tally(
        rule=rule, electors={e.key: e.area_m2 for e in electors}, ballots={e.key: c for e, c in choices.items()},
        non_voters_follow_majority=clause,
    )
    assert db == engine
    assert (db.clause is not None) == (clause and rule in tally.DOUBLE_MAJORITY_RULES)
    assert selectors.participation(item) == engine.participation
    assert selectors.participation_by_item(meeting).get(item.pk, tally.Votes()) == engine.participation
    stored = selectors.item_outcome_dict(item)
    assert stored["passed"] is engine.passed and stored["reason"] == engine.reason


@pytest.mark.parametrize("seed", range(6))
def test_the_database_election_tally_agrees_with_the_engine(place, seed):
    rng = random.Random(seed)
    seats = rng.choice([5, 7])
    meeting, electors = meeting_with_electorate(place, random_areas(rng, rng.randint(5, 50)))
    item = add_item(meeting, place, seats=seats)
    n_candidates = seats + rng.randint(0, 3)
    candidates = Candidate.objects.bulk_create(
        [Candidate(item=item, user=factories.UserFactory(), position=i + 1) for i in range(n_candidates)]
    )
    favour = [rng.random() for _ in candidates]
    turnout = rng.choice([0.5, 0.7, 0.95])
    marked = {
        e: sorted(rng.sample(range(n_candidates), rng.randint(0, seats)), key=lambda i: -favour[i])[: rng.randint(0, seats)]
        for e in electors if rng.random() < turnout
    }
    cast(item, place, {e: "" for e in marked})
    ballots = {b.elector_id: b for b in Ballot.objects.filter(item=item)}
    BallotMark.objects.bulk_create(
        [BallotMark(ballot=ballots[e.pk], candidate=candidates[i]) for e, picks in marked.items() for i in picks]
    )
    db = selectors.item_outcome(item)
    engine = tally.tally_election(
        seats=seats, candidates=[str(c.pk) for c in candidates], electors={e.key: e.area_m2 for e in electors},
        ballots={e.key: [str(candidates[i].pk) for i in picks] for e, picks in marked.items()},
    )
    assert db == engine


def test_a_tie_for_the_last_seat_leaves_it_empty_in_the_database_tally_too(place):
    """Ten owners of 100 m² each mark five of six candidates: 10, 10, 10, 8, 6 and 6 marks."""
    meeting, electors = meeting_with_electorate(place, [Decimal("100.00")] * 10)
    item = add_item(meeting, place, seats=5)
    candidates = Candidate.objects.bulk_create(
        [Candidate(item=item, user=factories.UserFactory(), position=i + 1) for i in range(6)]
    )
    cast(item, place, {e: "" for e in electors})
    ballots = list(Ballot.objects.filter(item=item).order_by("elector_id"))
    picks = {i: [0, 1, 2, 3, 4] if i < 4 else [0, 1, 2, 3, 5] if i < 8 else [0, 1, 2, 4, 5] for i in range(10)}
    BallotMark.objects.bulk_create([BallotMark(ballot=ballots[i], candidate=candidates[c]) for i, p in picks.items() for c in p])
    outcome = selectors.item_outcome(item)
    keys = [str(c.pk) for c in candidates]
    assert [(r.yes.count, r.passed) for r in outcome.candidates] == [(10, True)] * 3 + [(8, True), (6, True), (6, True)]
    assert outcome.elected == keys[:4] and outcome.tie_at_last_seat == keys[4:]
    assert outcome.valid_committee is False
    engine = tally.tally_election(
        seats=5, candidates=keys, electors={e.key: e.area_m2 for e in electors},
        ballots={electors[i].key: [keys[c] for c in p] for i, p in picks.items()},
    )
    assert outcome == engine


# --- constant number of queries --------------------------------------------------------------------


def electorate_of(place, n: int, rng: random.Random):
    areas = random_areas(rng, n)
    meeting, electors = meeting_with_electorate(place, areas)
    item = add_item(meeting, place, rule=tally.MAJORITY)
    choices = {e: rng.choice(tally.CHOICES) for e in electors if rng.random() < 0.8}
    cast(item, place, choices)
    engine = tally.tally(rule=tally.MAJORITY, electors={e.key: e.area_m2 for e in electors},
                         ballots={e.key: c for e, c in choices.items()})
    return AgendaItem.objects.select_related("meeting").get(pk=item.pk), engine


def test_the_tally_of_20000_voters_runs_in_the_same_few_queries_as_of_10(place, django_assert_num_queries):
    rng = random.Random(20000)
    small, small_engine = electorate_of(place, 10, rng)
    big, big_engine = electorate_of(place, 20_000, rng)
    assert big_engine.total.count == 20_000 and big_engine.participation.count > 15_000

    queries = 2  # the electorate's sums, the valid ballots' sums by choice
    with django_assert_num_queries(queries):
        small_outcome = selectors.item_outcome(small)
    with django_assert_num_queries(queries):
        big_outcome = selectors.item_outcome(big)
    assert queries <= 3
    assert small_outcome == small_engine
    assert big_outcome == big_engine

    # What the close stores (without candidates' names for a question) costs the same.
    with django_assert_num_queries(queries):
        stored = selectors.item_outcome_dict(big)
    assert stored["participation"]["count"] == big_engine.participation.count
    # Live participation is a single query whatever the size.
    with django_assert_num_queries(1):
        assert selectors.participation_by_item(big.meeting)[big.pk] == big_engine.participation


def test_an_election_of_20000_voters_runs_in_the_same_few_queries_as_of_10(place, django_assert_num_queries):
    rng = random.Random(7)
    outcomes = []
    for n in (10, 20_000):
        meeting, electors = meeting_with_electorate(place, random_areas(rng, n))
        item = add_item(meeting, place, seats=5)
        candidates = Candidate.objects.bulk_create(
            [Candidate(item=item, user=factories.UserFactory(), position=i + 1) for i in range(6)]
        )
        marked = {e: rng.sample(range(6), rng.randint(0, 5)) for e in electors}
        cast(item, place, {e: "" for e in marked})
        ballots = {b.elector_id: b for b in Ballot.objects.filter(item=item).only("id", "elector_id")}
        BallotMark.objects.bulk_create(
            [BallotMark(ballot=ballots[e.pk], candidate=candidates[i]) for e, picks in marked.items() for i in picks],
            batch_size=10000,
        )
        item = AgendaItem.objects.select_related("meeting").get(pk=item.pk)
        with django_assert_num_queries(3):  # the electorate, the ballots, the candidates with their marks
            outcome = selectors.item_outcome(item)
        engine = tally.tally_election(
            seats=5, candidates=[str(c.pk) for c in candidates], electors={e.key: e.area_m2 for e in electors},
            ballots={e.key: [str(candidates[i].pk) for i in picks] for e, picks in marked.items()},
        )
        assert outcome == engine
        outcomes.append(outcome)
    assert outcomes[1].participation.count == 20_000

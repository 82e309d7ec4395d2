"""The engine against an independent, plain implementation in integer cents on random electorates.

The reference below uses nothing from committees.tally except the input types: owners are keyed by
hand, areas are integer cents, every rule is a plain comparison of integers.
"""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from committees import tally

CHOICES = ("yes", "no", "abstain")
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Areas in cents: a few round values make equal sums (and exact boundaries) frequent; the rest are random.
cents = st.one_of(st.sampled_from([100, 150, 200, 300, 1000, 8950, 12025]), st.integers(1, 2_000_000))


@st.composite
def electorates(draw):
    """Return (units, owner ballots, unit ballots): units are (id, cents, owner, developer_unsold)."""
    owners = [f"p{i}" for i in range(draw(st.integers(1, 12)))]
    same_area = draw(st.integers(0, 3)) == 0  # equal units: equal sums, exact boundaries and ties
    units = []
    for n in range(draw(st.integers(1, 25))):
        unsold = draw(st.integers(0, 9)) == 0
        units.append((f"u{n}", 10000 if same_area else draw(cents), draw(st.sampled_from(owners)), unsold))
    keys = sorted({"developer" if unsold else owner for _, _, owner, unsold in units})
    owner_ballots = {}
    for key in keys:
        choice = draw(st.sampled_from((None, *CHOICES)))
        if choice:
            owner_ballots[key] = choice
    unit_ballots = {}
    for unit_id, *_ in units:
        choice = draw(st.sampled_from((None, *CHOICES)))
        if choice:
            unit_ballots[unit_id] = choice
    return units, owner_ballots, unit_ballots


def unit_inputs(units):
    return [tally.UnitIn(uid, Decimal(c).scaleb(-2), owner, unsold) for uid, c, owner, unsold in units]


def owner_cents(units):
    """Owner key -> cents: the developer's unsold units are one owner; several units of an owner add up."""
    owners = {}
    for _, c, owner, unsold in units:
        key = "developer" if unsold else owner
        owners[key] = owners.get(key, 0) + c
    return owners


def to_cents(area: Decimal) -> int:
    value = area * 100
    assert value == int(value), area
    return int(value)


def reference(electors: dict, ballots: dict, rule: str, follow: bool = False) -> dict:
    """Count one item the plain way. `electors`: key -> cents; `ballots`: key -> choice."""
    n_all = len(electors)
    a_all = sum(electors.values())
    sums = {c: [0, 0] for c in CHOICES}
    for key, choice in ballots.items():
        sums[choice][0] += 1
        sums[choice][1] += electors[key]
    if follow:
        non_voters = [k for k in electors if k not in ballots]
        side = "yes" if sums["yes"][0] > sums["no"][0] else "no" if sums["no"][0] > sums["yes"][0] else None
        if side:
            sums[side][0] += len(non_voters)
            sums[side][1] += sum(electors[k] for k in non_voters)
    p_n = sum(s[0] for s in sums.values())
    p_a = sum(s[1] for s in sums.values())
    y_n, y_a = sums["yes"]
    gate = None
    if rule == "majority":
        gate = 3 * p_n >= 2 * n_all and 3 * p_a >= 2 * a_all
        passed = p_n > 0 and gate and 2 * y_n > p_n and 2 * y_a > p_a
    elif rule == "supermajority":
        gate = 3 * p_n >= 2 * n_all and 3 * p_a >= 2 * a_all
        passed = p_n > 0 and gate and 4 * y_n >= 3 * p_n and 4 * y_a >= 3 * p_a
    elif rule == "household_majority":
        passed = 2 * y_n > p_n
    else:
        passed = y_n > 0 and sums["no"][0] == 0
    return {
        "total": (n_all, a_all), "participation": (p_n, p_a), "yes": (y_n, y_a),
        "no": tuple(sums["no"]), "abstain": tuple(sums["abstain"]), "gate": gate, "passed": passed,
    }


def smallest(condition) -> int:
    """Return the smallest n >= 0 with condition(n), by walking up (the reference avoids ceil/floor)."""
    n = 0
    while not condition(n):
        n += 1
    return n


def smallest_cents(condition, hint: int) -> int:
    """Return the smallest cents value c >= 0 with condition(c), searching near `hint`."""
    c = max(0, hint - 3)
    while c > 0 and condition(c - 1):
        c -= 1
    while not condition(c):
        c += 1
    return c


def as_tuple(votes: tally.Votes) -> tuple[int, int]:
    return votes.count, to_cents(votes.area)


def assert_same(outcome: tally.Outcome, expected: dict) -> None:
    assert as_tuple(outcome.total) == expected["total"]
    assert as_tuple(outcome.participation) == expected["participation"]
    assert as_tuple(outcome.yes) == expected["yes"]
    assert as_tuple(outcome.no) == expected["no"]
    assert as_tuple(outcome.abstain) == expected["abstain"]
    assert outcome.participation_met == expected["gate"]
    assert outcome.passed == expected["passed"]
    assert (outcome.reason == tally.PASSED) == expected["passed"]


def assert_thresholds(outcome: tally.Outcome) -> None:
    """The displayed thresholds are exactly the least whole owners / cents that satisfy the rule."""
    t = outcome.thresholds
    n_all, a_all = as_tuple(outcome.total)
    p_n, p_a = as_tuple(outcome.participation)
    assert t.participation_count == smallest(lambda n: 3 * n >= 2 * n_all)
    assert to_cents(t.participation_area) == smallest_cents(lambda c: 3 * c >= 2 * a_all, a_all * 2 // 3)
    if outcome.rule == tally.MAJORITY:
        assert t.yes_strictly_more is True
        assert t.yes_count + 1 == smallest(lambda n: 2 * n > p_n)
        assert to_cents(t.yes_area) + 1 == smallest_cents(lambda c: 2 * c > p_a, p_a // 2)
    else:
        assert t.yes_strictly_more is False
        assert t.yes_count == smallest(lambda n: 4 * n >= 3 * p_n)
        assert to_cents(t.yes_area) == smallest_cents(lambda c: 4 * c >= 3 * p_a, p_a * 3 // 4)


@SETTINGS
@given(electorates(), st.sampled_from(range(1, 10)))
def test_civil_code_matters_agree_with_a_plain_count(data, matter):
    units, ballots, _ = data
    rule = tally.rule_for_matter(matter)
    assert rule == ("supermajority" if matter in (6, 7, 8) else "majority")
    electors = tally.electorate(unit_inputs(units))
    plain = owner_cents(units)
    assert {k: to_cents(v) for k, v in electors.items()} == plain
    outcome = tally.tally(rule=rule, electors=electors, ballots=ballots)
    assert_same(outcome, reference(plain, ballots, rule))
    assert_thresholds(outcome)
    assert outcome.clause is None


@SETTINGS
@given(electorates(), st.sampled_from(["majority", "supermajority"]))
def test_the_clause_agrees_with_a_plain_count(data, rule):
    units, ballots, _ = data
    electors = tally.electorate(unit_inputs(units))
    plain = owner_cents(units)
    outcome = tally.tally(rule=rule, electors=electors, ballots=ballots, non_voters_follow_majority=True)
    assert_same(outcome, reference(plain, ballots, rule))  # the strict result is unchanged by the clause
    assert_same(outcome.clause, reference(plain, ballots, rule, follow=True))


@SETTINGS
@given(electorates(), st.sampled_from(["household_majority", "consensus"]))
def test_household_rules_agree_with_a_plain_count(data, rule):
    units, _, ballots = data
    electors = tally.household_electorate(unit_inputs(units))
    plain = {uid: c for uid, c, _, _ in units}
    outcome = tally.tally(rule=rule, electors=electors, ballots=ballots)
    assert_same(outcome, reference(plain, ballots, rule))


@SETTINGS
@given(electorates(), st.sampled_from(range(1, 10)))
def test_decide_on_sums_agrees_with_tally_on_ballots(data, matter):
    """What the database path does (SQL sums handed to decide) gives the same outcome as the ballots."""
    units, ballots, _ = data
    rule = tally.rule_for_matter(matter)
    electors = tally.electorate(unit_inputs(units))
    sums = {c: tally.Votes() for c in CHOICES}
    for key, choice in ballots.items():
        sums[choice] = tally.Votes(sums[choice].count + 1, sums[choice].area + electors[key])
    total = tally.Votes(len(electors), sum(electors.values(), Decimal(0)))
    by_sums = tally.decide(rule=rule, total=total, yes=sums["yes"], no=sums["no"], abstain=sums["abstain"])
    assert by_sums == tally.tally(rule=rule, electors=electors, ballots=ballots)


CANDIDATES = [f"c{i}" for i in range(7)]


@st.composite
def elections(draw):
    units, _, _ = draw(electorates())
    seats = draw(st.integers(1, 7))
    keys = sorted(owner_cents(units))
    ballots = {}
    for key in keys:
        if draw(st.integers(0, 9)) < 8:  # most owners vote, so candidates often reach the double majority
            marked = draw(st.integers(max(0, seats - 2), seats))
            ballots[key] = draw(st.permutations(CANDIDATES))[:marked]
    return units, seats, ballots


def reference_election(electors: dict, seats: int, ballots: dict) -> dict:
    n_all, a_all = len(electors), sum(electors.values())
    p_n, p_a = len(ballots), sum(electors[k] for k in ballots)
    gate = 3 * p_n >= 2 * n_all and 3 * p_a >= 2 * a_all
    votes = {c: (0, 0) for c in CANDIDATES}
    for key, marks in ballots.items():
        for c in marks:
            votes[c] = (votes[c][0] + 1, votes[c][1] + electors[key])
    passing = [c for c in CANDIDATES if p_n and gate and 2 * votes[c][0] > p_n and 2 * votes[c][1] > p_a]
    # A passing candidate is elected when those at least as good (owners, then area) fit in the seats;
    # a group of equals that straddles the last seat is the tie left for a run-off.
    elected, tied = [], []
    for c in passing:
        better = sum(1 for d in passing if votes[d] > votes[c])
        as_good = sum(1 for d in passing if votes[d] >= votes[c])
        if as_good <= seats:
            elected.append(c)
        elif better < seats:
            tied.append(c)
    elected.sort(key=lambda c: (-votes[c][0], -votes[c][1], CANDIDATES.index(c)))
    return {"votes": votes, "passing": passing, "elected": elected, "tied": tied, "gate": gate}


@SETTINGS
@given(elections())
def test_elections_agree_with_a_plain_count(data):
    units, seats, ballots = data
    electors = tally.electorate(unit_inputs(units))
    outcome = tally.tally_election(seats=seats, candidates=CANDIDATES, electors=electors, ballots=ballots)
    expected = reference_election(owner_cents(units), seats, ballots)
    assert outcome.participation_met == expected["gate"]
    assert {r.candidate: as_tuple(r.yes) for r in outcome.candidates} == expected["votes"]
    assert [r.candidate for r in outcome.candidates if r.passed] == expected["passing"]
    assert outcome.elected == expected["elected"]
    assert [r.candidate for r in outcome.candidates if r.elected] == [c for c in CANDIDATES if c in expected["elected"]]
    assert outcome.tie_at_last_seat == expected["tied"]
    assert len(outcome.elected) <= seats
    assert outcome.valid_committee == (len(expected["elected"]) >= 5)

"""The vote-counting engine: pure functions, exact arithmetic, no ORM, no Django.

Rules (民法典 第278条, 第1259条; domain.md §3.3; docs/voting.md):

- participation gate (every Civil Code matter): owners holding >= 2/3 of the total area AND
  >= 2/3 of the owner count take part; abstentions take part;
- matters 6-8 (raise the maintenance fund, rebuild, change the use of common parts) pass with
  >= 3/4 of the participating area AND >= 3/4 of the participating owners;
- every other matter passes with MORE than half of the participating area AND owners;
- "以上" includes the boundary, "过半数" does not: exactly 2/3 participates, exactly 3/4 passes,
  exactly half fails. Areas are Decimals (two places) compared through Fractions; never floats.

Owner count: an owner of several units counts once with their areas added; the developer's
unsold units count once in total; co-owners vote through one designated voter (`electorate()`).
Building meetings use one vote per household (a unit), either a majority of those voting or
consensus (nobody against).

The portal's tally over the database (committees.selectors) aggregates in SQL and hands the sums
to `decide()`, so both paths share every comparison made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from math import ceil, floor

MAJORITY = "majority"
SUPERMAJORITY = "supermajority"
HOUSEHOLD_MAJORITY = "household_majority"
CONSENSUS = "consensus"
DOUBLE_MAJORITY_RULES = frozenset({MAJORITY, SUPERMAJORITY})
RULES = (MAJORITY, SUPERMAJORITY, HOUSEHOLD_MAJORITY, CONSENSUS)

MATTERS = range(1, 10)
SUPERMAJORITY_MATTERS = frozenset({6, 7, 8})

YES, NO, ABSTAIN = "yes", "no", "abstain"
CHOICES = (YES, NO, ABSTAIN)

DEVELOPER_KEY = "developer"
MIN_COMMITTEE_SIZE = 5

# Why an item passed or failed; committees.explain turns these into sentences.
PASSED = "passed"
NO_PARTICIPATION = "participation_not_met"
NOT_ENOUGH_COUNT = "yes_count_not_enough"
NOT_ENOUGH_AREA = "yes_area_not_enough"
NOT_ENOUGH_BOTH = "yes_count_and_area_not_enough"
NOBODY_VOTED = "nobody_voted"
OBJECTION = "objection_raised"
NOT_ENOUGH_HOUSEHOLDS = "household_majority_not_reached"


def rule_for_matter(matter: int) -> str:
    """Return the decision rule the Civil Code fixes for matter 1..9 of 第278条."""
    if matter not in MATTERS:
        raise ValueError(f"Civil Code matter must be 1..9, not {matter!r}")
    return SUPERMAJORITY if matter in SUPERMAJORITY_MATTERS else MAJORITY


@dataclass(frozen=True)
class Votes:
    """A number of owners (or households) and the area they hold."""

    count: int = 0
    area: Decimal = Decimal("0")

    def __add__(self, other: Votes) -> Votes:
        return Votes(self.count + other.count, self.area + other.area)

    def __sub__(self, other: Votes) -> Votes:
        return Votes(self.count - other.count, self.area - other.area)


@dataclass(frozen=True)
class Thresholds:
    """What the rule asks for, in owners and m² (areas rounded up to 0.01 for display)."""

    participation_count: int | None
    participation_area: Decimal | None
    yes_count: int | None
    yes_area: Decimal | None
    yes_strictly_more: bool  # True: more than the figures above ("过半数"); False: at least ("以上")


@dataclass(frozen=True)
class Outcome:
    rule: str
    total: Votes
    participation: Votes
    yes: Votes
    no: Votes
    abstain: Votes
    participation_met: bool | None  # None: the rule has no participation gate
    passed: bool
    reason: str
    thresholds: Thresholds
    clause: Outcome | None = None  # the 从众 clause applied, when the compound's rules say so

    def as_dict(self) -> dict:
        """Return a JSON-ready dict (areas as strings with two places)."""
        data = asdict(self)
        return _jsonable(data)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value.quantize(Decimal('0.01'))}"
    return value


def _frac(value: Decimal | int) -> Fraction:
    return Fraction(value)


def _ceil_area(value: Fraction) -> Decimal:
    """Round an exact area up to the cent (the smallest area that satisfies '>=' for display)."""
    return Decimal(ceil(value * 100)) / 100


def thresholds_for(rule: str, total: Votes, participation: Votes) -> Thresholds:
    """Return the figures the rule asks for, given the electorate and who took part."""
    if rule in DOUBLE_MAJORITY_RULES:
        p_count = ceil(Fraction(2 * total.count, 3))
        p_area = _ceil_area(_frac(total.area) * Fraction(2, 3))
        if rule == SUPERMAJORITY:
            return Thresholds(
                p_count, p_area, ceil(Fraction(3 * participation.count, 4)),
                _ceil_area(_frac(participation.area) * Fraction(3, 4)), False,
            )
        half_area = _frac(participation.area) / 2
        return Thresholds(p_count, p_area, floor(Fraction(participation.count, 2)), Decimal(floor(half_area * 100)) / 100, True)
    if rule == HOUSEHOLD_MAJORITY:
        return Thresholds(None, None, floor(Fraction(participation.count, 2)), None, True)
    if rule == CONSENSUS:
        return Thresholds(None, None, None, None, False)
    raise ValueError(f"unknown rule {rule!r}")


def participation_met(total: Votes, participation: Votes) -> bool:
    """Return whether >= 2/3 of the area and >= 2/3 of the owners took part (以上: boundary included)."""
    return 3 * participation.count >= 2 * total.count and 3 * _frac(participation.area) >= 2 * _frac(total.area)


def decide(
    *, rule: str, total: Votes, yes: Votes, no: Votes, abstain: Votes, non_voters_follow_majority: bool = False
) -> Outcome:
    """Return the outcome of one item from the sums of its ballots.

    `total` is the whole electorate; yes/no/abstain are the valid ballots by choice. With
    `non_voters_follow_majority` (从众 clause) the strict outcome is returned with the
    clause-applied one attached in `clause`; the strict one stays the legal default.
    """
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}")
    participation = yes + no + abstain
    if participation.count > total.count or participation.area > total.area:
        raise ValueError("more participation than the electorate holds")
    thresholds = thresholds_for(rule, total, participation)
    gate: bool | None = None
    if rule in DOUBLE_MAJORITY_RULES:
        gate = participation_met(total, participation)
        if rule == SUPERMAJORITY:
            count_ok = 4 * yes.count >= 3 * participation.count
            area_ok = 4 * _frac(yes.area) >= 3 * _frac(participation.area)
        else:
            count_ok = 2 * yes.count > participation.count
            area_ok = 2 * _frac(yes.area) > _frac(participation.area)
        if participation.count == 0:
            passed, reason = False, NOBODY_VOTED
        elif not gate:
            passed, reason = False, NO_PARTICIPATION
        elif count_ok and area_ok:
            passed, reason = True, PASSED
        else:
            passed = False
            reason = NOT_ENOUGH_BOTH if not (count_ok or area_ok) else NOT_ENOUGH_COUNT if not count_ok else NOT_ENOUGH_AREA
    elif rule == HOUSEHOLD_MAJORITY:
        if participation.count == 0:
            passed, reason = False, NOBODY_VOTED
        elif 2 * yes.count > participation.count:
            passed, reason = True, PASSED
        else:
            passed, reason = False, NOT_ENOUGH_HOUSEHOLDS
    else:  # consensus: at least one household for, nobody against
        if no.count:  # an objection is the reason even when nobody voted yes
            passed, reason = False, OBJECTION
        elif yes.count == 0:
            passed, reason = False, NOBODY_VOTED
        else:
            passed, reason = True, PASSED
    outcome = Outcome(rule, total, participation, yes, no, abstain, gate, passed, reason, thresholds)
    if non_voters_follow_majority and rule in DOUBLE_MAJORITY_RULES:
        outcome = _with_clause(outcome)
    return outcome


def _with_clause(strict: Outcome) -> Outcome:
    """Attach the 从众 outcome: non-voters are added to the side most participants chose (by count).

    With a tie between yes and no (or no yes/no ballots at all) there is no majority to follow and
    the clause changes nothing. See docs/voting.md for why this reading was chosen.
    """
    non_voters = strict.total - strict.participation
    yes, no = strict.yes, strict.no
    if yes.count > no.count:
        yes = yes + non_voters
    elif no.count > yes.count:
        no = no + non_voters
    applied = decide(rule=strict.rule, total=strict.total, yes=yes, no=no, abstain=strict.abstain)
    return replace(strict, clause=applied)


@dataclass(frozen=True)
class UnitIn:
    """One unit of the electorate as given to the engine."""

    id: str
    area_m2: Decimal
    owner: str
    developer_unsold: bool = False


def owner_key(unit: UnitIn) -> str:
    """Return who a unit counts for: its (designated) owner, or the developer as one owner."""
    return DEVELOPER_KEY if unit.developer_unsold else unit.owner


def electorate(units: Iterable[UnitIn]) -> dict[str, Decimal]:
    """Return owner key -> total area: several units of one owner count once, areas added."""
    areas: dict[str, Decimal] = {}
    for unit in units:
        key = owner_key(unit)
        areas[key] = areas.get(key, Decimal("0")) + unit.area_m2
    return areas


def household_electorate(units: Iterable[UnitIn]) -> dict[str, Decimal]:
    """Return unit id -> area: one vote per household (building meetings)."""
    return {unit.id: unit.area_m2 for unit in units}


def sum_choices(electors: Mapping[str, Decimal], ballots: Mapping[str, str]) -> dict[str, Votes]:
    """Return the votes per choice; every ballot must name an elector and a known choice."""
    sums = {choice: Votes() for choice in CHOICES}
    for key, choice in ballots.items():
        if key not in electors:
            raise ValueError(f"ballot of {key!r}, who is not in the electorate")
        if choice not in CHOICES:
            raise ValueError(f"unknown choice {choice!r}")
        sums[choice] = sums[choice] + Votes(1, electors[key])
    return sums


def total_of(electors: Mapping[str, Decimal]) -> Votes:
    return Votes(len(electors), sum(electors.values(), Decimal("0")))


def tally(
    *, rule: str, electors: Mapping[str, Decimal], ballots: Mapping[str, str], non_voters_follow_majority: bool = False
) -> Outcome:
    """Return the outcome of one item: `electors` maps voter key -> area, `ballots` voter key -> choice."""
    sums = sum_choices(electors, ballots)
    return decide(
        rule=rule, total=total_of(electors), yes=sums[YES], no=sums[NO], abstain=sums[ABSTAIN],
        non_voters_follow_majority=non_voters_follow_majority,
    )


@dataclass(frozen=True)
class CandidateResult:
    candidate: str
    yes: Votes
    passed: bool
    reason: str
    elected: bool = False


@dataclass(frozen=True)
class ElectionOutcome:
    seats: int
    total: Votes
    participation: Votes
    participation_met: bool
    thresholds: Thresholds
    candidates: list[CandidateResult] = field(default_factory=list)
    elected: list[str] = field(default_factory=list)
    tie_at_last_seat: list[str] = field(default_factory=list)
    valid_committee: bool = False
    reason: str = ""

    def as_dict(self) -> dict:
        return _jsonable(asdict(self))


ELECTED_ENOUGH = "committee_elected"
TOO_FEW_ELECTED = "too_few_elected"


def decide_election(
    *, seats: int, total: Votes, participation: Votes, yes_by_candidate: Mapping[str, Votes], order: list[str]
) -> ElectionOutcome:
    """Return who is elected: each candidate needs the double majority; the top `seats` by votes fill the seats.

    Ties for the last seat (same owners and same area) leave the seat empty for a run-off rather
    than pick by chance. Fewer than 5 elected means no valid committee (domain §3.2).
    """
    if seats < 1:
        raise ValueError(f"an election needs at least one seat, not {seats!r}")
    results = []
    for candidate in order:
        yes = yes_by_candidate.get(candidate, Votes())
        single = decide(rule=MAJORITY, total=total, yes=yes, no=Votes(), abstain=participation - yes)
        results.append(CandidateResult(candidate, yes, single.passed, single.reason))
    passed = sorted((r for r in results if r.passed), key=lambda r: (-r.yes.count, -r.yes.area, order.index(r.candidate)))
    elected, tied = [r.candidate for r in passed[:seats]], []
    if len(passed) > seats:
        last = passed[seats - 1]
        tied = [r.candidate for r in passed if (r.yes.count, r.yes.area) == (last.yes.count, last.yes.area)]
        if len(tied) > 1 and any(c not in elected for c in tied):
            elected = [c for c in elected if c not in tied]
        else:
            tied = []
    results = [CandidateResult(r.candidate, r.yes, r.passed, r.reason, r.candidate in elected) for r in results]
    valid = len(elected) >= MIN_COMMITTEE_SIZE
    return ElectionOutcome(
        seats=seats, total=total, participation=participation,
        participation_met=participation_met(total, participation),
        thresholds=thresholds_for(MAJORITY, total, participation), candidates=results, elected=elected,
        tie_at_last_seat=tied, valid_committee=valid, reason=ELECTED_ENOUGH if valid else TOO_FEW_ELECTED,
    )


def tally_election(
    *, seats: int, candidates: list[str], electors: Mapping[str, Decimal], ballots: Mapping[str, Iterable[str]]
) -> ElectionOutcome:
    """Return the election outcome: `ballots` maps voter key -> the candidates marked (may be empty)."""
    yes: dict[str, Votes] = {c: Votes() for c in candidates}
    participation = Votes()
    for key, marked in ballots.items():
        if key not in electors:
            raise ValueError(f"ballot of {key!r}, who is not in the electorate")
        marked = set(marked)
        if len(marked) > seats:
            raise ValueError(f"ballot of {key!r} marks more candidates than seats")
        participation = participation + Votes(1, electors[key])
        for candidate in marked:
            if candidate not in yes:
                raise ValueError(f"unknown candidate {candidate!r}")
            yes[candidate] = yes[candidate] + Votes(1, electors[key])
    return decide_election(seats=seats, total=total_of(electors), participation=participation, yes_by_candidate=yes, order=candidates)

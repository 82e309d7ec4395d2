"""The vote-counting engine at every boundary of domain.md §3.3 (pure functions, no database)."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from committees import explain, tally
from committees.tally import Votes

MAJ, SUPER = tally.MAJORITY, tally.SUPERMAJORITY

# 90 owners holding 9,000 m²: two thirds are exactly 60 owners and 6,000.00 m².
TOTAL = Votes(90, D("9000.00"))


NONE = Votes()


def decide(rule=MAJ, total=TOTAL, yes=NONE, no=NONE, abstain=NONE, clause=False):
    return tally.decide(rule=rule, total=total, yes=yes, no=no, abstain=abstain, non_voters_follow_majority=clause)


def units(*rows):
    """rows: (unit id, area, owner[, developer_unsold])."""
    return [tally.UnitIn(r[0], D(r[1]), r[2], *(r[3:])) for r in rows]


# --- rule_for_matter ---------------------------------------------------------------------------------


@pytest.mark.parametrize("matter", [1, 2, 3, 4, 5, 9])
def test_matters_1_to_5_and_9_need_a_simple_double_majority(matter):
    assert tally.rule_for_matter(matter) == MAJ


@pytest.mark.parametrize("matter", [6, 7, 8])
def test_matters_6_to_8_need_three_quarters(matter):
    assert tally.rule_for_matter(matter) == SUPER


@pytest.mark.parametrize("matter", [0, 10, -1, "4", None])
def test_a_matter_outside_1_to_9_is_refused(matter):
    with pytest.raises(ValueError):
        tally.rule_for_matter(matter)


def test_an_unknown_rule_is_refused():
    with pytest.raises(ValueError):
        decide(rule="plurality", yes=Votes(60, D("6000")))


# --- participation gate: exactly 2/3 takes part ------------------------------------------------------


def test_exactly_two_thirds_by_count_and_area_meets_the_gate():
    outcome = decide(yes=Votes(60, D("6000.00")))
    assert outcome.participation_met is True
    assert outcome.passed is True
    assert outcome.reason == tally.PASSED


def test_one_owner_short_of_two_thirds_fails_even_with_the_area():
    outcome = decide(yes=Votes(59, D("6000.00")))
    assert outcome.participation_met is False
    assert outcome.passed is False
    assert outcome.reason == tally.NO_PARTICIPATION


def test_one_cent_short_of_two_thirds_of_the_area_fails_even_with_the_owners():
    outcome = decide(yes=Votes(60, D("5999.99")))
    assert outcome.participation_met is False
    assert outcome.reason == tally.NO_PARTICIPATION


def test_the_gate_applies_to_three_quarter_matters_too():
    assert decide(rule=SUPER, yes=Votes(60, D("6000.00"))).passed is True
    assert decide(rule=SUPER, yes=Votes(59, D("6000.00"))).reason == tally.NO_PARTICIPATION
    assert decide(rule=SUPER, yes=Votes(60, D("5999.99"))).reason == tally.NO_PARTICIPATION


def test_the_gate_rounds_up_when_two_thirds_is_not_whole():
    total = Votes(100, D("10000.00"))  # 2/3 = 66.67 owners, 6,666.666… m²
    assert decide(total=total, yes=Votes(67, D("6666.67"))).participation_met is True
    assert decide(total=total, yes=Votes(66, D("6666.67"))).participation_met is False
    assert decide(total=total, yes=Votes(67, D("6666.66"))).participation_met is False


def test_nobody_voting_is_its_own_reason():
    outcome = decide()
    assert (outcome.passed, outcome.reason) == (False, tally.NOBODY_VOTED)


def test_more_ballots_than_the_electorate_is_refused():
    with pytest.raises(ValueError):
        decide(yes=Votes(91, D("100")))
    with pytest.raises(ValueError):
        decide(yes=Votes(60, D("9000.01")))


# --- more than half (matters 1-5, 9) ------------------------------------------------------------------
# 60 owners with 6,000.00 m² take part throughout; half is 30 owners and 3,000.00 m².


def test_exactly_half_of_the_owners_fails():
    outcome = decide(yes=Votes(30, D("3000.01")), no=Votes(30, D("2999.99")))
    assert outcome.passed is False
    assert outcome.reason == tally.NOT_ENOUGH_COUNT


def test_exactly_half_of_the_area_fails():
    outcome = decide(yes=Votes(31, D("3000.00")), no=Votes(29, D("3000.00")))
    assert outcome.passed is False
    assert outcome.reason == tally.NOT_ENOUGH_AREA


def test_exactly_half_of_both_fails_on_both():
    outcome = decide(yes=Votes(30, D("3000.00")), no=Votes(30, D("3000.00")))
    assert outcome.reason == tally.NOT_ENOUGH_BOTH


def test_just_over_half_of_both_passes():
    outcome = decide(yes=Votes(31, D("3000.01")), no=Votes(29, D("2999.99")))
    assert outcome.passed is True
    assert outcome.reason == tally.PASSED


def test_half_of_an_odd_count_needs_the_next_whole_owner():
    # 61 taking part: 30.5 is half, so 31 owners are "more than half" and 30 are not.
    assert decide(yes=Votes(31, D("3100")), no=Votes(30, D("2900"))).passed is True
    assert decide(yes=Votes(30, D("3100")), no=Votes(31, D("2900"))).reason == tally.NOT_ENOUGH_COUNT


# --- at least 3/4 (matters 6-8) -----------------------------------------------------------------------
# 60 owners with 6,000.00 m² take part; three quarters are 45 owners and 4,500.00 m².


@pytest.mark.parametrize("matter", [6, 7, 8])
def test_exactly_three_quarters_passes(matter):
    outcome = decide(rule=tally.rule_for_matter(matter), yes=Votes(45, D("4500.00")), no=Votes(15, D("1500.00")))
    assert outcome.passed is True


def test_one_owner_short_of_three_quarters_fails():
    outcome = decide(rule=SUPER, yes=Votes(44, D("4500.00")), no=Votes(16, D("1500.00")))
    assert (outcome.passed, outcome.reason) == (False, tally.NOT_ENOUGH_COUNT)


def test_one_cent_short_of_three_quarters_fails():
    outcome = decide(rule=SUPER, yes=Votes(45, D("4499.99")), no=Votes(15, D("1500.01")))
    assert (outcome.passed, outcome.reason) == (False, tally.NOT_ENOUGH_AREA)


def test_short_of_three_quarters_on_both_names_both():
    outcome = decide(rule=SUPER, yes=Votes(44, D("4499.99")), no=Votes(16, D("1500.01")))
    assert outcome.reason == tally.NOT_ENOUGH_BOTH


def test_a_three_quarter_result_passes_a_simple_matter_but_not_vice_versa():
    yes, no = Votes(40, D("4000")), Votes(20, D("2000"))  # 2/3 yes
    assert decide(rule=MAJ, yes=yes, no=no).passed is True
    assert decide(rule=SUPER, yes=yes, no=no).passed is False


# --- abstentions --------------------------------------------------------------------------------------


def test_abstentions_count_as_participation():
    with_abstentions = decide(yes=Votes(31, D("3100")), abstain=Votes(29, D("2900")))
    assert with_abstentions.participation == Votes(60, D("6000"))
    assert with_abstentions.participation_met is True
    assert with_abstentions.passed is True
    without = decide(yes=Votes(31, D("3100")))
    assert without.reason == tally.NO_PARTICIPATION


def test_abstentions_are_not_yes():
    outcome = decide(yes=Votes(30, D("3000")), abstain=Votes(30, D("3000")))
    assert outcome.yes == Votes(30, D("3000"))
    assert outcome.abstain == Votes(30, D("3000"))
    assert (outcome.passed, outcome.reason) == (False, tally.NOT_ENOUGH_BOTH)


# --- the electorate: owners, the developer, co-owners -------------------------------------------------


def test_an_owner_of_several_units_counts_once_with_the_areas_added():
    electors = tally.electorate(units(("1-101", "89.50", "p1"), ("1-102", "60.25", "p1"), ("1-201", "100", "p2")))
    assert electors == {"p1": D("149.75"), "p2": D("100")}
    assert tally.total_of(electors) == Votes(2, D("249.75"))
    outcome = tally.tally(rule=MAJ, electors=electors, ballots={"p1": "yes", "p2": "no"})
    assert outcome.yes == Votes(1, D("149.75"))
    # One owner of two taking part is not 2/3 of the owners, although they hold 60% of the area.
    assert tally.tally(rule=MAJ, electors=electors, ballots={"p1": "yes"}).reason == tally.NO_PARTICIPATION


def test_the_developers_unsold_units_count_once_in_total():
    electors = tally.electorate(
        units(
            ("1-101", "90", "p1"),
            ("1-102", "90", "p2"),
            ("1-201", "100", "dev-company", True),
            ("1-202", "100", "someone", True),
            ("1-301", "100.50", "", True),
        )
    )
    assert electors == {"p1": D("90"), "p2": D("90"), tally.DEVELOPER_KEY: D("300.50")}
    outcome = tally.tally(rule=MAJ, electors=electors, ballots={tally.DEVELOPER_KEY: "yes", "p1": "yes"})
    assert outcome.yes == Votes(2, D("390.50"))
    assert outcome.total == Votes(3, D("480.50"))
    assert outcome.passed is True


def test_co_owners_count_once_through_the_voter_they_name():
    # Unit 2-301 is owned by a couple; the input names the wife as its voter.
    electors = tally.electorate(units(("2-301", "120", "wife"), ("2-302", "120", "p2"), ("2-401", "120", "p3")))
    assert tally.total_of(electors) == Votes(3, D("360"))
    with pytest.raises(ValueError, match="husband"):
        tally.tally(rule=MAJ, electors=electors, ballots={"husband": "yes"})


def test_a_ballot_with_an_unknown_choice_is_refused():
    with pytest.raises(ValueError):
        tally.tally(rule=MAJ, electors={"p1": D("1")}, ballots={"p1": "maybe"})


def test_household_electorate_gives_each_unit_a_vote():
    rows = units(("1-101", "90", "p1"), ("1-102", "60", "p1"), ("1-201", "80", "x", True), ("1-202", "80", "y", True))
    assert tally.household_electorate(rows) == {"1-101": D("90"), "1-102": D("60"), "1-201": D("80"), "1-202": D("80")}


# --- the domain example -------------------------------------------------------------------------------

EX_TOTAL = Votes(100, D("10000"))
EX_YES, EX_NO = Votes(40, D("3600")), Votes(30, D("3400"))


def test_domain_example_hiring_a_property_company_passes():
    outcome = decide(rule=tally.rule_for_matter(4), total=EX_TOTAL, yes=EX_YES, no=EX_NO)
    assert outcome.participation == Votes(70, D("7000"))
    assert outcome.participation_met is True
    assert outcome.passed is True
    assert (outcome.thresholds.yes_count, outcome.thresholds.yes_area) == (35, D("3500"))
    assert outcome.thresholds.yes_strictly_more is True


def test_domain_example_raising_the_fund_fails_needing_53_owners_and_5250_m2():
    outcome = decide(rule=tally.rule_for_matter(6), total=EX_TOTAL, yes=EX_YES, no=EX_NO)
    assert outcome.passed is False
    assert outcome.reason == tally.NOT_ENOUGH_BOTH
    assert outcome.thresholds.yes_count == 53
    assert outcome.thresholds.yes_area == D("5250.00")
    assert outcome.thresholds.yes_strictly_more is False


def test_domain_example_through_the_electorate():
    rows = [tally.UnitIn(f"u{i}", D("100"), f"p{i}") for i in range(100)]
    electors = tally.electorate(rows)
    ballots = {f"p{i}": "yes" for i in range(40)} | {f"p{i}": "no" for i in range(40, 70)}
    # 40 yes owners holding 3,600 m²: move 400 m² of area from the yes owners to the no owners.
    electors = {k: (D("90") if i < 40 else D("113.33") if i < 70 else D("100")) for i, k in enumerate(electors)}
    electors["p69"] += D("0.10")  # 29 × 113.33 + 113.43 = 3,400.00
    outcome = tally.tally(rule=MAJ, electors=electors, ballots=ballots)
    assert (outcome.yes, outcome.participation) == (EX_YES, Votes(70, D("7000.00")))
    assert outcome.total == EX_TOTAL
    assert outcome.passed is True
    assert tally.tally(rule=SUPER, electors=electors, ballots=ballots).passed is False


# --- exact arithmetic with cents ----------------------------------------------------------------------


def test_cents_that_trip_floats_are_counted_exactly():
    electors = {"p1": D("0.10"), "p2": D("0.20"), "p3": D("0.30")}
    # Float arithmetic says the two voters hold less than 2/3 (0.1 + 0.3 < (0.1 + 0.2 + 0.3) * 2 / 3)…
    assert 0.1 + 0.3 < (0.1 + 0.2 + 0.3) * 2 / 3
    # …but exactly, they hold 0.40 of 0.60: two thirds, and two of three owners.
    outcome = tally.tally(rule=MAJ, electors=electors, ballots={"p1": "yes", "p3": "yes"})
    assert outcome.participation == Votes(2, D("0.40"))
    assert outcome.participation_met is True
    assert outcome.passed is True
    assert outcome.thresholds.participation_area == D("0.40")


def test_three_quarters_of_an_area_in_cents_is_exact():
    # 0.30 m² take part: 3/4 is 0.225, so 0.23 is the least area in cents that passes and 0.22 fails.
    close = decide(rule=SUPER, total=Votes(4, D("0.30")), yes=Votes(3, D("0.22")), no=Votes(1, D("0.08")))
    assert close.thresholds.yes_area == D("0.23")
    assert close.reason == tally.NOT_ENOUGH_AREA
    enough = decide(rule=SUPER, total=Votes(4, D("0.30")), yes=Votes(3, D("0.23")), no=Votes(1, D("0.07")))
    assert enough.passed is True


def test_half_of_a_float_unfriendly_area_is_exact():
    # 0.1 + 0.2 m² take part; yes holds 0.15 m², exactly half: fails. (In floats 0.15 * 2 < 0.1 + 0.2.)
    electors = {"a": D("0.10"), "b": D("0.20"), "c": D("0.15")}
    outcome = tally.tally(rule=MAJ, electors=electors, ballots={"a": "yes", "b": "no", "c": "yes"})
    assert outcome.participation.area == D("0.45")
    assert outcome.yes.area == D("0.25")
    assert outcome.passed is True
    half = decide(total=Votes(3, D("0.30")), yes=Votes(2, D("0.15")), no=Votes(1, D("0.15")))
    assert (half.passed, half.reason) == (False, tally.NOT_ENOUGH_AREA)
    assert half.thresholds.yes_area == D("0.15")


def test_thresholds_are_rounded_towards_what_is_actually_needed():
    total = Votes(7, D("1000.00"))  # 2/3 = 4.67 owners, 666.666… m²
    t = decide(total=total, yes=Votes(5, D("700.01")), no=Votes(0)).thresholds
    assert (t.participation_count, t.participation_area) == (5, D("666.67"))
    # 5 owners with 700.01 m² taking part: more than 2 owners and more than 350.00 m² (350.005 exactly).
    assert (t.yes_count, t.yes_area, t.yes_strictly_more) == (2, D("350.00"), True)
    t = decide(rule=SUPER, total=total, yes=Votes(5, D("700.01"))).thresholds
    assert (t.yes_count, t.yes_area, t.yes_strictly_more) == (4, D("525.01"), False)  # 3.75 → 4; 525.0075 → 525.01


def test_household_and_consensus_thresholds():
    t = decide(rule=tally.HOUSEHOLD_MAJORITY, yes=Votes(3), no=Votes(2), abstain=Votes(2)).thresholds
    assert (t.participation_count, t.participation_area, t.yes_count, t.yes_area, t.yes_strictly_more) == (
        None, None, 3, None, True,
    )
    t = decide(rule=tally.CONSENSUS, yes=Votes(3)).thresholds
    assert (t.participation_count, t.yes_count, t.yes_area) == (None, None, None)


# --- household majority and consensus (building meetings) ---------------------------------------------


def test_household_majority_needs_more_than_half_of_the_households_voting():
    total = Votes(12, D("1000"))
    assert decide(rule=tally.HOUSEHOLD_MAJORITY, total=total, yes=Votes(4), no=Votes(3)).passed is True
    tie = decide(rule=tally.HOUSEHOLD_MAJORITY, total=total, yes=Votes(3), no=Votes(2), abstain=Votes(1))
    assert (tie.passed, tie.reason) == (False, tally.NOT_ENOUGH_HOUSEHOLDS)
    assert tie.participation_met is None  # no 2/3 gate at a building meeting
    assert decide(rule=tally.HOUSEHOLD_MAJORITY, total=total).reason == tally.NOBODY_VOTED


def test_household_majority_counts_units_not_owners():
    rows = units(("1-101", "90", "p1"), ("1-102", "60", "p1"), ("1-201", "80", "p2"))
    outcome = tally.tally(
        rule=tally.HOUSEHOLD_MAJORITY, electors=tally.household_electorate(rows),
        ballots={"1-101": "yes", "1-102": "yes", "1-201": "no"},
    )
    assert (outcome.yes.count, outcome.no.count, outcome.passed) == (2, 1, True)


def test_consensus_passes_with_yes_and_abstentions_and_nobody_against():
    outcome = decide(rule=tally.CONSENSUS, yes=Votes(5), abstain=Votes(3))
    assert (outcome.passed, outcome.reason) == (True, tally.PASSED)


def test_consensus_fails_on_a_single_objection():
    outcome = decide(rule=tally.CONSENSUS, yes=Votes(20), no=Votes(1))
    assert (outcome.passed, outcome.reason) == (False, tally.OBJECTION)


def test_consensus_names_the_objection_even_when_nobody_voted_yes():
    outcome = decide(rule=tally.CONSENSUS, no=Votes(2))
    assert (outcome.passed, outcome.reason) == (False, tally.OBJECTION)


def test_consensus_without_any_yes_fails():
    assert decide(rule=tally.CONSENSUS, abstain=Votes(4)).reason == tally.NOBODY_VOTED
    assert decide(rule=tally.CONSENSUS).reason == tally.NOBODY_VOTED


# --- the 从众 clause ----------------------------------------------------------------------------------

C_TOTAL = Votes(100, D("10000"))


def test_clause_off_gives_only_the_strict_result():
    assert decide(total=C_TOTAL, yes=Votes(30, D("3000")), no=Votes(20, D("2000"))).clause is None


def test_clause_adds_non_voters_to_the_side_with_more_owners():
    strict = decide(total=C_TOTAL, yes=Votes(30, D("3000")), no=Votes(20, D("2000")), clause=True)
    assert (strict.passed, strict.reason) == (False, tally.NO_PARTICIPATION)  # the legal default stays strict
    applied = strict.clause
    assert applied.yes == Votes(80, D("8000"))
    assert applied.no == Votes(20, D("2000"))
    assert applied.participation == C_TOTAL
    assert (applied.passed, applied.participation_met) == (True, True)
    assert applied.clause is None


def test_clause_follows_the_owner_count_not_the_area():
    strict = decide(total=C_TOTAL, yes=Votes(26, D("2000")), no=Votes(24, D("3000")), clause=True)
    assert strict.clause.yes == Votes(76, D("7000"))
    assert strict.clause.no == Votes(24, D("3000"))


def test_clause_can_sink_an_item_when_most_voters_said_no():
    strict = decide(
        total=C_TOTAL, yes=Votes(20, D("2000")), no=Votes(30, D("2500")), abstain=Votes(20, D("2500")), clause=True,
    )
    assert strict.reason == tally.NOT_ENOUGH_BOTH
    assert strict.clause.no == Votes(60, D("5500"))
    assert strict.clause.abstain == Votes(20, D("2500"))
    assert (strict.clause.passed, strict.clause.reason) == (False, tally.NOT_ENOUGH_BOTH)


def test_clause_with_a_tie_changes_nothing():
    strict = decide(total=C_TOTAL, yes=Votes(25, D("3000")), no=Votes(25, D("2000")), clause=True)
    applied = strict.clause
    assert (applied.yes, applied.no, applied.participation) == (strict.yes, strict.no, strict.participation)
    assert (applied.passed, applied.reason) == (strict.passed, strict.reason) == (False, tally.NO_PARTICIPATION)


def test_clause_with_only_abstentions_changes_nothing():
    strict = decide(total=C_TOTAL, abstain=Votes(50, D("5000")), clause=True)
    assert strict.clause.participation == Votes(50, D("5000"))


def test_clause_is_ignored_for_household_rules():
    assert decide(rule=tally.HOUSEHOLD_MAJORITY, yes=Votes(3), clause=True).clause is None
    assert decide(rule=tally.CONSENSUS, yes=Votes(3), clause=True).clause is None


def test_clause_outcome_is_in_the_json_dict():
    data = decide(total=C_TOTAL, yes=Votes(30, D("3000")), no=Votes(20, D("2000")), clause=True).as_dict()
    assert data["passed"] is False
    assert data["clause"]["passed"] is True
    assert data["clause"]["yes"] == {"count": 80, "area": "8000.00"}


# --- elections (matter 3) -----------------------------------------------------------------------------

SEVEN = [f"c{i}" for i in range(1, 8)]


def electors_of(n, area="100.00"):
    return {f"p{i}": D(area) for i in range(n)}


def ballots_from(columns):
    """columns: voter index -> candidates marked."""
    return {f"p{i}": marks for i, marks in columns.items()}


def test_each_candidate_needs_more_than_half_of_the_owners_taking_part():
    electors = electors_of(10)
    # 8 owners take part; five candidates get 5 marks each, c6 gets exactly half (4), c7 gets 3.
    ballots = ballots_from({
        0: ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
        1: ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
        2: ["c1", "c2", "c3", "c4", "c5", "c6", "c7"],
        3: ["c1", "c2", "c3", "c4", "c5", "c6"],
        4: ["c1", "c2", "c3", "c4", "c5"],
        5: [], 6: [], 7: [],
    })
    outcome = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots=ballots)
    assert outcome.participation == Votes(8, D("800"))
    assert outcome.participation_met is True
    assert outcome.elected == ["c1", "c2", "c3", "c4", "c5"]
    by_name = {r.candidate: r for r in outcome.candidates}
    assert (by_name["c6"].yes, by_name["c6"].passed, by_name["c6"].reason) == (
        Votes(4, D("400")), False, tally.NOT_ENOUGH_BOTH,
    )
    assert outcome.valid_committee is True
    assert outcome.reason == tally.ELECTED_ENOUGH


def test_candidate_needs_more_than_half_of_the_area_too():
    electors = {"big": D("500"), "a": D("100"), "b": D("100"), "c": D("100")}
    ballots = {"a": ["x"], "b": ["x"], "c": ["x"], "big": []}
    outcome = tally.tally_election(seats=1, candidates=["x"], electors=electors, ballots=ballots)
    assert outcome.candidates[0].reason == tally.NOT_ENOUGH_AREA
    assert outcome.elected == []


def test_top_candidates_by_votes_fill_the_seats():
    electors = electors_of(10)
    marks = {i: ["c1", "c2", "c3", "c4", "c5"] for i in range(10)}
    for i in range(9):
        marks[i] = ["c1", "c2", "c3", "c4", "c6"]  # c6 gets 9, c5 gets 1
    for i in range(8):
        marks[i] = ["c1", "c2", "c3", "c6", "c7"]  # c7 gets 8, c4 gets 2
    outcome = tally.tally_election(seats=5, candidates=SEVEN, electors=electors, ballots=ballots_from(marks))
    assert outcome.elected == ["c1", "c2", "c3", "c6", "c7"]
    assert [r.elected for r in outcome.candidates] == [True, True, True, False, False, True, True]


def test_equal_count_but_more_area_wins_the_last_seat():
    electors = {f"p{i}": D("100") for i in range(6)} | {"big": D("130")}
    ballots = {
        "p0": ["a", "c"], "p1": ["a", "b"], "p2": ["a", "b"], "p3": ["a", "b"],
        "p4": ["a", "c"], "p5": ["a", "c"], "big": ["b", "c"],
    }
    # b: p1-p3 + big, c: p0, p4, p5 + big: both 4 owners with 430 m², a real tie for the second seat.
    tie = tally.tally_election(seats=2, candidates=["a", "b", "c"], electors=electors, ballots=ballots)
    assert [r.passed for r in tie.candidates] == [True, True, True]
    assert tie.elected == ["a"]
    assert tie.tie_at_last_seat == ["b", "c"]
    electors["p0"] = D("100.01")  # c now holds 430.01 m²: not a tie any more
    outcome = tally.tally_election(seats=2, candidates=["a", "b", "c"], electors=electors, ballots=ballots)
    assert outcome.elected == ["a", "c"]
    assert outcome.tie_at_last_seat == []


def test_more_owners_beat_more_area_for_the_last_seat():
    electors = {f"p{i}": D("110") for i in range(6)} | {"big": D("400")}  # 7 owners, 1,060 m²
    ballots = {
        "p0": ["t", "y"], "p1": ["t", "x"], "p2": ["t", "x"], "p3": ["t", "x"],
        "p4": ["x", "y"], "p5": ["x", "y"], "big": ["t", "y"],
    }
    outcome = tally.tally_election(seats=2, candidates=["y", "x", "t"], electors=electors, ballots=ballots)
    by_name = {r.candidate: r for r in outcome.candidates}
    assert by_name["t"].yes == Votes(5, D("840"))
    assert by_name["x"].yes == Votes(5, D("550"))
    assert by_name["y"].yes == Votes(4, D("730"))
    assert all(r.passed for r in outcome.candidates)
    assert outcome.elected == ["t", "x"]  # ranked by owners first, then area
    assert [r.elected for r in outcome.candidates] == [False, True, True]
    assert outcome.tie_at_last_seat == []


def test_a_tie_for_the_last_seat_leaves_it_empty_and_is_reported():
    electors = electors_of(10)
    marks = (
        {i: ["c1", "c2", "c3", "c4", "c5"] for i in range(4)}
        | {4: ["c1", "c2", "c3", "c5", "c6"], 5: ["c1", "c2", "c3", "c5", "c6"]}
        | {i: ["c1", "c2", "c3", "c4", "c6"] for i in range(6, 10)}
    )
    outcome = tally.tally_election(seats=5, candidates=SEVEN, electors=electors, ballots=ballots_from(marks))
    by_name = {r.candidate: r.yes.count for r in outcome.candidates}
    assert (by_name["c4"], by_name["c5"], by_name["c6"]) == (8, 6, 6)
    assert outcome.elected == ["c1", "c2", "c3", "c4"]
    assert outcome.tie_at_last_seat == ["c5", "c6"]
    assert outcome.valid_committee is False
    assert outcome.reason == tally.TOO_FEW_ELECTED


def test_a_tie_that_fits_within_the_seats_elects_them_all():
    electors = electors_of(10)
    marks = {i: ["c1", "c2", "c3", "c4", "c5"] for i in range(10)}
    outcome = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots=ballots_from(marks))
    assert outcome.elected == ["c1", "c2", "c3", "c4", "c5"]
    assert outcome.tie_at_last_seat == []
    assert outcome.valid_committee is True


def test_fewer_than_five_elected_is_no_valid_committee():
    electors = electors_of(10)
    marks = {i: ["c1", "c2", "c3", "c4"] for i in range(10)}
    outcome = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots=ballots_from(marks))
    assert outcome.elected == ["c1", "c2", "c3", "c4"]
    assert (outcome.valid_committee, outcome.reason) == (False, tally.TOO_FEW_ELECTED)


def test_an_election_without_enough_participation_elects_nobody():
    electors = electors_of(10)
    marks = {i: SEVEN[:5] for i in range(6)}  # 6 of 10 < 2/3
    outcome = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots=ballots_from(marks))
    assert outcome.participation_met is False
    assert outcome.elected == []
    assert {r.reason for r in outcome.candidates} == {tally.NO_PARTICIPATION}
    assert outcome.valid_committee is False


def test_a_ballot_marking_more_candidates_than_seats_is_refused():
    with pytest.raises(ValueError, match="more candidates than seats"):
        tally.tally_election(seats=5, candidates=SEVEN, electors=electors_of(3), ballots={"p0": SEVEN[:6]})


def test_an_election_refuses_unknown_candidates_voters_and_zero_seats():
    with pytest.raises(ValueError, match="unknown candidate"):
        tally.tally_election(seats=5, candidates=SEVEN, electors=electors_of(3), ballots={"p0": ["c9"]})
    with pytest.raises(ValueError, match="not in the electorate"):
        tally.tally_election(seats=5, candidates=SEVEN, electors=electors_of(3), ballots={"p7": ["c1"]})
    with pytest.raises(ValueError, match="seat"):
        tally.tally_election(seats=0, candidates=SEVEN, electors=electors_of(3), ballots={"p0": []})


def test_election_thresholds_and_dict():
    outcome = tally.tally_election(
        seats=5, candidates=SEVEN, electors=electors_of(10), ballots=ballots_from({i: SEVEN[:5] for i in range(7)}),
    )
    t = outcome.thresholds
    assert (t.participation_count, t.participation_area, t.yes_count, t.yes_area) == (7, D("666.67"), 3, D("350.00"))
    data = outcome.as_dict()
    assert data["elected"] == SEVEN[:5]
    assert data["candidates"][0]["yes"] == {"count": 7, "area": "700.00"}


# --- explanations (English msgids; the Chinese catalog is compiled separately) ------------------------


REASON_CASES = [
    (MAJ, {"yes": Votes(31, D("3000.01")), "no": Votes(29, D("2999.99"))}, tally.PASSED, ["31 of 60", "more than half", "at least 2/3"]),
    (MAJ, {"yes": Votes(59, D("6000"))}, tally.NO_PARTICIPATION, ["59 of 90", "at least 60 owners", "6000.00 m²"]),
    (MAJ, {"yes": Votes(30, D("3000.01")), "no": Votes(30, D("2999.99"))}, tally.NOT_ENOUGH_COUNT, ["at least 31"]),
    (MAJ, {"yes": Votes(31, D("3000")), "no": Votes(29, D("3000"))}, tally.NOT_ENOUGH_AREA, ["more than 3000.00"]),
    (MAJ, {"yes": Votes(30, D("3000")), "no": Votes(30, D("3000"))}, tally.NOT_ENOUGH_BOTH, ["at least 31 owners"]),
    (MAJ, {}, tally.NOBODY_VOTED, ["nobody"]),
    (SUPER, {"yes": Votes(45, D("4500")), "no": Votes(15, D("1500"))}, tally.PASSED, ["at least 3/4"]),
    (SUPER, {"yes": Votes(44, D("4500")), "no": Votes(16, D("1500"))}, tally.NOT_ENOUGH_COUNT, ["45 owners"]),
    (SUPER, {"yes": Votes(45, D("4499.99")), "no": Votes(15, D("1500.01"))}, tally.NOT_ENOUGH_AREA, ["4500.00 m²"]),
    (SUPER, {"yes": Votes(40, D("4000")), "no": Votes(20, D("2000"))}, tally.NOT_ENOUGH_BOTH, ["45 owners and 4500.00"]),
    (tally.HOUSEHOLD_MAJORITY, {"yes": Votes(4), "no": Votes(3)}, tally.PASSED, ["4 of 7 households"]),
    (tally.HOUSEHOLD_MAJORITY, {"yes": Votes(3), "no": Votes(3)}, tally.NOT_ENOUGH_HOUSEHOLDS, ["at least 4"]),
    (tally.HOUSEHOLD_MAJORITY, {}, tally.NOBODY_VOTED, ["nobody voted"]),
    (tally.CONSENSUS, {"yes": Votes(6)}, tally.PASSED, ["6 households"]),
    (tally.CONSENSUS, {"yes": Votes(6), "no": Votes(1)}, tally.OBJECTION, ["1 households voted no"]),
    (tally.CONSENSUS, {"abstain": Votes(2)}, tally.NOBODY_VOTED, ["no household voted yes"]),
]


@pytest.mark.parametrize(("rule", "votes", "reason", "fragments"), REASON_CASES)
def test_every_reason_code_has_a_sentence_with_the_figures(rule, votes, reason, fragments):
    outcome = decide(rule=rule, **votes)
    assert outcome.reason == reason
    with translation.override("en"):
        sentence = explain.explain(outcome)
    for fragment in fragments:
        assert fragment in sentence


def test_every_reason_code_of_the_engine_is_covered():
    codes = {
        value for name, value in vars(tally).items()
        if name.isupper() and isinstance(value, str) and name not in {"MAJORITY", "SUPERMAJORITY", "CONSENSUS"}
        and value not in tally.RULES and value not in tally.CHOICES and value != tally.DEVELOPER_KEY
    }
    covered = {case[2] for case in REASON_CASES} | {tally.ELECTED_ENOUGH, tally.TOO_FEW_ELECTED}
    assert codes == covered


def test_domain_example_explanation_names_what_raising_the_fund_needs():
    outcome = decide(rule=SUPER, total=EX_TOTAL, yes=EX_YES, no=EX_NO)
    with translation.override("en"):
        text = explain.explain(outcome)
    assert "40 of 70" in text
    assert "53 owners and 5250.00 m²" in text


def test_election_sentences():
    electors = electors_of(10)
    with translation.override("en"):
        ok = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots=ballots_from({i: SEVEN[:5] for i in range(10)}))
        assert explain.explain_election(ok).startswith("A committee was elected: 5 of 7 seats")
        few = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots=ballots_from({i: SEVEN[:4] for i in range(10)}))
        assert "only 4 candidates" in explain.explain_election(few)
        low = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots=ballots_from({i: SEVEN[:5] for i in range(3)}))
        assert "only 3 of 10 owners" in explain.explain_election(low)
        none = tally.tally_election(seats=7, candidates=SEVEN, electors=electors, ballots={})
        assert explain.explain_election(none) == "No valid committee: nobody voted."
        marks = {i: SEVEN[:4] + ["c5"] for i in range(6)} | {i: SEVEN[:4] + ["c6"] for i in range(6, 10)}
        marks |= {i: SEVEN[:3] + ["c5", "c6"] for i in range(2)}  # c5: 6, c6: 6
        tie = tally.tally_election(seats=5, candidates=SEVEN, electors=electors, ballots=ballots_from(marks))
        assert tie.tie_at_last_seat == ["c5", "c6"]
        assert "c5、c6 tied for the last seats" in explain.explain_election(tie)


@pytest.mark.parametrize("rule", tally.RULES)
def test_every_rule_has_a_summary(rule):
    with translation.override("en"):
        assert explain.rule_summary(rule)
    with pytest.raises(ValueError):
        explain.rule_summary("plurality")


def test_shortfall_while_participation_is_short():
    outcome = decide(total=Votes(100, D("10000")), yes=Votes(60, D("6000.00")))
    assert explain.shortfall_figures(outcome) == {"need": "participation", "count": 7, "area": D("666.67")}
    with translation.override("en"):
        assert explain.shortfall(outcome) == "7 more owners / 666.67 m² needed to reach 2/3 participation"
        only_area = decide(total=Votes(100, D("10000")), yes=Votes(70, D("6000.00")))
        assert explain.shortfall(only_area) == "666.67 m² more needed to reach 2/3 participation"


def test_shortfall_of_yes_votes_counts_the_new_voters_as_participants():
    # 70 of 100 take part, 34 yes with 3,400 m²: 2(34 + k) > 70 + k → k = 3; area 7,000 − 6,800 = 200 → 200.01.
    outcome = decide(total=EX_TOTAL, yes=Votes(34, D("3400")), no=Votes(36, D("3600")))
    assert explain.shortfall_figures(outcome) == {"need": "yes", "count": 3, "area": D("200.01")}
    after = decide(total=EX_TOTAL, yes=Votes(37, D("3600.01")), no=Votes(36, D("3600")))
    assert after.passed is True
    assert explain.shortfall(after) == ""
    with translation.override("en"):
        assert explain.shortfall(outcome) == "3 more owners / 200.01 m² voting yes needed to pass"


def test_shortfall_when_even_every_remaining_owner_is_not_enough():
    # The domain example for raising the fund: 50 more owners would be needed, but only 30 have not voted.
    outcome = decide(rule=SUPER, total=EX_TOTAL, yes=EX_YES, no=EX_NO)
    assert explain.shortfall_figures(outcome)["need"] == "unreachable"
    with translation.override("en"):
        assert explain.shortfall(outcome).startswith("Cannot pass any more")


def test_shortfall_for_building_meetings():
    hh = decide(rule=tally.HOUSEHOLD_MAJORITY, total=Votes(10), yes=Votes(3), no=Votes(3))
    assert explain.shortfall_figures(hh) == {"need": "yes", "count": 1, "area": None}
    objection = decide(rule=tally.CONSENSUS, total=Votes(10), yes=Votes(3), no=Votes(2))
    assert explain.shortfall_figures(objection) == {"need": "no_objection", "count": 2, "area": None}
    with translation.override("en"):
        assert explain.shortfall(hh) == "1 more households voting yes needed to pass"
        assert explain.shortfall(objection) == "Cannot pass by consensus: 2 households voted no"

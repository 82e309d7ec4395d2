"""Sentences for vote outcomes: why an item passed or failed, what a rule asks, what is still missing.

Every reason code of `committees.tally` has a sentence here. The figures come from the outcome
itself (counts and areas with two places), so the page, the published result and
`manage.py tally` all say the same thing.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from math import floor

from django.utils.translation import gettext

from . import tally

CENT = Decimal("0.01")


def _area(value: Decimal) -> str:
    return f"{Decimal(value).quantize(CENT)}"


def _params(outcome: tally.Outcome) -> dict[str, object]:
    t = outcome.thresholds
    need_yes_count = t.yes_count
    if need_yes_count is not None and t.yes_strictly_more:
        need_yes_count += 1  # "more than n" means at least n + 1 owners
    return {
        "yes_count": outcome.yes.count,
        "yes_area": _area(outcome.yes.area),
        "no_count": outcome.no.count,
        "no_area": _area(outcome.no.area),
        "abstain_count": outcome.abstain.count,
        "count": outcome.participation.count,
        "area": _area(outcome.participation.area),
        "p_count": outcome.participation.count,
        "p_area": _area(outcome.participation.area),
        "total_count": outcome.total.count,
        "total_area": _area(outcome.total.area),
        "need_p_count": t.participation_count,
        "need_p_area": _area(t.participation_area) if t.participation_area is not None else "",
        "need_yes_count": need_yes_count,
        "need_yes_area": _area(t.yes_area) if t.yes_area is not None else "",
    }


def _double_majority_sentence(outcome: tally.Outcome) -> str:
    params = _params(outcome)
    reason = outcome.reason
    majority = outcome.rule == tally.MAJORITY
    if reason == tally.NOBODY_VOTED:
        return gettext("Not passed: nobody voted.")
    if reason == tally.NO_PARTICIPATION:
        return gettext(
            "Not passed: only %(p_count)s of %(total_count)s owners holding %(p_area)s of %(total_area)s m² "
            "took part; at least %(need_p_count)s owners and %(need_p_area)s m² (2/3) must take part."
        ) % params
    if reason == tally.PASSED:
        if majority:
            return gettext(
                "Passed: %(yes_count)s of %(count)s owners taking part (more than half) holding %(yes_area)s of "
                "%(area)s m² (more than half) voted yes; %(p_count)s of %(total_count)s owners and %(p_area)s of "
                "%(total_area)s m² took part (at least 2/3 needed)."
            ) % params
        return gettext(
            "Passed: %(yes_count)s of %(count)s owners taking part (at least 3/4) holding %(yes_area)s of "
            "%(area)s m² (at least 3/4) voted yes; %(p_count)s of %(total_count)s owners and %(p_area)s of "
            "%(total_area)s m² took part (at least 2/3 needed)."
        ) % params
    if reason == tally.NOT_ENOUGH_COUNT:
        if majority:
            return gettext(
                "Not passed: %(yes_count)s of %(count)s owners taking part voted yes; more than half, at least "
                "%(need_yes_count)s owners, is needed (the area, %(yes_area)s of %(area)s m², was enough)."
            ) % params
        return gettext(
            "Not passed: %(yes_count)s of %(count)s owners taking part voted yes; at least 3/4, "
            "%(need_yes_count)s owners, is needed (the area, %(yes_area)s of %(area)s m², was enough)."
        ) % params
    if reason == tally.NOT_ENOUGH_AREA:
        if majority:
            return gettext(
                "Not passed: owners voting yes hold %(yes_area)s of the %(area)s m² taking part; more than half, "
                "more than %(need_yes_area)s m², is needed (the owner count, %(yes_count)s of %(count)s, was enough)."
            ) % params
        return gettext(
            "Not passed: owners voting yes hold %(yes_area)s of the %(area)s m² taking part; at least 3/4, "
            "%(need_yes_area)s m², is needed (the owner count, %(yes_count)s of %(count)s, was enough)."
        ) % params
    if reason == tally.NOT_ENOUGH_BOTH:
        if majority:
            return gettext(
                "Not passed: %(yes_count)s of %(count)s owners taking part holding %(yes_area)s of %(area)s m² "
                "voted yes; more than half of both is needed (at least %(need_yes_count)s owners and more than "
                "%(need_yes_area)s m²)."
            ) % params
        return gettext(
            "Not passed: %(yes_count)s of %(count)s owners taking part holding %(yes_area)s of %(area)s m² voted "
            "yes; at least 3/4 of both is needed (%(need_yes_count)s owners and %(need_yes_area)s m²)."
        ) % params
    raise ValueError(f"no sentence for reason {reason!r} under rule {outcome.rule!r}")


def _household_sentence(outcome: tally.Outcome) -> str:
    params = _params(outcome)
    reason = outcome.reason
    if reason == tally.NOBODY_VOTED:
        if outcome.participation.count:
            return gettext("Not passed: no household voted yes.")
        return gettext("Not passed: nobody voted.")
    if outcome.rule == tally.HOUSEHOLD_MAJORITY:
        if reason == tally.PASSED:
            return gettext(
                "Passed: %(yes_count)s of %(count)s households taking part voted yes (more than half needed)."
            ) % params
        if reason == tally.NOT_ENOUGH_HOUSEHOLDS:
            return gettext(
                "Not passed: %(yes_count)s of %(count)s households taking part voted yes; more than half, at least "
                "%(need_yes_count)s, is needed."
            ) % params
    else:
        if reason == tally.PASSED:
            return gettext("Passed by consensus: %(yes_count)s households voted yes and nobody voted no.") % params
        if reason == tally.OBJECTION:
            return gettext("Not passed: consensus needs nobody against, but %(no_count)s households voted no.") % params
    raise ValueError(f"no sentence for reason {reason!r} under rule {outcome.rule!r}")


def explain(outcome: tally.Outcome) -> str:
    """Return one sentence saying whether the item passed and why, with the figures."""
    if outcome.rule in tally.DOUBLE_MAJORITY_RULES:
        return _double_majority_sentence(outcome)
    if outcome.rule in (tally.HOUSEHOLD_MAJORITY, tally.CONSENSUS):
        return _household_sentence(outcome)
    raise ValueError(f"unknown rule {outcome.rule!r}")


def explain_election(outcome: tally.ElectionOutcome) -> str:
    """Return the sentence for an election: how many were elected, whether the committee is valid, ties."""
    t = outcome.thresholds
    params = {
        "elected": len(outcome.elected),
        "seats": outcome.seats,
        "minimum": tally.MIN_COMMITTEE_SIZE,
        "p_count": outcome.participation.count,
        "p_area": _area(outcome.participation.area),
        "total_count": outcome.total.count,
        "total_area": _area(outcome.total.area),
        "need_p_count": t.participation_count,
        "need_p_area": _area(t.participation_area),
        "names": "、".join(outcome.tie_at_last_seat),
    }
    if outcome.participation.count == 0:
        sentence = gettext("No valid committee: nobody voted.")
    elif not outcome.participation_met:
        sentence = gettext(
            "No valid committee: only %(p_count)s of %(total_count)s owners holding %(p_area)s of %(total_area)s m² "
            "took part; at least %(need_p_count)s owners and %(need_p_area)s m² (2/3) must take part."
        ) % params
    elif outcome.reason == tally.ELECTED_ENOUGH:
        sentence = gettext(
            "A committee was elected: %(elected)s of %(seats)s seats filled (at least %(minimum)s members needed)."
        ) % params
    elif outcome.reason == tally.TOO_FEW_ELECTED:
        sentence = gettext(
            "No valid committee: only %(elected)s candidates were elected with the double majority; at least "
            "%(minimum)s are needed."
        ) % params
    else:
        raise ValueError(f"no sentence for election reason {outcome.reason!r}")
    if outcome.tie_at_last_seat:
        sentence += " " + gettext(
            "%(names)s tied for the last seats; those seats stay empty until a run-off."
        ) % params
    return sentence


def rule_summary(rule: str) -> str:
    """Return a short sentence saying what the rule asks for."""
    if rule == tally.MAJORITY:
        return gettext(
            "At least 2/3 of all owners holding at least 2/3 of the area must take part; more than half of the "
            "owners taking part and of their area must vote yes."
        )
    if rule == tally.SUPERMAJORITY:
        return gettext(
            "At least 2/3 of all owners holding at least 2/3 of the area must take part; at least 3/4 of the "
            "owners taking part and of their area must vote yes."
        )
    if rule == tally.HOUSEHOLD_MAJORITY:
        return gettext("One vote per household; more than half of the households taking part must vote yes.")
    if rule == tally.CONSENSUS:
        return gettext("One vote per household; passes when households vote yes and nobody votes no.")
    raise ValueError(f"unknown rule {rule!r}")


def _cents_above(value: Fraction) -> Decimal:
    """Return the smallest area in cents strictly above `value` (0 when `value` is below zero)."""
    if value < 0:
        return Decimal("0.00")
    return (Decimal(floor(value * 100)) + 1) / 100


def _cents_at_least(value: Fraction) -> Decimal:
    """Return the smallest area in cents at least `value` (0 when `value` is not above zero)."""
    if value <= 0:
        return Decimal("0.00")
    return Decimal(-floor(-value * 100)) / 100


def shortfall_figures(outcome: tally.Outcome) -> dict[str, object] | None:
    """Return what is still missing, assuming the owners who have not voted yet vote yes; None when nothing is.

    The keys are `need` ("participation", "yes", "unreachable" or "no_objection"), `count` and `area`
    (area None for household rules). New yes ballots also raise the participation, so the figures are
    solved for that: more than half means 2(y + k) > p + k, i.e. k > p − 2y; at least 3/4 means
    k ≥ 3p − 4y. "unreachable": even if every owner who has not voted yet voted yes, the item would
    still fail (a counted ballot is final under the default first_wins precedence).
    """
    if outcome.passed:
        return None
    p, y = outcome.participation, outcome.yes
    if outcome.rule in tally.DOUBLE_MAJORITY_RULES:
        t = outcome.thresholds
        if not outcome.participation_met:
            count = max(0, t.participation_count - p.count)
            area = max(Decimal("0"), t.participation_area - p.area)
            return {"need": "participation", "count": count, "area": area.quantize(CENT)}
        pa, ya = Fraction(p.area), Fraction(y.area)
        if outcome.rule == tally.MAJORITY:
            count = max(0, p.count - 2 * y.count + 1)
            area = _cents_above(pa - 2 * ya)
        else:
            count = max(0, 3 * p.count - 4 * y.count)
            area = _cents_at_least(3 * pa - 4 * ya)
        left = outcome.total - p
        if count > left.count or area > left.area:
            return {"need": "unreachable", "count": count, "area": area.quantize(CENT)}
        return {"need": "yes", "count": count, "area": area.quantize(CENT)}
    if outcome.rule == tally.HOUSEHOLD_MAJORITY:
        count = p.count - 2 * y.count + 1
        need = "unreachable" if count > outcome.total.count - p.count else "yes"
        return {"need": need, "count": count, "area": None}
    if outcome.no.count:
        return {"need": "no_objection", "count": outcome.no.count, "area": None}
    return {"need": "yes", "count": 1, "area": None}


def shortfall(outcome: tally.Outcome) -> str:
    """Return the live "还差 N 户 / X m²" text for an open vote; "" when the item would pass now."""
    figures = shortfall_figures(outcome)
    if figures is None:
        return ""
    params = {"count": figures["count"], "area": _area(figures["area"]) if figures["area"] is not None else ""}
    if figures["need"] == "participation":
        if figures["count"] and figures["area"]:
            return gettext("%(count)s more owners / %(area)s m² needed to reach 2/3 participation") % params
        if figures["count"]:
            return gettext("%(count)s more owners needed to reach 2/3 participation") % params
        return gettext("%(area)s m² more needed to reach 2/3 participation") % params
    if figures["need"] == "unreachable":
        return gettext("Cannot pass any more: even if everyone who has not voted yet voted yes, it would not be enough")
    if figures["need"] == "no_objection":
        return gettext("Cannot pass by consensus: %(count)s households voted no") % params
    if figures["area"] is None:
        return gettext("%(count)s more households voting yes needed to pass") % params
    if figures["count"] and figures["area"]:
        return gettext("%(count)s more owners / %(area)s m² voting yes needed to pass") % params
    if figures["count"]:
        return gettext("%(count)s more owners voting yes needed to pass") % params
    return gettext("%(area)s m² more voting yes needed to pass") % params

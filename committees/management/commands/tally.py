"""`manage.py tally FILE.json` (or `-` for stdin): count one vote from a JSON file with the portal's engine.

Input (docs/voting.md has a full example):

    {"matter": 4,                         # Civil Code matter 1..9, or instead:
     "rule": "household_majority",        # "household_majority" | "consensus" (building meetings)
     "non_voters_follow_majority": false, # the 从众 clause, Civil Code matters only
     "units": [{"id": "3-2-201", "area_m2": "89.50", "owner": "p1", "developer_unsold": false}, ...],
     "ballots": [{"voter": "p1", "choice": "yes"}, ...]}

Civil Code matters count owners: a ballot's "voter" is an owner key from "units" ("developer" for
the developer's unsold units, which count as one owner). Household rules count one vote per unit:
a ballot names the unit with "unit" instead of "voter". Elections (matter 3) add "seats" and
"candidates", and ballots carry "marks" (the candidates chosen) instead of "choice".
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from committees import explain, tally

TOP_KEYS = {"matter", "rule", "non_voters_follow_majority", "units", "ballots", "seats", "candidates"}
UNIT_KEYS = {"id", "area_m2", "owner", "developer_unsold"}
HOUSEHOLD_RULES = (tally.HOUSEHOLD_MAJORITY, tally.CONSENSUS)


def _fail(message: str, **params) -> CommandError:
    """Return the error to raise; `message` is already translated (a literal inside `_()` at the call)."""
    return CommandError(message % params if params else message)


def _area(value, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _fail(_("%(where)s: area_m2 must be a number such as \"89.50\"."), where=where)
    try:
        area = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise _fail(_("%(where)s: area_m2 %(value)s is not a number."), where=where, value=json.dumps(value)) from None
    if not area.is_finite() or area <= 0 or area.as_tuple().exponent < -2:
        raise _fail(
            _("%(where)s: area_m2 %(value)s must be above zero with at most two decimal places."),
            where=where, value=json.dumps(str(value)),
        )
    return area


def _text(value, what: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(_("%(where)s: %(what)s must be a non-empty text."), where=where, what=what)
    return value.strip()


def _check_keys(item, allowed: set[str], where: str) -> None:
    if not isinstance(item, dict):
        raise _fail(_("%(where)s must be a JSON object."), where=where)
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise _fail(_("%(where)s: unknown field(s) %(fields)s."), where=where, fields=", ".join(unknown))


def parse_units(data: dict) -> list[tally.UnitIn]:
    """Return the units of the input; raise CommandError naming the first bad one."""
    raw_units = data.get("units")
    if not isinstance(raw_units, list) or not raw_units:
        raise _fail(_("\"units\" must be a non-empty list."))
    units, seen = [], set()
    for n, raw in enumerate(raw_units, start=1):
        where = f"units[{n}]"
        _check_keys(raw, UNIT_KEYS, where)
        unit_id = _text(raw.get("id"), "id", where)
        if unit_id in seen:
            raise _fail(_("%(where)s: unit %(unit)s is listed twice."), where=where, unit=unit_id)
        seen.add(unit_id)
        unsold = raw.get("developer_unsold", False)
        if not isinstance(unsold, bool):
            raise _fail(_("%(where)s: developer_unsold must be true or false."), where=where)
        owner = tally.DEVELOPER_KEY if unsold and not raw.get("owner") else _text(raw.get("owner"), "owner", where)
        units.append(tally.UnitIn(unit_id, _area(raw.get("area_m2"), where), owner, unsold))
    return units


def parse_rule(data: dict) -> tuple[str, int | None]:
    """Return (rule, matter); exactly one of "matter" and "rule" must be given."""
    if ("matter" in data) == ("rule" in data):
        raise _fail(_("Give either \"matter\" (1..9) or \"rule\" (household_majority, consensus), not both or neither."))
    if "matter" in data:
        matter = data["matter"]
        if isinstance(matter, bool) or not isinstance(matter, int) or matter not in tally.MATTERS:
            raise _fail(_("\"matter\" must be a Civil Code matter from 1 to 9, not %(value)s."), value=json.dumps(matter, default=str))
        return tally.rule_for_matter(matter), matter
    rule = data["rule"]
    if rule not in HOUSEHOLD_RULES:
        raise _fail(
            _("\"rule\" must be household_majority or consensus, not %(value)s; Civil Code matters use \"matter\"."),
            value=json.dumps(str(rule)),
        )
    return rule, None


def _ballot_key(raw: dict, electors: dict, household: bool, where: str) -> str:
    field_name, other = ("unit", "voter") if household else ("voter", "unit")
    if other in raw:
        if household:
            raise _fail(_("%(where)s: household rules count one vote per unit; name it with \"unit\"."), where=where)
        raise _fail(_("%(where)s: Civil Code matters count owners; name the owner with \"voter\"."), where=where)
    key = _text(raw.get(field_name), field_name, where)
    if key not in electors:
        if household:
            raise _fail(_("%(where)s: unknown unit %(key)s."), where=where, key=key)
        raise _fail(_("%(where)s: unknown voter %(key)s (no unit names this owner)."), where=where, key=key)
    return key


def parse_ballots(data: dict, electors: dict, *, household: bool = False, election: bool = False) -> dict:
    """Return elector key -> choice (or the list of marked candidates in an election)."""
    raw_ballots = data.get("ballots", [])
    if not isinstance(raw_ballots, list):
        raise _fail(_("\"ballots\" must be a list."))
    ballots: dict = {}
    for n, raw in enumerate(raw_ballots, start=1):
        where = f"ballots[{n}]"
        _check_keys(raw, {"voter", "unit", "marks" if election else "choice"}, where)
        key = _ballot_key(raw, electors, household, where)
        if key in ballots:
            raise _fail(_("%(where)s: duplicate ballot: %(key)s has already voted."), where=where, key=key)
        if election:
            marks = raw.get("marks", [])
            if not isinstance(marks, list) or not all(isinstance(m, str) for m in marks):
                raise _fail(_("%(where)s: \"marks\" must be a list of candidates."), where=where)
            if len(set(marks)) != len(marks):
                raise _fail(_("%(where)s: a candidate is marked twice."), where=where)
            ballots[key] = marks
        else:
            choice = raw.get("choice")
            if choice not in tally.CHOICES:
                raise _fail(
                    _("%(where)s: choice must be yes, no or abstain, not %(value)s."), where=where, value=json.dumps(choice)
                )
            ballots[key] = choice
    return ballots


def _votes(votes: tally.Votes) -> dict:
    return {"count": votes.count, "area": f"{votes.area.quantize(explain.CENT)}"}


def _thresholds(thresholds: tally.Thresholds) -> dict:
    return tally._jsonable(asdict(thresholds))


def outcome_json(outcome: tally.Outcome) -> dict:
    """Return the JSON-ready result of one item (without the clause-applied twin)."""
    return {
        "rule": outcome.rule,
        "participation": {
            **_votes(outcome.participation),
            "total_count": outcome.total.count,
            "total_area": f"{outcome.total.area.quantize(explain.CENT)}",
            "met": outcome.participation_met,
        },
        "yes": _votes(outcome.yes),
        "no": _votes(outcome.no),
        "abstain": _votes(outcome.abstain),
        "passed": outcome.passed,
        "reason_code": outcome.reason,
        "reason": explain.explain(outcome),
        "shortfall": explain.shortfall(outcome),
        "thresholds": _thresholds(outcome.thresholds),
    }


def election_json(outcome: tally.ElectionOutcome) -> dict:
    return {
        "matter": 3,
        "seats": outcome.seats,
        "participation": {
            **_votes(outcome.participation),
            "total_count": outcome.total.count,
            "total_area": f"{outcome.total.area.quantize(explain.CENT)}",
            "met": outcome.participation_met,
        },
        "thresholds": _thresholds(outcome.thresholds),
        "candidates": [
            {"candidate": r.candidate, "yes": _votes(r.yes), "passed": r.passed, "reason_code": r.reason, "elected": r.elected}
            for r in outcome.candidates
        ],
        "elected": outcome.elected,
        "tie_at_last_seat": outcome.tie_at_last_seat,
        "valid_committee": outcome.valid_committee,
        "reason_code": outcome.reason,
        "reason": explain.explain_election(outcome),
    }


def run(data) -> dict:
    """Return the result of the vote described by `data` (the parsed JSON); raise CommandError on bad input."""
    if not isinstance(data, dict):
        raise _fail(_("The input must be a JSON object."))
    _check_keys(data, TOP_KEYS, "The input")
    rule, matter = parse_rule(data)
    clause = data.get("non_voters_follow_majority", False)
    if not isinstance(clause, bool):
        raise _fail(_("\"non_voters_follow_majority\" must be true or false."))
    units = parse_units(data)
    if "seats" in data or "candidates" in data:
        return _run_election(data, matter, clause, units)
    if rule in HOUSEHOLD_RULES:
        if clause:
            raise _fail(_("The 从众 clause (non_voters_follow_majority) applies to Civil Code matters only."))
        electors = tally.household_electorate(units)
    else:
        electors = tally.electorate(units)
    ballots = parse_ballots(data, electors, household=rule in HOUSEHOLD_RULES)
    outcome = tally.tally(rule=rule, electors=electors, ballots=ballots, non_voters_follow_majority=clause)
    result = {"matter": matter, **outcome_json(outcome), "rule_summary": explain.rule_summary(rule)}
    if outcome.clause is not None:
        result["clause_applied"] = outcome_json(outcome.clause)
    result["legal_risk"] = outcome.clause is not None
    return result


def _run_election(data: dict, matter: int | None, clause: bool, units: list[tally.UnitIn]) -> dict:
    if matter != 3:
        raise _fail(_("\"seats\" and \"candidates\" belong to an election, which is matter 3."))
    if clause:
        raise _fail(_("The 从众 clause (non_voters_follow_majority) does not apply to elections."))
    seats = data.get("seats")
    if isinstance(seats, bool) or not isinstance(seats, int) or seats < 1:
        raise _fail(_("\"seats\" must be a whole number of at least 1."))
    candidates = data.get("candidates")
    if not isinstance(candidates, list) or not candidates or not all(isinstance(c, str) and c for c in candidates):
        raise _fail(_("\"candidates\" must be a non-empty list of names."))
    if len(set(candidates)) != len(candidates):
        raise _fail(_("\"candidates\" lists a name twice."))
    electors = tally.electorate(units)
    ballots = parse_ballots(data, electors, election=True)
    for n, (key, marks) in enumerate(ballots.items(), start=1):
        unknown = [m for m in marks if m not in candidates]
        if unknown:
            raise _fail(_("ballots[%(n)s]: unknown candidate %(name)s."), n=n, name=unknown[0])
        if len(marks) > seats:
            raise _fail(
                _("ballots[%(n)s]: %(key)s marks %(marked)s candidates but only %(seats)s seats are open."),
                n=n, key=key, marked=len(marks), seats=seats,
            )
    outcome = tally.tally_election(seats=seats, candidates=candidates, electors=electors, ballots=ballots)
    return election_json(outcome)


class Command(BaseCommand):
    help = (
        "Count one owners' vote from a JSON file (or - for stdin) with the portal's engine and print the result "
        "as JSON. Civil Code matters: {\"matter\": 1..9, \"units\": [{\"id\", \"area_m2\", \"owner\", "
        "\"developer_unsold\"}], \"ballots\": [{\"voter\": owner, \"choice\": yes|no|abstain}], "
        "\"non_voters_follow_majority\": false}. Building meetings: \"rule\": household_majority|consensus and "
        "ballots name the unit: {\"unit\": id, \"choice\": ...}. Elections: \"matter\": 3, \"seats\", "
        "\"candidates\" and ballots {\"voter\", \"marks\": [...]}. See docs/voting.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file describing the vote, or - to read standard input.")
        parser.add_argument("--language", default="zh-hans", help="Language of the reasons and errors (default zh-hans).")

    def handle(self, *args, file: str, language: str = "zh-hans", **options):
        with translation.override(language):
            try:
                if file == "-":
                    text = sys.stdin.read()
                else:
                    with open(file, encoding="utf-8") as handle:
                        text = handle.read()
            except OSError as error:
                raise _fail(_("Cannot read %(file)s: %(error)s"), file=file, error=error.strerror) from None
            try:
                data = json.loads(text, parse_float=Decimal)
            except json.JSONDecodeError as error:
                raise _fail(
                    _("The input is not valid JSON: %(error)s (line %(line)s)."), error=error.msg, line=error.lineno
                ) from None
            try:
                result = run(data)
            except ValueError as error:  # the engine's own checks, should the parsing above miss one
                raise CommandError(str(error)) from None
            self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))

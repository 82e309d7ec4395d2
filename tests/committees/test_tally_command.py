"""`manage.py tally FILE.json`: counts a vote described in JSON with the engine (no database)."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[2]


def run_tally(tmp_path, data, language: str = "zh-hans") -> dict:
    path = tmp_path / "vote.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("tally", str(path), language=language, stdout=out)
    return json.loads(out.getvalue())


def fails(tmp_path, data, *fragments) -> str:
    """Run the command in English (the message ids) and check the error names the problem."""
    with pytest.raises(CommandError) as error:
        run_tally(tmp_path, data, language="en")
    message = str(error.value)
    for fragment in fragments:
        assert fragment in message
    return message


def domain_example(matter: int, **extra) -> dict:
    """100 owners with 100 m² each, except that the 40 yes voters hold 90 m² and the 30 no voters 113.33 m²."""
    units, ballots = [], []
    for i in range(100):
        area = "90.00" if i < 40 else "113.33" if i < 70 else "100.00"
        if i == 69:
            area = "113.43"
        units.append({"id": f"1-{i:03}", "area_m2": area, "owner": f"p{i}", "developer_unsold": False})
        if i < 70:
            ballots.append({"voter": f"p{i}", "choice": "yes" if i < 40 else "no"})
    return {"matter": matter, "non_voters_follow_majority": False, "units": units, "ballots": ballots, **extra}


def test_domain_example_hiring_a_property_company_passes(tmp_path):
    result = run_tally(tmp_path, domain_example(4))
    assert result["participation"] == {
        "count": 70, "area": "7000.00", "total_count": 100, "total_area": "10000.00", "met": True,
    }
    assert result["yes"] == {"count": 40, "area": "3600.00"}
    assert result["no"] == {"count": 30, "area": "3400.00"}
    assert result["abstain"] == {"count": 0, "area": "0.00"}
    assert (result["passed"], result["reason_code"], result["rule"]) == (True, "passed", "majority")
    assert result["thresholds"] == {
        "participation_count": 67, "participation_area": "6666.67", "yes_count": 35, "yes_area": "3500.00",
        "yes_strictly_more": True,
    }
    assert result["reason"]
    assert result["legal_risk"] is False
    assert "clause_applied" not in result


def test_domain_example_raising_the_fund_fails_needing_53_owners_and_5250_m2(tmp_path):
    result = run_tally(tmp_path, domain_example(6))
    assert (result["passed"], result["reason_code"], result["rule"]) == (
        False, "yes_count_and_area_not_enough", "supermajority",
    )
    assert (result["thresholds"]["yes_count"], result["thresholds"]["yes_area"]) == (53, "5250.00")
    assert result["thresholds"]["yes_strictly_more"] is False
    assert "53" in result["reason"] and "5250.00" in result["reason"]


def test_the_clause_is_shown_side_by_side_and_marked_as_a_legal_risk(tmp_path):
    data = domain_example(4, non_voters_follow_majority=True)
    data["ballots"] = data["ballots"][:30] + data["ballots"][40:60]  # 30 yes, 20 no: only 50 take part
    result = run_tally(tmp_path, data)
    assert (result["passed"], result["reason_code"]) == (False, "participation_not_met")
    assert result["legal_risk"] is True
    applied = result["clause_applied"]
    assert applied["participation"]["count"] == 100
    assert applied["participation"]["met"] is True
    assert applied["yes"]["count"] == 80
    assert (applied["passed"], applied["reason_code"]) == (True, "passed")
    assert applied["reason"]


def test_developer_and_owners_of_several_units_count_once(tmp_path):
    data = {
        "matter": 1,
        "units": [
            {"id": "1-101", "area_m2": "89.50", "owner": "p1"},
            {"id": "1-102", "area_m2": "60.25", "owner": "p1"},
            {"id": "1-201", "area_m2": 100.1, "owner": "p2"},  # a JSON number is read exactly too
            {"id": "1-301", "area_m2": "88", "developer_unsold": True},
            {"id": "1-302", "area_m2": "88", "owner": "开发商", "developer_unsold": True},
        ],
        "ballots": [{"voter": "p1", "choice": "yes"}, {"voter": "developer", "choice": "abstain"}],
    }
    result = run_tally(tmp_path, data)
    assert result["participation"] == {
        "count": 2, "area": "325.75", "total_count": 3, "total_area": "425.85", "met": True,
    }
    assert result["abstain"] == {"count": 1, "area": "176.00"}
    assert (result["passed"], result["reason_code"]) == (False, "yes_count_and_area_not_enough")  # 1 of 2: half


def test_household_majority_counts_units_named_in_the_ballots(tmp_path):
    data = {
        "rule": "household_majority",
        "units": [{"id": f"3-{n}", "area_m2": "70", "owner": "same-owner"} for n in range(1, 7)],
        "ballots": [
            {"unit": "3-1", "choice": "yes"}, {"unit": "3-2", "choice": "yes"}, {"unit": "3-3", "choice": "yes"},
            {"unit": "3-4", "choice": "no"}, {"unit": "3-5", "choice": "abstain"},
        ],
    }
    result = run_tally(tmp_path, data)
    assert result["matter"] is None
    assert result["rule"] == "household_majority"
    assert result["participation"]["count"] == 5
    assert result["participation"]["met"] is None
    assert (result["passed"], result["reason_code"]) == (True, "passed")
    data["ballots"][0]["choice"] = "abstain"
    result = run_tally(tmp_path, data)
    assert (result["passed"], result["reason_code"]) == (False, "household_majority_not_reached")
    assert result["shortfall"]


def test_consensus_fails_on_one_objection(tmp_path):
    data = {
        "rule": "consensus",
        "units": [{"id": "1", "area_m2": "70", "owner": "a"}, {"id": "2", "area_m2": "70", "owner": "b"}],
        "ballots": [{"unit": "1", "choice": "yes"}, {"unit": "2", "choice": "no"}],
    }
    assert run_tally(tmp_path, data)["reason_code"] == "objection_raised"
    data["ballots"][1]["choice"] = "abstain"
    assert run_tally(tmp_path, data)["passed"] is True


def election(marks_by_voter, seats=5, candidates=("c1", "c2", "c3", "c4", "c5", "c6", "c7")) -> dict:
    return {
        "matter": 3, "seats": seats, "candidates": list(candidates),
        "units": [{"id": f"u{i}", "area_m2": "100.00", "owner": f"p{i}"} for i in range(10)],
        "ballots": [{"voter": f"p{i}", "marks": marks} for i, marks in marks_by_voter.items()],
    }


def test_an_election_elects_the_top_candidates_with_the_double_majority(tmp_path):
    result = run_tally(tmp_path, election({i: ["c1", "c2", "c3", "c4", "c5"] for i in range(8)}))
    assert result["elected"] == ["c1", "c2", "c3", "c4", "c5"]
    assert (result["valid_committee"], result["reason_code"]) == (True, "committee_elected")
    assert result["participation"]["count"] == 8
    assert result["candidates"][0] == {
        "candidate": "c1", "yes": {"count": 8, "area": "800.00"}, "passed": True, "reason_code": "passed",
        "elected": True,
    }
    assert result["candidates"][5]["reason_code"] == "yes_count_and_area_not_enough"
    assert result["reason"]


def test_an_election_tie_at_the_last_seat_is_reported(tmp_path):
    marks = (
        {i: ["c1", "c2", "c3", "c4", "c5"] for i in range(4)}
        | {4: ["c1", "c2", "c3", "c5", "c6"], 5: ["c1", "c2", "c3", "c5", "c6"]}
        | {i: ["c1", "c2", "c3", "c4", "c6"] for i in range(6, 10)}
    )
    result = run_tally(tmp_path, election(marks))
    assert result["elected"] == ["c1", "c2", "c3", "c4"]
    assert result["tie_at_last_seat"] == ["c5", "c6"]
    assert (result["valid_committee"], result["reason_code"]) == (False, "too_few_elected")


def test_stdin_is_read_with_a_dash(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(domain_example(4))))
    out = io.StringIO()
    call_command("tally", "-", stdout=out)
    assert json.loads(out.getvalue())["passed"] is True


def test_output_keeps_chinese_names_readable(tmp_path):
    data = {"matter": 9, "units": [{"id": "3号楼2单元201", "area_m2": "89.50", "owner": "张三"}], "ballots": []}
    path = tmp_path / "vote.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = io.StringIO()
    call_command("tally", str(path), stdout=out)
    assert "\\u" not in out.getvalue()
    assert out.getvalue().startswith('{\n  "matter": 9,')


UNITS = [{"id": "1-101", "area_m2": "89.50", "owner": "p1"}, {"id": "1-102", "area_m2": "60.00", "owner": "p2"}]


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ({"matter": 4, "units": UNITS, "ballots": [{"voter": "p9", "choice": "yes"}]}, ["ballots[1]", "unknown voter", "p9"]),
        ({"matter": 4, "units": UNITS, "ballots": [{"voter": "p1", "choice": "yes"}, {"voter": "p1", "choice": "no"}]},
         ["ballots[2]", "duplicate ballot", "p1"]),
        ({"matter": 0, "units": UNITS}, ["matter", "1 to 9", "0"]),
        ({"matter": 10, "units": UNITS}, ["matter", "10"]),
        ({"matter": "4", "units": UNITS}, ["matter"]),
        ({"matter": True, "units": UNITS}, ["matter"]),
        ({"matter": 4, "units": [{"id": "x", "area_m2": "abc", "owner": "p1"}]}, ["units[1]", "area_m2", "abc"]),
        ({"matter": 4, "units": [{"id": "x", "area_m2": "89.505", "owner": "p1"}]}, ["units[1]", "two decimal places"]),
        ({"matter": 4, "units": [{"id": "x", "area_m2": "-1", "owner": "p1"}]}, ["units[1]", "above zero"]),
        ({"matter": 4, "units": [{"id": "x", "area_m2": "NaN", "owner": "p1"}]}, ["units[1]", "area_m2"]),
        ({"matter": 4, "units": [{"id": "x", "owner": "p1"}]}, ["units[1]", "area_m2"]),
        ({"matter": 4, "units": [UNITS[0], UNITS[0]]}, ["units[2]", "listed twice"]),
        ({"matter": 4, "units": [{"id": "x", "area_m2": "1"}]}, ["units[1]", "owner"]),
        ({"matter": 4, "units": []}, ["units"]),
        ({"matter": 4, "rule": "consensus", "units": UNITS}, ["either"]),
        ({"units": UNITS}, ["either"]),
        ({"rule": "plurality", "units": UNITS}, ["rule", "plurality"]),
        ({"matter": 4, "units": UNITS, "ballots": [{"voter": "p1", "choice": "maybe"}]}, ["ballots[1]", "maybe"]),
        ({"matter": 4, "units": UNITS, "ballots": [{"unit": "1-101", "choice": "yes"}]}, ["ballots[1]", "voter"]),
        ({"rule": "consensus", "units": UNITS, "ballots": [{"voter": "p1", "choice": "yes"}]}, ["ballots[1]", "unit"]),
        ({"rule": "consensus", "units": UNITS, "ballots": [{"unit": "9-9", "choice": "yes"}]}, ["unknown unit", "9-9"]),
        ({"rule": "consensus", "non_voters_follow_majority": True, "units": UNITS}, ["non_voters_follow_majority"]),
        ({"matter": 4, "non_voters_follow_majority": "yes", "units": UNITS}, ["non_voters_follow_majority"]),
        ({"matter": 4, "non_voter_follow_majority": True, "units": UNITS}, ["unknown field", "non_voter_follow_majority"]),
        ({"matter": 4, "seats": 5, "candidates": ["a"], "units": UNITS}, ["matter 3"]),
        ({"matter": 3, "seats": 0, "candidates": ["a"], "units": UNITS}, ["seats"]),
        ({"matter": 3, "seats": 1, "candidates": ["a", "a"], "units": UNITS}, ["candidates", "twice"]),
        ({"matter": 3, "seats": 1, "candidates": ["a", "b"], "units": UNITS, "ballots": [{"voter": "p1", "marks": ["a", "b"]}]},
         ["ballots[1]", "2 candidates", "1 seats"]),
        ({"matter": 3, "seats": 2, "candidates": ["a"], "units": UNITS, "ballots": [{"voter": "p1", "marks": ["z"]}]},
         ["ballots[1]", "unknown candidate z"]),
        ({"matter": 3, "seats": 2, "candidates": ["a"], "units": UNITS, "ballots": [{"voter": "p1", "choice": "yes"}]},
         ["ballots[1]", "choice"]),
        ([1, 2], ["JSON object"]),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(tmp_path, data, fragments):
    fails(tmp_path, data, *fragments)


def test_invalid_json_and_missing_files_are_refused(tmp_path):
    fails(tmp_path, '{"matter": 4,', "not valid JSON", "line 1")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("tally", str(tmp_path / "missing.json"), language="en", stdout=io.StringIO())


def test_the_command_exits_non_zero_on_bad_input(tmp_path):
    path = tmp_path / "vote.json"
    path.write_text(json.dumps({"matter": 4, "units": UNITS, "ballots": [{"voter": "p9", "choice": "yes"}]}))
    done = subprocess.run(
        [sys.executable, "manage.py", "tally", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert done.returncode != 0
    assert "p9" in done.stderr
    assert done.stdout == ""

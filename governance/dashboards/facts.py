"""What one case adds to the rollup tables: the single definition, shared by the incremental sync and the rebuild.

`case_rows(case, dispatches, surveys, repeat)` takes plain values (named tuples built from `values_list`
rows, fields below) and returns {key: {counter: n}} with two kinds of key:

    ("case", day, compound_id, category)
    ("dispatch", day, compound_id, category, handler_kind, handler_id)

Counters that are 0 are left out. `to_json` / `from_json` turn that into the list stored in
ComplaintFact.rows and back. Nothing here touches the database.

Rules (the counters' names are those of models.CASE_COUNTERS and DISPATCH_COUNTERS):
- Key. Every counter of a case and of its dispatches goes to the case's filing day (the local date of
  created_at in settings.TIME_ZONE, Asia/Shanghai), its compound and its current category. Dispatch rows
  add the handler: handler_kind and handler_id = department id, property company id, or 0 (party branch).
- Seconds are whole seconds, rounded down: (later - earlier) // 1 s.
- Case: filed = 1; rejected / merged = status is rejected / merged; accepted = accepted_at is set;
  accepted_on_time = accepted and (no accept-by, or accepted_at <= accept_due_at); accept_seconds = filing
  → acceptance; whistled = at least one dispatch to a department (any status); closed = status closed or
  closed_unconfirmed; closed_unconfirmed; closed_on_time = closed and (no handle-by, or resolved_at —
  closed_at when not resolved — <= handle_due_at); close_seconds = filing → closed_at; reopened =
  redo_count > 0; repeat = the flag given (see `repeats`).
- The resident's latest word (closed cases only), exactly as complaints.surveys.stats.case_figures: the
  words are the confirmation (status closed: answer and rating at closed_at), then each answered follow-up
  or recheck survey in the order (-invite_at, -id): its "solved?" answer, its "still fixed?" answer, its
  satisfaction, at answered_at. The latest by time counts; on a tie, the first in that order.
  solved = latest solved word is "solved" (or still fixed); rated = there is a satisfaction word;
  satisfied / basically / dissatisfied = the latest satisfaction word.
- followup_sent = closed and the case's follow-up survey (purpose case_followup) was invited (invited_at
  set, not cancelled); followup_answered = ... and it is answered.
- Dispatch: dispatched = 1; acknowledged = acknowledged_at set; ack_on_time = acknowledged_at <=
  acknowledge_due_at; ack_seconds = dispatch (created_at) → acknowledgement; resolved = resolved_at set;
  resolved_on_time = resolved_at <= handle_due_at; handle_seconds = dispatch → resolved_at; returned /
  parked = status returned / parked; extended = an extension was asked (extension_hours set); redo =
  is_redo; score_sum / score_count = the community's 1–5 score, when given.
- The case outcome per handler counts once: on the latest dispatch (highest id) of each (case,
  handler_kind, handler_id), cases = 1, closed, solved, rated as above, satisfied = latest satisfaction
  word is 满意 or 基本满意.
- Repeat: a case with a unit is a repeat when another case of the same unit and category was filed in the
  30 days before it: created_at in [X - 30 days, X), a case filed at the same instant counting as before
  when its id is smaller. Sorted by (unit, category, created_at, id), that is: the previous case of the
  same unit and category was filed at or after X - 30 days (`repeats`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings

from complaints.models import Answer, DispatchStatus, HandlerKind, Rating, Status, Survey

REPEAT_WINDOW = timedelta(days=30)
SECOND = timedelta(seconds=1)
CLOSED = frozenset({Status.CLOSED, Status.CLOSED_UNCONFIRMED})
CASE_SURVEYS = (Survey.Purpose.CASE_FOLLOWUP, Survey.Purpose.CASE_RECHECK)
_SATISFIED = frozenset({Rating.SATISFIED, Rating.BASICALLY})


class CaseValues(NamedTuple):
    id: int
    created_at: datetime
    compound_id: int
    category: str
    unit_id: int | None
    status: str
    accepted_at: datetime | None
    accept_due_at: datetime | None
    handle_due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    answer: str
    rating: str
    redo_count: int


class DispatchValues(NamedTuple):
    id: int
    complaint_id: int
    handler_kind: str
    department_id: int | None
    property_company_id: int | None
    created_at: datetime
    status: str
    acknowledge_due_at: datetime | None
    acknowledged_at: datetime | None
    handle_due_at: datetime | None
    resolved_at: datetime | None
    extension_hours: int | None
    is_redo: bool
    community_score: int | None


class SurveyValues(NamedTuple):
    id: int
    complaint_id: int
    purpose: str
    status: str
    invite_at: datetime
    invited_at: datetime | None
    answered_at: datetime | None
    solved: str
    satisfaction: str
    still_fixed: bool | None


# Field names for values_list(): the rows come back in the order the tuples above expect.
CASE_FIELDS = CaseValues._fields
DISPATCH_FIELDS = DispatchValues._fields
SURVEY_FIELDS = SurveyValues._fields

Key = tuple
Rows = dict[Key, dict[str, int]]

_zone: ZoneInfo | None = None


def local_day(at: datetime) -> date:
    global _zone
    if _zone is None:
        _zone = ZoneInfo(settings.TIME_ZONE)
    return at.astimezone(_zone).date()


def repeats(previous_created_at: datetime | None, created_at: datetime) -> bool:
    """The repeat rule, given the filing time of the case just before (same unit and category)."""
    return previous_created_at is not None and previous_created_at >= created_at - REPEAT_WINDOW


def handler_id(dispatch: DispatchValues) -> int:
    if dispatch.handler_kind == HandlerKind.DEPARTMENT:
        return dispatch.department_id or 0
    if dispatch.handler_kind == HandlerKind.PROPERTY:
        return dispatch.property_company_id or 0
    return 0


def _seconds(earlier: datetime, later: datetime) -> int:
    return (later - earlier) // SECOND


def latest_words(case: CaseValues, surveys: Iterable[SurveyValues]) -> tuple[bool | None, str | None]:
    """(solved?, satisfaction) by the resident's latest word, None where there is none (case_figures' rule)."""
    solved = rating = solved_at = rating_at = None
    if case.status == Status.CLOSED and case.answer:
        solved, solved_at = case.answer == Answer.SOLVED, case.closed_at
    if case.status == Status.CLOSED and case.rating:
        rating, rating_at = case.rating, case.closed_at
    answered = [s for s in surveys if s.status == Survey.Status.ANSWERED and s.purpose in CASE_SURVEYS]
    if len(answered) > 1:
        answered.sort(key=lambda s: (s.invite_at, s.id), reverse=True)
    # In that order, a word replaces the one kept only when strictly later: the first of equal times wins.
    for s in answered:
        at = s.answered_at
        if s.solved and (solved_at is None or at > solved_at):
            solved, solved_at = s.solved == Survey.Solved.SOLVED, at
        if s.still_fixed is not None and (solved_at is None or at > solved_at):
            solved, solved_at = s.still_fixed, at
        if s.satisfaction and (rating_at is None or at > rating_at):
            rating, rating_at = s.satisfaction, at
    return solved, rating


def _case_counters(case: CaseValues, whistled: bool, surveys: Sequence[SurveyValues], repeat: bool,
                   outcome: dict[str, int]) -> dict[str, int]:
    c = {"filed": 1}
    if case.status == Status.REJECTED:
        c["rejected"] = 1
    if case.status == Status.MERGED:
        c["merged"] = 1
    if case.accepted_at is not None:
        c["accepted"] = 1
        if case.accept_due_at is None or case.accepted_at <= case.accept_due_at:
            c["accepted_on_time"] = 1
        c["accept_seconds"] = _seconds(case.created_at, case.accepted_at)
    if whistled:
        c["whistled"] = 1
    if case.status in CLOSED:
        c["closed"] = 1
        if case.status == Status.CLOSED_UNCONFIRMED:
            c["closed_unconfirmed"] = 1
        finished = case.resolved_at or case.closed_at
        if case.handle_due_at is None or (finished is not None and finished <= case.handle_due_at):
            c["closed_on_time"] = 1
        if case.closed_at is not None:
            c["close_seconds"] = _seconds(case.created_at, case.closed_at)
        c.update(outcome)
        followup = next((s for s in surveys if s.purpose == Survey.Purpose.CASE_FOLLOWUP), None)
        if followup is not None and followup.invited_at is not None and followup.status != Survey.Status.CANCELLED:
            c["followup_sent"] = 1
            if followup.status == Survey.Status.ANSWERED:
                c["followup_answered"] = 1
    if case.redo_count > 0:
        c["reopened"] = 1
    if repeat:
        c["repeat"] = 1
    return {name: n for name, n in c.items() if n}


def _dispatch_counters(d: DispatchValues) -> dict[str, int]:
    c = {"dispatched": 1}
    if d.acknowledged_at is not None:
        c["acknowledged"] = 1
        if d.acknowledge_due_at is None or d.acknowledged_at <= d.acknowledge_due_at:
            c["ack_on_time"] = 1
        c["ack_seconds"] = _seconds(d.created_at, d.acknowledged_at)
    if d.resolved_at is not None:
        c["resolved"] = 1
        if d.handle_due_at is None or d.resolved_at <= d.handle_due_at:
            c["resolved_on_time"] = 1
        c["handle_seconds"] = _seconds(d.created_at, d.resolved_at)
    if d.status == DispatchStatus.RETURNED:
        c["returned"] = 1
    if d.status == DispatchStatus.PARKED:
        c["parked"] = 1
    if d.extension_hours is not None:
        c["extended"] = 1
    if d.is_redo:
        c["redo"] = 1
    if d.community_score is not None:
        c["score_sum"], c["score_count"] = d.community_score, 1
    return c


def case_rows(case: CaseValues, dispatches: Sequence[DispatchValues], surveys: Sequence[SurveyValues],
              repeat: bool) -> Rows:
    """Return the rollup rows one case adds: {key: {counter: n}} (see the module docstring)."""
    day = local_day(case.created_at)
    closed = case.status in CLOSED
    outcome: dict[str, int] = {}  # the case outcome, counted on the case row and once per handler
    rating = None
    if closed:
        solved, rating = latest_words(case, surveys)
        if solved:
            outcome["solved"] = 1
        if rating is not None:
            outcome["rated"] = 1
            outcome[rating] = 1  # satisfied / basically / dissatisfied
    latest: dict[tuple[str, int], int] = {}  # handler → id of its latest dispatch
    whistled = False
    for d in dispatches:
        handler = (d.handler_kind, handler_id(d))
        latest[handler] = max(latest.get(handler, d.id), d.id)
        whistled = whistled or d.handler_kind == HandlerKind.DEPARTMENT
    rows: Rows = {("case", day, case.compound_id, case.category): _case_counters(case, whistled, surveys, repeat,
                                                                                 outcome)}
    handled = {"cases": 1}  # the case outcome, on the latest dispatch of each handler
    if closed:
        handled["closed"] = 1
        handled.update((name, 1) for name in ("solved", "rated") if name in outcome)
        if rating in _SATISFIED:
            handled["satisfied"] = 1
    for d in dispatches:
        handler = (d.handler_kind, handler_id(d))
        counters = rows.setdefault(("dispatch", day, case.compound_id, case.category, *handler), {})
        add(counters, _dispatch_counters(d))
        if latest[handler] == d.id:
            add(counters, handled)
    return rows


def add(into: dict[str, int], counters: dict[str, int], sign: int = 1) -> None:
    for name, n in counters.items():
        into[name] = into.get(name, 0) + sign * n


def to_json(rows: Rows) -> list:
    """[[kind, "YYYY-MM-DD", compound_id, category, (handler_kind, handler_id,) {counter: n}], ...], sorted."""
    return [[key[0], key[1].isoformat(), *key[2:], counters] for key, counters in sorted(rows.items())]


def from_json(data) -> Rows:
    return {(item[0], date.fromisoformat(item[1]), *item[2:-1]): item[-1] for item in data or ()}

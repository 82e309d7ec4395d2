"""Figures: 解决率 and 满意率 of cases, a campaign's response rate, per-question results.

解决率 (solved rate) = cases whose resident's latest word is "solved" ÷ closed cases (closed and
closed unconfirmed). The resident's words on a case are its confirmation (when it closed with one), its
follow-up survey's "solved?" answer and its recheck's "still fixed?" answer; the latest by time counts.
"Partly solved" is not solved; a case closed unconfirmed with no survey answer counts as not solved.

满意率 (satisfaction rate) = cases whose latest satisfaction word is 满意 or 基本满意 ÷ closed cases that
have a satisfaction word (from the confirmation or the follow-up). See docs/surveys.md.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import QuerySet

from ..models import Answer, Campaign, Complaint, QuestionKind, Rating, Status, Survey

CLOSED = (Status.CLOSED, Status.CLOSED_UNCONFIRMED)
SATISFIED = frozenset({Rating.SATISFIED, Rating.BASICALLY})


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def case_figures(complaints: QuerySet[Complaint]) -> dict:
    """Return {"closed", "solved", "solved_rate", "rated", "satisfied", "satisfied_rate"} (rates in %,
    None without a denominator) for the closed cases of `complaints`. Two queries."""
    cases = list(complaints.filter(status__in=CLOSED).values_list("pk", "status", "answer", "rating", "closed_at"))
    solved_words: dict[int, list[tuple[datetime, bool]]] = {}
    rating_words: dict[int, list[tuple[datetime, bool]]] = {}
    for pk, status, answer, rating, closed_at in cases:
        solved_words[pk], rating_words[pk] = [], []
        if status == Status.CLOSED and answer:
            solved_words[pk].append((closed_at, answer == Answer.SOLVED))
        if status == Status.CLOSED and rating:
            rating_words[pk].append((closed_at, rating in SATISFIED))
    answers = Survey.objects.filter(
        complaint_id__in=[c[0] for c in cases], status=Survey.Status.ANSWERED,
        purpose__in=[Survey.Purpose.CASE_FOLLOWUP, Survey.Purpose.CASE_RECHECK],
    ).values_list("complaint_id", "answered_at", "solved", "satisfaction", "still_fixed")
    for pk, at, solved, satisfaction, still_fixed in answers:
        if solved:
            solved_words[pk].append((at, solved == Survey.Solved.SOLVED))
        if still_fixed is not None:
            solved_words[pk].append((at, still_fixed))
        if satisfaction:
            rating_words[pk].append((at, satisfaction in SATISFIED))
    solved = sum(1 for words in solved_words.values() if words and max(words, key=lambda w: w[0])[1])
    rated = [max(words, key=lambda w: w[0])[1] for words in rating_words.values() if words]
    return {
        "closed": len(cases), "solved": solved, "solved_rate": _rate(solved, len(cases)),
        "rated": len(rated), "satisfied": sum(rated), "satisfied_rate": _rate(sum(rated), len(rated)),
    }


def response_rate(campaign: Campaign) -> dict:
    """Return {"asked", "invited", "answered", "expired", "rate"}: households asked (withdrawn ones left
    out), invitations out so far, answers, expired; rate = answered ÷ asked, in %."""
    counts = Counter(campaign.surveys.exclude(status=Survey.Status.CANCELLED).values_list("status", flat=True))
    asked = sum(counts.values())
    answered = counts[Survey.Status.ANSWERED]
    return {
        "asked": asked,
        "invited": asked - counts[Survey.Status.SCHEDULED],
        "answered": answered,
        "expired": counts[Survey.Status.EXPIRED],
        "rate": _rate(answered, asked),
    }


def question_results(surveys: QuerySet[Survey], questions: list[dict]) -> list[dict]:
    """Per question of `questions` (a template snapshot), over the answered surveys of `surveys`:
    rating → average and count per point; single / multiple → count and share per choice (share of
    those who answered the question); text → count and the latest ten; photo → count."""
    rows = list(surveys.filter(status=Survey.Status.ANSWERED).order_by("-answered_at", "-id").values_list("answers", flat=True))
    results = []
    for q in questions:
        key, kind = q["key"], q["kind"]
        given = [a[key] for a in rows if a.get(key) not in (None, "", [])]
        result = {"key": key, "kind": kind, "text": q["text"], "count": len(given)}
        if kind == QuestionKind.RATING:
            points = Counter(int(v) for v in given)
            result["average"] = round(sum(int(v) for v in given) / len(given), 2) if given else None
            result["distribution"] = [
                {"value": p, "label": str(p), "count": points[p], "share": _rate(points[p], len(given))} for p in range(1, 6)
            ]
        elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            chosen = Counter(v for value in given for v in (value if isinstance(value, list) else [value]))
            result["distribution"] = [
                {"value": c["value"], "label": c["label"], "count": chosen[str(c["value"])],
                 "share": _rate(chosen[str(c["value"])], len(given))}
                for c in q.get("choices") or []
            ]
        elif kind == QuestionKind.TEXT:
            result["latest"] = given[:10]
        results.append(result)
    return results

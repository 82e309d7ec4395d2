"""The survey page a signed link opens (/surveys/<id>/<token>/): no password needed, phone first.

The link decides who answers (complaints.surveys.tokens); the service checks the answers against the
survey's frozen questions. A refused link gets a plain page saying why: 404 (not this survey's link),
403 (someone else is logged in), 410 (answered, ended or withdrawn).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import ApplicationError

from .models import QuestionKind, Status, Survey
from .photos import process_photos
from .surveys import tokens
from .surveys.services import survey_answer

# A link that cannot be used is answered with a page of its own (404, 403 or 410), not a form error.
REFUSALS = ("not_found", "forbidden", "gone")


def _refused(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    return render(request, "complaints/survey_refused.html", {"message": error.message},
                  status=error.http_status)


def _read(request: HttpRequest, questions: list[dict]) -> tuple[dict, dict, dict]:
    """The posted answers and photos by question key, and errors met while reading photos."""
    answers, photos, errors = {}, {}, {}
    for q in questions:
        name = f"q_{q['key']}"
        if q["kind"] == QuestionKind.MULTIPLE:
            answers[q["key"]] = request.POST.getlist(name)
        elif q["kind"] == QuestionKind.PHOTO:
            try:
                photos[q["key"]] = process_photos(request.FILES.getlist(name)[:10])
            except ApplicationError as error:
                errors[q["key"]] = error.message
        else:
            answers[q["key"]] = request.POST.get(name, "")
    return answers, photos, errors


def _display(questions: list[dict], answers: dict, errors: dict) -> list[dict]:
    """What the page shows for each question: its inputs, what was chosen, its error."""
    shown = []
    for number, q in enumerate(questions, start=1):
        value = answers.get(q["key"])
        chosen = set(value) if isinstance(value, list) else {str(value)} if value not in (None, "") else set()
        item = {**q, "number": number, "name": f"q_{q['key']}", "error": errors.get(q["key"], ""),
                "text_value": value if q["kind"] == QuestionKind.TEXT else ""}
        if q["kind"] == QuestionKind.RATING:
            item["options"] = [{"value": str(n), "label": str(n), "checked": str(n) in chosen} for n in range(1, 6)]
        else:
            item["options"] = [{"value": str(c["value"]), "label": c["label"], "checked": str(c["value"]) in chosen}
                               for c in q.get("choices") or []]
        shown.append(item)
    return shown


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    try:
        survey = tokens.survey_from_link(pk=pk, token=token, user=request.user)
    except ApplicationError as error:
        return _refused(request, error)
    answers: dict = {}
    errors: dict = {}
    if request.method == "POST":
        answers, photos, errors = _read(request, survey.questions)
        if not errors:
            try:
                survey = survey_answer(survey=survey, answers=answers, photos=photos, actor=request.user)
            except ApplicationError as error:
                keys = {q["key"] for q in survey.questions}
                if error.field in keys:
                    errors[error.field] = error.message
                elif error.code in REFUSALS:
                    return _refused(request, error)
                else:
                    errors["__all__"] = error.message
            else:
                reopened = survey.complaint_id is not None and survey.complaint.status == Status.ACCEPTED
                return render(request, "complaints/survey_done.html", {"survey": survey, "reopened": reopened})
    context = {
        "survey": survey,
        "title": survey.template.name,
        "intro": survey.template.intro,
        "about": _about(survey),
        "questions": _display(survey.questions, answers, errors),
        "form_error": errors.get("__all__", "") or (_("Please check the questions marked in red.") if errors else ""),
        "has_photo": any(q["kind"] == QuestionKind.PHOTO for q in survey.questions),
        "ends": survey.expires_at,
    }
    return render(request, "complaints/survey_answer.html", context, status=400 if errors else 200)


def _about(survey: Survey) -> str:
    if survey.complaint_id:
        return f"{survey.complaint.number} {survey.complaint.title}"
    if survey.campaign_id:
        return survey.campaign.name
    return ""

"""Staff pages of revisit campaigns (定期回访) and survey templates, the case follow-up figures, and the
resident's "my surveys" page.

Campaigns out of the user's scope answer 404; people who manage no place (residents) get 403 on the
staff pages. Service errors become form errors or a message. The results are shown as a table (the
numbers) and as ECharts charts drawn from the same numbers (a json_script block).
"""

from __future__ import annotations

import io
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ApplicationError
from core.forms import add_service_error

from . import campaign_selectors as sel
from .campaign_forms import (
    CampaignForm,
    FiguresForm,
    QuestionCreateForm,
    QuestionForm,
    TemplateCreateForm,
    TemplateEditForm,
    format_choices,
)
from .models import Campaign, QuestionKind, SurveyPhoto, SurveyQuestion, SurveyTemplate
from .surveys import services, tokens

PAGE_SIZE = 30
STATUS_BADGES = {Campaign.Status.DRAFT: "text-bg-secondary", Campaign.Status.RUNNING: "text-bg-success",
                 Campaign.Status.FINISHED: "text-bg-dark"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_runner(request: HttpRequest) -> None:
    if not sel.runs_campaigns(request.user):
        raise PermissionDenied


def _require_editor(request: HttpRequest) -> None:
    if not sel.may_edit_templates(request.user):
        raise PermissionDenied


# --- campaigns -----------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    _require_runner(request)
    rows = sel.with_response_counts(sel.campaigns_visible_to(request.user)).order_by("-starts_at", "-id")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.badge = STATUS_BADGES.get(c.status, "text-bg-secondary")
        c.rate = round(100 * c.answered / c.asked, 1) if c.asked else None
    return render(request, "complaints/campaign_list.html", {
        "page": page, "query": "", "may_edit_templates": sel.may_edit_templates(request.user),
    })


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    _require_runner(request)
    form = CampaignForm(request.POST or None, places=sel.campaign_places(request.user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=request.user, name=d["name"], template=d["template"], place=d["place"], starts_at=d["starts_at"],
                ends_at=d["ends_at"], sample_share=d["sample_share"], remind_after_days=d["remind_after_days"],
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The campaign is saved as a draft. Launch it to draw the households."))
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "complaints/campaign_new.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _campaign(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(sel.campaigns_visible_to(request.user), pk=pk)


def _chart_data(results: list[dict]) -> list[dict]:
    """What the charts draw: per rating or choice question, its labels and counts (the table's numbers)."""
    charts = []
    for r in results:
        if r["kind"] in (QuestionKind.RATING, QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            charts.append({"id": f"chart-{r['key']}", "kind": r["kind"],
                           "labels": [d["label"] for d in r["distribution"]],
                           "counts": [d["count"] for d in r["distribution"]]})
    return charts


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign(request, pk)
    results = sel.campaign_results(campaign)
    response = results["response"]
    chart = {
        "response": {"labels": [_("answered"), _("not answered yet"), _("expired")],
                     "counts": [response["answered"], response["asked"] - response["answered"] - response["expired"],
                                response["expired"]]},
        "questions": _chart_data(results["questions"]),
    }
    return render(request, "complaints/campaign_detail.html", {
        "campaign": campaign,
        "badge": STATUS_BADGES.get(campaign.status, "text-bg-secondary"),
        "response": response,
        "questions": results["questions"],
        "chart": chart,
        "has_charts": bool(response["asked"]),
        "figures": sel.recent_figures(sel.place_cases(campaign), 90),
        "can_launch": campaign.status == Campaign.Status.DRAFT,
        "can_finish": campaign.status == Campaign.Status.RUNNING,
        "can_export": response["asked"] > 0,
    })


def _campaign_action(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    campaign = _campaign(request, pk)
    try:
        service(campaign=campaign, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("campaigns:detail", pk=pk)


@login_required
@require_POST
def campaign_launch(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(request, pk, services.campaign_launch,
                            _("The campaign is launched: the households drawn are invited when it starts."))


@login_required
@require_POST
def campaign_finish(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(request, pk, services.campaign_finish,
                            _("The campaign is finished: surveys not answered have expired."))


@login_required
@require_GET
def campaign_export(request: HttpRequest, pk: int) -> FileResponse:
    campaign = _campaign(request, pk)
    name = f"campaign-{campaign.pk}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(io.BytesIO(sel.campaign_xlsx(campaign)), as_attachment=True, filename=name, content_type=XLSX)


@login_required
@require_GET
def campaign_photo(request: HttpRequest, pk: int, photo_id: int) -> FileResponse:
    """A thumbnail of a photo answer, for staff who see the campaign (media is never served by URL)."""
    campaign = _campaign(request, pk)
    photo = get_object_or_404(SurveyPhoto, pk=photo_id, survey__campaign=campaign)
    try:
        handle = photo.thumbnail.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    return FileResponse(handle, content_type=mimetypes.guess_type(photo.thumbnail.name)[0] or "application/octet-stream")


@login_required
@require_GET
def case_figures(request: HttpRequest) -> HttpResponse:
    """解决率 / 满意率 of the cases closed in the staff's compounds over the last 30 and 90 days."""
    _require_runner(request)
    form = FiguresForm(request.GET or None)
    extra = form.cleaned_data.get("days") if form.is_valid() else None
    cases = sel.staff_cases(request.user)
    periods = [sel.recent_figures(cases, days) for days in sorted({30, 90, *([extra] if extra else [])})]
    return render(request, "complaints/campaign_figures.html", {"periods": periods})


# --- survey templates ----------------------------------------------------------------------------


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    return render(request, "complaints/survey_template_list.html", {"templates": list(sel.templates_with_counts())})


@login_required
def template_new(request: HttpRequest) -> HttpResponse:
    _require_editor(request)
    form = TemplateCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            template = services.survey_template_create(actor=request.user, key=d["key"], name=d["name"], kind=d["kind"],
                                                       intro=d["intro"])
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The survey is created. Now add its questions."))
            return redirect("campaigns:template", pk=template.pk)
    return render(request, "complaints/survey_template_new.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


def _render_template(request, template: SurveyTemplate, *, form=None, question_form=None, status=200) -> HttpResponse:
    questions = list(template.questions.order_by("position", "id"))
    for q in questions:
        q.choice_labels = [c["label"] for c in q.choices or []]
    return render(request, "complaints/survey_template_edit.html", {
        "template": template,
        "form": form or TemplateEditForm(initial={"name": template.name, "intro": template.intro,
                                                  "is_active": template.is_active}),
        "question_form": question_form or QuestionCreateForm(),
        "questions": questions,
        "in_use": template.surveys.exists(),
    }, status=status)


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    template = get_object_or_404(SurveyTemplate, pk=pk)
    if request.method != "POST":
        return _render_template(request, template)
    form = TemplateEditForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.survey_template_update(template=template, actor=request.user, name=d["name"], intro=d["intro"],
                                            is_active=d["is_active"])
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("campaigns:template", pk=pk)
    return _render_template(request, template, form=form, status=400)


@login_required
@require_POST
def question_new(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    template = get_object_or_404(SurveyTemplate, pk=pk)
    form = QuestionCreateForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        key = d["key"] or _free_key(template)
        try:
            services.survey_question_create(template=template, actor=request.user, key=key, kind=d["kind"],
                                            text=d["text"], choices=d["choices"], required=d["required"])
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The question is added."))
            return redirect("campaigns:template", pk=pk)
    return _render_template(request, template, question_form=form, status=400)


def _free_key(template: SurveyTemplate) -> str:
    taken = set(template.questions.values_list("key", flat=True))
    return next(f"q{n}" for n in range(1, len(taken) + 2) if f"q{n}" not in taken)


def _question(pk: int) -> SurveyQuestion:
    return get_object_or_404(SurveyQuestion.objects.select_related("template"), pk=pk)


@login_required
def question_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    question = _question(pk)
    initial = {"text": question.text, "choices": format_choices(question.choices), "required": question.required}
    form = QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.survey_question_update(question=question, actor=request.user, text=d["text"],
                                            choices=d["choices"], required=d["required"])
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The question is saved."))
            return redirect("campaigns:template", pk=question.template_id)
    return render(request, "complaints/survey_template_question.html", {
        "question": question, "template": question.template, "form": form,
        "has_choices": question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    question = _question(pk)
    try:
        services.survey_question_delete(question=question, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The question is removed. Surveys already sent keep it."))
    return redirect("campaigns:template", pk=question.template_id)


@login_required
@require_POST
def question_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a question one place up or down: renumber the template's questions in their new order."""
    _require_editor(request)
    question = _question(pk)
    ordered = list(question.template.questions.order_by("position", "id"))
    at = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    to = at - 1 if request.POST.get("direction") == "up" else at + 1
    if 0 <= to < len(ordered):
        ordered[at], ordered[to] = ordered[to], ordered[at]
        try:
            for position, q in enumerate(ordered, start=1):
                if q.position != position:
                    services.survey_question_update(question=q, actor=request.user, position=position)
        except ApplicationError as error:
            messages.error(request, error.message)
    return redirect("campaigns:template", pk=question.template_id)


# --- residents -----------------------------------------------------------------------------------


@login_required
@require_GET
def my_surveys(request: HttpRequest) -> HttpResponse:
    """The surveys waiting for the resident's answer (a big button each) and those answered."""
    open_, answered = sel.my_surveys(request.user)
    for survey in open_:
        survey.link = tokens.survey_path(survey)
    for survey in (*open_, *answered):
        survey.subject = sel.survey_subject(survey)
    return render(request, "complaints/survey_mine.html", {"open_surveys": open_, "answered": answered})

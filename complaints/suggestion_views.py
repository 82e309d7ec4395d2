"""The suggestion box pages (意见箱): my suggestions, write one, answer them, the published ones of a compound.

Out-of-scope suggestions and compounds answer 404. Service errors become form errors.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import add_service_error
from governance.models import Compound

from . import suggestions as box
from .models import Suggestion, SuggestionStatus
from .suggestion_forms import AnswerForm, InboxFilterForm, SuggestionForm

STATUS_BADGES = {SuggestionStatus.OPEN: "text-bg-warning", SuggestionStatus.ANSWERED: "text-bg-success"}


def _badge(rows) -> None:
    for row in rows:
        row.badge = STATUS_BADGES.get(row.status, "text-bg-secondary")


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """“意见箱”: my suggestions (newest first), where to write one, and the answering list for recipients."""
    user = request.user
    mine = Suggestion.objects.filter(author_id=user.pk).select_related("compound").order_by("-created_at", "-id")
    page = Paginator(mine, box.PAGE_SIZE).get_page(request.GET.get("page"))
    _badge(page.object_list)
    may_answer = box.answers_anywhere(user)
    waiting = Suggestion.objects.answerable_by(user).filter(status=SuggestionStatus.OPEN).count() if may_answer else 0
    return render(
        request, "complaints/suggestion_index.html",
        {"page": page, "query": "", "homes": list(box.home_compounds(user).order_by("name")),
         "may_answer": may_answer, "waiting": waiting},
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """Write a suggestion: choose the compound (when there are several homes), the recipient, the text."""
    user = request.user
    homes = box.home_compounds(user).order_by("name")
    wanted = request.POST.get("compound") or request.GET.get("compound")
    if wanted:
        if not str(wanted).isdigit():
            raise Http404
        compound = get_object_or_404(homes, pk=wanted)
    else:
        first_two = list(homes[:2])
        compound = first_two[0] if len(first_two) == 1 else None
    if compound is None:
        return render(request, "complaints/suggestion_choose.html", {"homes": homes})
    recipients = box.available_recipients(compound)
    form = SuggestionForm(request.POST or None, recipients=recipients)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            suggestion = box.suggestion_submit(
                actor=user, compound=compound, recipient=data["recipient"], title=data["title"], text=data["text"],
                anonymous=data["anonymous"],
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Thank you. Your suggestion is sent. You will get a message when it is answered."))
            return redirect("suggestions:detail", pk=suggestion.pk)
    return render(
        request, "complaints/suggestion_new.html",
        {"form": form, "compound": compound, "recipients": recipients,
         "may_change_compound": homes.exclude(pk=compound.pk).exists()},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Suggestions the user answers, unanswered first; the author shown as the recipient may see them."""
    user = request.user
    filters = InboxFilterForm(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    rows = box.with_viewer_flags(Suggestion.objects.answerable_by(user), user).select_related("compound", "author")
    if status:
        rows = rows.filter(status=status)
    page = Paginator(rows.inbox_order(), box.PAGE_SIZE).get_page(request.GET.get("page"))
    _badge(page.object_list)
    for row in page.object_list:
        row.author_display = box.author_card(row, user, manages=row.viewer_manages, answers=row.viewer_answers).name
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "complaints/suggestion_inbox.html", {"page": page, "filters": filters, "query": query.urlencode()})


def _get(request: HttpRequest, pk: int) -> Suggestion:
    qs = Suggestion.objects.visible_to(request.user).select_related("compound", "author", "answered_by")
    return get_object_or_404(box.with_viewer_flags(qs, request.user), pk=pk)


def _render_detail(request: HttpRequest, suggestion: Suggestion, *, answer_form=None, status: int = 200) -> HttpResponse:
    user = request.user
    card = box.author_card(suggestion, user, manages=suggestion.viewer_manages, answers=suggestion.viewer_answers)
    answers = suggestion.viewer_answers
    is_open = suggestion.status == SuggestionStatus.OPEN
    is_mine = suggestion.author_id == user.pk
    context = {
        "suggestion": suggestion,
        "badge": STATUS_BADGES.get(suggestion.status, "text-bg-secondary"),
        "author": card,
        "author_homes": box.author_homes(suggestion) if card.identified else [],
        "is_mine": is_mine,
        "show_anonymous_flag": suggestion.anonymous and (is_mine or answers),
        "show_answerer": suggestion.answered_by_id is not None and (is_mine or answers),
        "can_answer": answers and is_open,
        "can_publish": answers and not is_open and not suggestion.published,
        "can_unpublish": answers and suggestion.published,
        "answer_form": answer_form or AnswerForm(),
    }
    return render(request, "complaints/suggestion_detail.html", context, status=status)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _get(request, pk))


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = _get(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            box.suggestion_answer(
                suggestion=suggestion, answer=form.cleaned_data["answer"], publish=form.cleaned_data["publish"],
                actor=request.user,
            )
        except ApplicationError as error:
            if error.code in ("conflict", "forbidden"):
                messages.error(request, error.message)
                return redirect("suggestions:detail", pk=pk)
            add_service_error(form, error)
        else:
            messages.success(request, _("Your answer is sent to the author."))
            return redirect("suggestions:detail", pk=pk)
    return _render_detail(request, suggestion, answer_form=form, status=400)


def _publishing(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    suggestion = _get(request, pk)
    try:
        service(suggestion=suggestion, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("suggestions:detail", pk=pk)
    messages.success(request, done)
    return redirect("suggestions:detail", pk=pk)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _publishing(request, pk, box.suggestion_publish, _("The suggestion and its answer are on the compound board."))


@login_required
@require_POST
def unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    return _publishing(request, pk, box.suggestion_unpublish, _("The suggestion is taken off the compound board."))


@login_required
def published(request: HttpRequest, compound_id: int) -> HttpResponse:
    """All published suggestions of a compound with their answers; names masked or hidden."""
    compound = get_object_or_404(Compound.objects.visible_to(request.user), pk=compound_id)
    rows = Suggestion.objects.published().filter(compound=compound).select_related("author").order_by("-published_at", "-id")
    page = Paginator(rows, box.PAGE_SIZE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.author_display = box.public_author(row)
    return render(
        request, "complaints/suggestion_published.html",
        {"compound": compound, "page": page, "query": "", "may_write": box.home_compounds(request.user).filter(
            pk=compound.pk).exists()},
    )

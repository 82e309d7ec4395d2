"""Agenda items: adding them, documents, the discussion, the party branch's opinion, candidates."""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.forms import add_service_error
from core.masking import mask_name

from .. import explain, permissions, services
from ..forms import (
    CandidateForm,
    CommentForm,
    DocumentForm,
    ItemForm,
    PartyOpinionForm,
)
from ..models import AgendaItem, ItemComment, ItemDocument, Meeting
from .common import Status, get_item, get_meeting, require_manager


@login_required
def item_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an agenda item to a draft; at an assembly the Civil Code matter decides the rule."""
    meeting = get_meeting(request, pk)
    require_manager(request, meeting)
    if meeting.status != Status.DRAFT:
        messages.error(request, _("The notice is published: the agenda can no longer be changed."))
        return redirect("committees:meeting", pk=meeting.pk)
    form = ItemForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.item_add(
                meeting=meeting, actor=request.user, title=data["title"], proposer=data["proposer"],
                description=data["description"], kind=data.get("kind") or AgendaItem.Kind.QUESTION,
                matter=data.get("matter"), rule=data.get("rule") or None, seats=data.get("seats"),
            )
        except ApplicationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Item %(position)d is added.") % {"position": item.position})
            if item.kind == AgendaItem.Kind.ELECTION:
                return redirect("committees:item", pk=meeting.pk, item_pk=item.pk)
            return redirect("committees:meeting", pk=meeting.pk)
    return render(request, "committees/item_form.html", {"form": form, "meeting": meeting},
                  status=400 if request.method == "POST" else 200)


def _render_item(request: HttpRequest, meeting: Meeting, item: AgendaItem, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    can_manage = permissions.can_manage_meeting(user, meeting)
    comments = list(
        ItemComment.objects.filter(item=item, hidden_at__isnull=True).select_related("author").order_by("created_at", "id")
    )
    for comment in comments:
        comment.author_name = mask_name(comment.author.real_name)
    candidates = list(item.candidates.select_related("user").order_by("position"))
    for candidate in candidates:
        candidate.name = candidate.user.real_name
    can_comment = permissions.can_comment(user, item)
    can_opinion = permissions.can_give_party_opinion(user, item)
    is_election = item.kind == AgendaItem.Kind.ELECTION
    context = {
        "meeting": meeting,
        "item": item,
        "rule_text": explain.rule_summary(item.rule),
        "documents": list(item.documents.all()),
        "comments": comments,
        "candidates": candidates,
        "is_election": is_election,
        "can_comment": can_comment,
        "can_opinion": can_opinion,
        "can_add_candidate": can_manage and is_election and meeting.status == Status.DRAFT,
        "can_add_document": can_manage and meeting.status in (Status.DRAFT, Status.NOTICED),
        "comment_form": forms.get("comment_form") or (CommentForm() if can_comment else None),
        "opinion_form": forms.get("opinion_form") or (
            PartyOpinionForm(initial={"text": item.party_opinion}) if can_opinion else None
        ),
        "candidate_form": forms.get("candidate_form") or CandidateForm(),
        "document_form": forms.get("document_form") or DocumentForm(),
    }
    return render(request, "committees/item_detail.html", context, status=status)


@login_required
def item_detail(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """One item: what is decided, its documents, the party branch's opinion, candidates and the discussion."""
    meeting = get_meeting(request, pk)
    return _render_item(request, meeting, get_item(meeting, item_pk))


def _item_write(request, meeting, item, form, form_name: str, attempt, done: str, aliases=None) -> HttpResponse:
    """Run one service from a form posted on the item page; errors go back to the form or into a message."""
    if form.is_valid():
        try:
            attempt(form.cleaned_data)
        except ApplicationError as error:
            field = (aliases or {}).get(error.field or "", error.field)
            if error.code in ("conflict", "forbidden") or field not in form.fields:
                messages.error(request, error.message)
                return redirect("committees:item", pk=meeting.pk, item_pk=item.pk)
            add_service_error(form, error, aliases)
        else:
            messages.success(request, done)
            return redirect("committees:item", pk=meeting.pk, item_pk=item.pk)
    return _render_item(request, meeting, item, status=400, **{form_name: form})


@login_required
@require_POST
def comment_new(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    item = get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, CommentForm(request.POST), "comment_form",
        lambda data: services.comment_post(item=item, actor=request.user, body=data["body"]),
        _("Your comment is posted."),
    )


@login_required
@require_POST
def party_opinion(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    item = get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, PartyOpinionForm(request.POST), "opinion_form",
        lambda data: services.party_opinion_set(item=item, actor=request.user, text=data["text"]),
        _("The party branch's opinion is attached to the item."),
    )


@login_required
@require_POST
def candidate_new(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    item = get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, CandidateForm(request.POST), "candidate_form",
        lambda data: services.candidate_add(
            item=item, actor=request.user, user=data["phone"], statement=data["statement"],
            vetting_note=data["vetting_note"],
        ),
        _("The candidate is added."), aliases={"user": "phone"},
    )


@login_required
@require_POST
def document_new(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = get_meeting(request, pk)
    item = get_item(meeting, item_pk)
    return _item_write(
        request, meeting, item, DocumentForm(request.POST, request.FILES), "document_form",
        lambda data: services.document_add(item=item, actor=request.user, name=data["name"], file=data["file"]),
        _("The document is attached."),
    )


@login_required
def document_download(request: HttpRequest, pk: int, item_pk: int, doc_pk: int) -> FileResponse:
    """Hand out a document only to those who may see the meeting."""
    meeting = get_meeting(request, pk)
    item = get_item(meeting, item_pk)
    document = get_object_or_404(ItemDocument.objects.filter(item=item), pk=doc_pk)
    extension = os.path.splitext(document.file.name)[1]
    filename = document.name if document.name.lower().endswith(extension.lower()) else f"{document.name}{extension}"
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(handle, as_attachment=True, filename=filename)

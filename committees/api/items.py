"""Agenda items by API: the item, its candidates, documents, discussion, the party branch's opinion, the vote."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from core.errors import ApplicationError
from residents.models import User

from .. import permissions, services
from ..models import AgendaItem, Ballot, Candidate, ItemComment
from . import serializers as s
from .common import fields_renamed, parse, visible_items
from .meetings import item_prefetches, voted_item_ids


class ItemViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Items of the meetings the caller may see; DELETE removes one from a draft (conveners)."""

    serializer_class = s.ItemSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return AgendaItem.objects.none()
        return visible_items(self.request.user)

    def _item(self, pk) -> AgendaItem:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        item = get_object_or_404(self.get_queryset().prefetch_related(*item_prefetches()), pk=pk)
        context = {**self.get_serializer_context(), "voted_item_ids": voted_item_ids(self.request.user, item.meeting)}
        return Response(s.ItemSerializer(item, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    def destroy(self, request, *args, **kwargs):
        services.item_remove(item=self._item(kwargs["pk"]), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.CandidateCreateSerializer, responses={201: s.CandidateSerializer})
    @action(detail=True, methods=["post"])
    def candidates(self, request, pk=None):
        """Nominate a verified owner of the compound in a draft election (conveners)."""
        item, v = self._item(pk), parse(s.CandidateCreateSerializer, request.data)
        user = User.objects.filter(pk=v["user"], is_active=True).first()
        if user is None:
            raise ApplicationError(_("No such person."), field="user")
        candidate = services.candidate_add(
            item=item, actor=request.user, user=user, statement=v["statement"], vetting_note=v["vetting_note"]
        )
        candidate = Candidate.objects.select_related("user").get(pk=candidate.pk)
        return Response(s.CandidateSerializer(candidate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.DocumentCreateSerializer}, responses={201: s.DocumentSerializer})
    @action(detail=True, methods=["post"])
    def documents(self, request, pk=None):
        """Attach a document (multipart `file`, optional `name`) until voting closes (conveners)."""
        item, v = self._item(pk), parse(s.DocumentCreateSerializer, request.data)
        document = services.document_add(item=item, actor=request.user, name=v["name"], file=v["file"])
        document.item = item
        return Response(
            s.DocumentSerializer(document, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(methods=["GET"], request=None, responses=s.CommentSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.CommentCreateSerializer, responses={201: s.CommentSerializer})
    @action(detail=True, methods=["get", "post"])
    def comments(self, request, pk=None):
        """The item's discussion (oldest first); POST posts while the notice is up (residents and conveners)."""
        item = self._item(pk)
        can_manage = permissions.can_manage_meeting(request.user, item.meeting)
        context = {**self.get_serializer_context(), "can_manage": can_manage}
        if request.method == "GET":
            rows = ItemComment.objects.filter(item=item, hidden_at__isnull=True).select_related("author")
            page = self.paginate_queryset(rows.order_by("created_at", "id"))
            return self.get_paginated_response(s.CommentSerializer(page, many=True, context=context).data)
        v = parse(s.CommentCreateSerializer, request.data)
        comment = services.comment_post(item=item, actor=request.user, body=v["body"])
        comment = ItemComment.objects.select_related("author").get(pk=comment.pk)
        return Response(s.CommentSerializer(comment, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.OpinionSerializer, responses=s.ItemSerializer)
    @action(detail=True, methods=["post"], url_path="party-opinion", url_name="party-opinion")
    def party_opinion(self, request, pk=None):
        """The compound's party branch attaches its opinion (before the vote closes)."""
        item, v = self._item(pk), parse(s.OpinionSerializer, request.data)
        services.party_opinion_set(item=item, actor=request.user, text=v["text"])
        return self._detail(pk)

    @extend_schema(request=s.VoteSerializer, responses={201: s.BallotsSerializer})
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        """Vote online: `choice` on a question, `candidates` in an election. One ballot per owner; again → 409.

        Answers the receipt codes (one per vote held: a building meeting counts each household).
        """
        item, v = self._item(pk), parse(s.VoteSerializer, request.data)
        election = item.kind == AgendaItem.Kind.ELECTION
        field = "candidates" if election else "choice"
        if field not in v:
            if election:
                raise ApplicationError(_("Mark the candidates you vote for."), field=field)
            raise ApplicationError(_("Choose yes, no or abstain."), field=field)
        with fields_renamed(lambda name: field if name.startswith("item_") else name):
            ballots = services.vote_online(
                item=item, actor=request.user, choice=v.get("choice", ""), candidate_ids=v.get("candidates", ())
            )
        ballots = Ballot.objects.filter(pk__in=[b.pk for b in ballots]).select_related("elector").order_by("id")
        return Response(s.BallotsSerializer({"ballots": ballots}).data, status=status.HTTP_201_CREATED)

"""Objections, resolution tasks with their contribution ledger, and owners' petitions for an assembly, by API."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import ApplicationError
from governance.models import Compound, Unit

from .. import services
from ..models import (
    ActionItem,
    AssemblyPetition,
    Contribution,
    ElectorateObjection,
    Meeting,
    PetitionSignature,
)
from ..models.meetings import convener_compound_ids
from . import serializers as s
from .common import parse


class ObjectionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One objection to a posted electorate: its author and the meeting's conveners see it; conveners answer."""

    serializer_class = s.ObjectionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return ElectorateObjection.objects.none()
        user = self.request.user
        rows = ElectorateObjection.objects.filter(meeting__in=Meeting.objects.visible_to(user).values("pk"))
        if not user.is_superuser:
            rows = rows.filter(Q(raised_by_id=user.pk) | Q(meeting__compound_id__in=convener_compound_ids(user)))
        return rows.select_related("meeting__compound", "unit__building", "raised_by")

    def get_serializer_context(self):
        # Every objection here is the caller's own or one of a meeting they convene: the name is shown.
        return {**super().get_serializer_context(), "can_manage": True}

    @extend_schema(request=s.ObjectionAnswerSerializer, responses=s.ObjectionSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Accept or reject with an answer (conveners); an accepted one is then corrected via `corrections`."""
        objection = get_object_or_404(self.get_queryset(), pk=pk)
        v = parse(s.ObjectionAnswerSerializer, request.data)
        services.objection_answer(objection=objection, actor=request.user, accept=v["accept"], response=v["response"])
        objection = self.get_queryset().get(pk=pk)
        return Response(s.ObjectionSerializer(objection, context=self.get_serializer_context()).data)


class ActionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Resolution tasks of the meetings the caller may see; conveners (and the assignee) act on them."""

    serializer_class = s.ActionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return ActionItem.objects.none()
        visible = Meeting.objects.visible_to(self.request.user).values("pk")
        return ActionItem.objects.filter(meeting__in=visible).select_related("meeting__compound", "assignee", "complaint")

    def _action(self, pk) -> ActionItem:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _detail(self, pk) -> Response:
        return Response(s.ActionSerializer(self._action(pk)).data)

    @extend_schema(request=s.ActionCompleteSerializer, responses=s.ActionSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task, v = self._action(pk), parse(s.ActionCompleteSerializer, request.data)
        services.action_complete(action=task, actor=request.user, note=v["note"])
        return self._detail(pk)

    @extend_schema(request=s.ActionCaseSerializer, responses=s.ActionSerializer)
    @action(detail=True, methods=["post"])
    def case(self, request, pk=None):
        """File a case in the complaint workflow for the task (conveners)."""
        task, v = self._action(pk), parse(s.ActionCaseSerializer, request.data)
        services.action_to_case(action=task, actor=request.user, category=v["category"], urgency=v["urgency"])
        return self._detail(pk)

    @extend_schema(methods=["GET"], request=None, responses=s.ContributionSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.ContributionCreateSerializer, responses={201: s.ContributionSerializer})
    @action(detail=True, methods=["get", "post"])
    def contributions(self, request, pk=None):
        """The published ledger of pledged and paid shares; POST records or updates one (conveners)."""
        task = self._action(pk)
        if request.method == "GET":
            page = self.paginate_queryset(Contribution.objects.filter(action=task).order_by("contributor", "id"))
            return self.get_paginated_response(s.ContributionSerializer(page, many=True).data)
        v = parse(s.ContributionCreateSerializer, request.data)
        unit = None
        if v["unit"] is not None:
            unit = Unit.objects.select_related("building").filter(pk=v["unit"]).first()
            if unit is None:
                raise ApplicationError(_("This unit is not in the compound."), field="unit")
        row = services.contribution_record(
            action=task, actor=request.user, contributor=v["contributor"], pledged=v["pledged"], paid=v["paid"],
            unit=unit, note=v["note"],
        )
        return Response(s.ContributionSerializer(row).data, status=status.HTTP_201_CREATED)


class PetitionFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AssemblyPetition.Status.choices)
    compound = django_filters.NumberFilter(field_name="compound_id")

    class Meta:
        model = AssemblyPetition
        fields = ["status", "compound"]


class PetitionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Owners' petitions for an assembly in the compounds the caller sees; 20% of the owners trigger one."""

    serializer_class = s.PetitionSerializer
    filterset_class = PetitionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return AssemblyPetition.objects.none()
        user = self.request.user
        mine = PetitionSignature.objects.filter(petition_id=OuterRef("pk"), user_id=user.pk)
        return (
            AssemblyPetition.objects.filter(compound_id__in=Compound.objects.visible_to(user).values("pk"))
            .select_related("compound")
            .annotate(signature_count=Count("signatures"), signed_by_me=Exists(mine))
            .order_by("-created_at", "-id")
        )

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        petition = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(s.PetitionSerializer(petition).data, status=status_code)

    @extend_schema(request=s.PetitionCreateSerializer, responses={201: s.PetitionSerializer})
    def create(self, request, *args, **kwargs):
        """Start a petition (verified owners of the compound); the starter signs first."""
        v = parse(s.PetitionCreateSerializer, request.data)
        compound = Compound.objects.visible_to(request.user).filter(pk=v["compound"]).first()
        if compound is None:
            raise ApplicationError(_("No such compound."), field="compound")
        petition = services.petition_start(compound=compound, actor=request.user, title=v["title"], reason=v["reason"])
        return self._detail(petition.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign (verified owners of the compound, once)."""
        petition = get_object_or_404(self.get_queryset(), pk=pk)
        services.petition_sign(petition=petition, actor=request.user)
        return self._detail(pk)

    @extend_schema(request=s.PetitionConvenedSerializer, responses=s.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def convened(self, request, pk=None):
        """Link the assembly convened in answer to the petition (those who may convene)."""
        petition = get_object_or_404(self.get_queryset(), pk=pk)
        v = parse(s.PetitionConvenedSerializer, request.data)
        meeting = Meeting.objects.visible_to(request.user).filter(pk=v["meeting"]).first()
        if meeting is None:
            raise ApplicationError(_("Choose an owners' assembly of the same compound."), field="meeting")
        services.petition_convened(petition=petition, meeting=meeting, actor=request.user)
        return self._detail(pk)

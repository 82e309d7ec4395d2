"""People and their homes over the API; phone and ID numbers are masked for all but self and verifiers."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.models import Unit

from .models import Ownership, User
from .selectors import ContactPolicy, ownerships_prefetch, person_community_ids


class PersonSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "real_name", "phone", "id_number", "is_party_member"]

    def _policy(self) -> ContactPolicy:
        return self.context["contact_policy"]

    def get_phone(self, obj) -> str:
        return self._policy().phone(obj, person_community_ids(obj))

    def get_id_number(self, obj) -> str:
        return self._policy().id_number(obj, person_community_ids(obj))


class OwnershipSerializer(serializers.ModelSerializer):
    unit_label = serializers.CharField(source="unit.label", read_only=True)
    building = serializers.IntegerField(source="unit.building_id", read_only=True)
    compound = serializers.IntegerField(source="unit.building.compound_id", read_only=True)
    owner_name = serializers.CharField(source="user.real_name", read_only=True)

    class Meta:
        model = Ownership
        fields = [
            "id", "unit", "unit_label", "building", "compound", "user", "owner_name", "status",
            "is_voter", "is_developer", "start", "end", "verified_at",
        ]
        read_only_fields = fields


class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    """People in the caller's scope (residents see only themselves)."""

    serializer_class = PersonSerializer
    search_fields = ["real_name"]

    def get_queryset(self):
        qs = User.objects.visible_to(self.request.user).prefetch_related(ownerships_prefetch()).order_by("real_name", "id")
        name = self.request.query_params.get("name")
        if name:
            qs = qs.filter(real_name__icontains=name)
        compound = self.request.query_params.get("compound")
        if compound and compound.isdigit():
            qs = qs.filter(ownerships__unit__building__compound_id=int(compound)).distinct()
        return qs

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["contact_policy"] = ContactPolicy.for_viewer(self.request.user)
        return context

    @extend_schema(responses=PersonSerializer)
    @action(detail=False)
    def me(self, request):
        person = User.objects.prefetch_related(ownerships_prefetch()).get(pk=request.user.pk)
        return Response(self.get_serializer(person).data)


class OwnershipViewSet(viewsets.ReadOnlyModelViewSet):
    """Ownerships of units in scope, and one's own."""

    serializer_class = OwnershipSerializer
    filterset_fields = ["status", "unit", "user"]

    def get_queryset(self):
        user = self.request.user
        units = Unit.objects.visible_to(user, as_staff=True)
        return (
            Ownership.objects.filter(Q(user_id=user.pk) | Q(unit__in=units))
            .select_related("unit__building", "user")
            .order_by("unit_id", "id")
        )

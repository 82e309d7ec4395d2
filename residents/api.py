"""People and their homes over the API; phone and ID numbers are masked for all but self and verifiers."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.models import Unit

from . import services
from .models import Ownership, User
from .permissions import managed_ownerships
from .selectors import ContactPolicy, homes_prefetch, person_community_ids


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
            "is_voter", "is_developer", "start", "end", "verified_at", "evidence", "rejection_reason",
        ]
        read_only_fields = fields


class PersonViewSet(viewsets.ReadOnlyModelViewSet):
    """People in the caller's scope (residents see only themselves)."""

    serializer_class = PersonSerializer
    search_fields = ["real_name"]

    def get_queryset(self):
        qs = User.objects.visible_to(self.request.user).prefetch_related(*homes_prefetch()).order_by("real_name", "id")
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
        person = User.objects.prefetch_related(*homes_prefetch()).get(pk=request.user.pk)
        return Response(self.get_serializer(person).data)


class OwnershipClaimSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), help_text="Id of the unit the caller owns.")
    evidence = serializers.CharField(max_length=200, help_text="Property certificate or purchase contract number.")


class OwnershipVerifySerializer(serializers.Serializer):
    is_voter = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="true moves the unit's voter flag to this owner; omitted: voter only if the unit has none.",
    )


class OwnershipRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=200, help_text="Shown to the resident.",
        error_messages={
            "required": gettext_lazy("Tell the resident why the claim is rejected."),
            "blank": gettext_lazy("Tell the resident why the claim is rejected."),
        },
    )


class OwnershipViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Ownerships of units in scope, and one's own; claims, and their verification by managers.

    verify / reject / set-voter answer 404 unless the caller manages the unit's compound.
    """

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

    def _managed(self, pk) -> Ownership:
        return get_object_or_404(managed_ownerships(self.request.user).select_related("unit__building", "user"), pk=pk)

    @extend_schema(request=OwnershipClaimSerializer, responses={201: OwnershipSerializer})
    def create(self, request, *args, **kwargs):
        """Claim a unit for the caller; it gives rights only once verified."""
        data = OwnershipClaimSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ownership = services.ownership_claim(
            user=request.user, unit=data.validated_data["unit"], evidence=data.validated_data["evidence"],
            actor=request.user,
        )
        return Response(OwnershipSerializer(ownership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OwnershipVerifySerializer, responses=OwnershipSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        data = OwnershipVerifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ownership = services.ownership_verify(
            ownership=self._managed(pk), actor=request.user, is_voter=data.validated_data.get("is_voter")
        )
        return Response(OwnershipSerializer(ownership).data)

    @extend_schema(request=OwnershipRejectSerializer, responses=OwnershipSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        ownership = self._managed(pk)
        data = OwnershipRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ownership = services.ownership_reject(ownership=ownership, reason=data.validated_data["reason"], actor=request.user)
        return Response(OwnershipSerializer(ownership).data)

    @extend_schema(request=None, responses=OwnershipSerializer)
    @action(detail=True, methods=["post"], url_path="set-voter", url_name="set-voter")
    def set_voter(self, request, pk=None):
        """Make this verified owner the designated voter of their unit (the old voter is cleared)."""
        ownership = self._managed(pk)
        ownership = services.ownership_set_voter(unit=ownership.unit, ownership=ownership, actor=request.user)
        return Response(OwnershipSerializer(ownership).data)

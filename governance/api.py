"""The machine interface to the governance map: the same scoping as the pages."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import services
from .models import (
    ROLE_SCOPE_FIELD,
    Building,
    Community,
    Compound,
    Department,
    DepartmentTimeLimit,
    Grid,
    PropertyCompany,
    RoleAssignment,
    Street,
    Unit,
)


class StreetSerializer(serializers.ModelSerializer):
    district_name = serializers.CharField(source="district.name", read_only=True)

    class Meta:
        model = Street
        fields = ["id", "name", "district", "district_name"]


class CommunitySerializer(serializers.ModelSerializer):
    street_name = serializers.CharField(source="street.name", read_only=True)

    class Meta:
        model = Community
        fields = ["id", "name", "street", "street_name"]


class GridSerializer(serializers.ModelSerializer):
    class Meta:
        model = Grid
        fields = ["id", "name", "community"]


class CompoundSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    building_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Compound
        fields = ["id", "name", "address", "community", "community_name", "built_year", "building_count"]


class BuildingSerializer(serializers.ModelSerializer):
    unit_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Building
        fields = ["id", "name", "compound", "grid", "floors", "unit_count"]


class UnitSerializer(serializers.ModelSerializer):
    area_m2 = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, allow_null=True)
    area_source = serializers.CharField(read_only=True, allow_null=True)
    compound = serializers.IntegerField(source="building.compound_id", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id", "building", "compound", "entrance", "number", "floor",
            "area_register", "area_survey", "area_contract", "area_m2", "area_source",
        ]


class TimeLimitSerializer(serializers.ModelSerializer):
    class Meta:
        model = DepartmentTimeLimit
        fields = ["tier", "acknowledge_hours", "handle_hours"]


class DepartmentSerializer(serializers.ModelSerializer):
    time_limits = TimeLimitSerializer(many=True, read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "short_name", "district", "time_limits"]


class PropertyCompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = PropertyCompany
        fields = ["id", "name", "credit_code", "service_phone"]


class ScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """A read-only list/detail of places the user may see; others answer 404."""

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)


class StreetViewSet(ScopedViewSet):
    queryset = Street.objects.select_related("district")
    serializer_class = StreetSerializer
    filterset_fields = ["district"]


class CommunityViewSet(ScopedViewSet):
    queryset = Community.objects.select_related("street")
    serializer_class = CommunitySerializer
    filterset_fields = ["street"]


class GridViewSet(ScopedViewSet):
    queryset = Grid.objects.all()
    serializer_class = GridSerializer
    filterset_fields = ["community"]


class CompoundFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    street = django_filters.NumberFilter(field_name="community__street")

    class Meta:
        model = Compound
        fields = ["community", "street", "name"]


class CompoundViewSet(ScopedViewSet):
    queryset = (
        Compound.objects.select_related("community").annotate(building_count=Count("buildings")).order_by("name", "id")
    )
    serializer_class = CompoundSerializer
    filterset_class = CompoundFilter


class BuildingViewSet(ScopedViewSet):
    queryset = Building.objects.annotate(unit_count=Count("units")).order_by("compound_id", "name", "id")
    serializer_class = BuildingSerializer
    filterset_fields = ["compound", "grid"]


class UnitFilter(django_filters.FilterSet):
    compound = django_filters.NumberFilter(field_name="building__compound")

    class Meta:
        model = Unit
        fields = ["building", "compound", "entrance", "number"]


class UnitViewSet(ScopedViewSet):
    queryset = Unit.objects.select_related("building")
    serializer_class = UnitSerializer
    filterset_class = UnitFilter


class DepartmentViewSet(ScopedViewSet):
    queryset = Department.objects.prefetch_related("time_limits")
    serializer_class = DepartmentSerializer


class PropertyCompanyViewSet(ScopedViewSet):
    queryset = PropertyCompany.objects.all()
    serializer_class = PropertyCompanySerializer


SCOPE_MODELS = {field: RoleAssignment._meta.get_field(field).related_model for field in ROLE_SCOPE_FIELD.values()}


class RoleAssignmentSerializer(serializers.ModelSerializer):
    scope_type = serializers.SerializerMethodField()
    scope_id = serializers.SerializerMethodField()
    scope_name = serializers.SerializerMethodField()
    user_name = serializers.CharField(source="user.real_name", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "user_name", "role", "scope_type", "scope_id", "scope_name", "start", "end"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField())
    def get_scope_type(self, obj) -> str:
        return ROLE_SCOPE_FIELD[obj.role]

    def get_scope_id(self, obj) -> int:
        return getattr(obj, f"{ROLE_SCOPE_FIELD[obj.role]}_id")

    def get_scope_name(self, obj) -> str:
        return str(obj.scope)


class RoleAssignmentCreateSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="Id of the person who takes the role.")
    role = serializers.ChoiceField(choices=RoleAssignment._meta.get_field("role").choices)
    scope_id = serializers.IntegerField(help_text="Id of the scope object: its type follows from the role.")
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False, allow_null=True)


class RoleAssignmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Staff roles: one's own, and those in the scopes one manages. Create and end go through services."""

    serializer_class = RoleAssignmentSerializer
    filterset_fields = ["role", "user"]

    def get_queryset(self):
        user = self.request.user
        return (
            RoleAssignment.objects.visible_to(user)
            .select_related("user", *ROLE_SCOPE_FIELD.values())
            .order_by("-start", "-id")
        )

    @extend_schema(request=RoleAssignmentCreateSerializer, responses={201: RoleAssignmentSerializer})
    def create(self, request, *args, **kwargs):
        data = RoleAssignmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        people = get_user_model().objects.visible_to(request.user)
        person = people.filter(pk=values["user"]).first()
        if person is None and request.user.is_superuser:
            person = get_user_model().objects.filter(pk=values["user"]).first()
        if person is None:
            raise serializers.ValidationError({"user": [_("No such person in your scope.")]})
        scope_model = SCOPE_MODELS[ROLE_SCOPE_FIELD[values["role"]]]
        scope = scope_model.objects.managed_by(request.user).filter(pk=values["scope_id"]).first()
        if scope is None:
            raise serializers.ValidationError({"scope_id": [_("You may not assign roles in this scope.")]})
        assignment = services.role_assignment_create(
            user=person, role=values["role"], scope=scope, actor=request.user,
            start=values.get("start"), end=values.get("end"),
        )
        return Response(RoleAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RoleAssignmentSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        assignment = get_object_or_404(self.get_queryset(), pk=pk)
        assignment = services.role_assignment_end(assignment=assignment, actor=request.user)
        return Response(RoleAssignmentSerializer(assignment).data)

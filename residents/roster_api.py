"""Roster imports over the API: upload (202 + id), then poll for progress, errors and the diff."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.response import Response

from governance.models import Compound

from .models import RosterImport
from .roster import roster_import_create


class RosterImportUploadSerializer(serializers.Serializer):
    compound = serializers.IntegerField(help_text="Id of a compound the caller manages.")
    file = serializers.FileField(help_text="The roster, .xlsx or CSV (UTF-8 or GB18030).")
    dry_run = serializers.BooleanField(default=False, help_text="Only check and report the changes; save nothing.")


class RosterErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="Row number as shown in the spreadsheet.")
    column = serializers.CharField(help_text="Column header as written in the file.")
    message = serializers.CharField()


class RosterImportSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(source="percent", read_only=True, help_text="0–100.")
    errors = RosterErrorSerializer(many=True, read_only=True)
    summary = serializers.JSONField(
        read_only=True,
        help_text="counts (buildings/units/people/ownerships created, updated, ended), total_changes, "
        "changes [{kind, label, detail}] (first 200), more_changes; error_count when it failed.",
    )

    class Meta:
        model = RosterImport
        fields = [
            "id", "compound", "original_name", "dry_run", "status", "total_rows", "processed_rows", "progress",
            "errors", "summary", "created_at", "finished_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    retrieve=extend_schema(summary="Status, progress, errors and diff of a roster import"),
    list=extend_schema(summary="Roster imports of the compounds the caller manages"),
)
class RosterImportViewSet(mixins.CreateModelMixin, mixins.RetrieveModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Owner roster imports. Only staff who manage the compound may see or create them (404 otherwise)."""

    serializer_class = RosterImportSerializer
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]
    filterset_fields = ["compound", "status"]

    def get_queryset(self):
        return RosterImport.objects.managed_by(self.request.user).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return RosterImportUploadSerializer if self.action == "create" else RosterImportSerializer

    @extend_schema(
        summary="Upload a roster (validated and applied in the background)",
        request={"multipart/form-data": RosterImportUploadSerializer},
        responses={
            202: RosterImportSerializer,
            400: OpenApiResponse(description="Wrong file type or size; {error: {code, message, fields}}"),
            404: OpenApiResponse(description="The compound does not exist or the caller does not manage it."),
        },
    )
    def create(self, request, *args, **kwargs):
        upload = RosterImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        compound = get_object_or_404(Compound.objects.managed_by(request.user), pk=data["compound"])
        roster_import = roster_import_create(
            compound=compound, upload=data["file"], dry_run=data["dry_run"], actor=request.user,
            language=getattr(request, "LANGUAGE_CODE", None),
        )
        return Response(RosterImportSerializer(roster_import).data, status=status.HTTP_202_ACCEPTED)

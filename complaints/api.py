"""The machine interface to cases: list/filter, create with photos, every transition as an action.

Same services and permission functions as the pages. Cases out of the caller's scope answer 404;
a refused action 403, a stale `version` 409, bad input 400 — all in the one shape of core/api.py.
Staff of a case (its compound in their staff scope, or a dispatch of it in their hands) see internal
timeline events and the reporter's name; others see the name masked when the reporter hid it.
"""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, Value, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import ApplicationError
from core.inbox import notification_mark_read
from core.masking import mask_name
from core.models import Notification
from governance.models import Building, Compound, Department, Unit, UrgencyTier
from residents.models import User
from residents.selectors import ContactPolicy, homes_prefetch, person_community_ids

from . import services
from .models import (
    Answer,
    Attachment,
    Category,
    Complaint,
    Dispatch,
    DispatchStatus,
    Escalation,
    Follower,
    HandlerKind,
    PlaceKind,
    Rating,
    Source,
    Status,
    TimelineEvent,
)
from .permissions import compounds_user_may_report_in, handled_dispatches
from .photos import process_photos
from .services import MAX_PHOTOS

# --- reads ---------------------------------------------------------------------------------------


def _staff_condition(user) -> Q | Value:
    """Return the condition that the user is staff of a case (no query of its own: two subqueries)."""
    if user.is_superuser:
        return Value(True)
    staff_compounds = Compound.objects.visible_to(user, as_staff=True).values("pk")
    return Q(compound_id__in=staff_compounds) | Q(pk__in=handled_dispatches(user).values("complaint_id"))


def annotate_cases(qs, user):
    """Add `viewer_is_staff` and `is_overdue` to each case (in the same query)."""
    now = timezone.now()
    staff = _staff_condition(user)
    if isinstance(staff, Q):
        staff = ExpressionWrapper(staff, output_field=BooleanField())
    return qs.annotate(
        viewer_is_staff=staff,
        is_overdue=ExpressionWrapper(Q(pk__in=Complaint.objects.overdue(now).values("pk")), output_field=BooleanField()),
    )


def annotate_dispatches(qs):
    now = timezone.now()
    return qs.annotate(
        is_overdue=ExpressionWrapper(Q(pk__in=Dispatch.objects.open().overdue(now).values("pk")), output_field=BooleanField())
    )


def visible_cases(user):
    return annotate_cases(
        Complaint.objects.visible_to(user).select_related("compound", "building", "unit", "reporter"), user
    )


def _photo_url(request, name: str, complaint_id: int, photo_id: int, fallback: str) -> str:
    try:
        path = reverse(name, kwargs={"pk": complaint_id, "photo_id": photo_id})
    except NoReverseMatch:
        # The permission-checked photo views live in complaints/urls.py (mounted at /cases/).
        path = f"/cases/{complaint_id}/photos/{photo_id}/{fallback}"
    return request.build_absolute_uri(path) if request is not None else path


def _viewer(serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


def _person_name(person, viewer, *, staff: bool) -> str:
    """Staff and the person themself read the name; others see it masked (张**)."""
    if person is None:
        return ""
    if staff or (viewer is not None and person.pk == viewer.pk):
        return person.real_name
    return mask_name(person.real_name)


# --- serializers ---------------------------------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "event", "url", "thumbnail_url", "width", "height", "is_evidence", "created_at"]

    def get_url(self, obj) -> str:
        return _photo_url(self.context.get("request"), "complaints:photo", obj.complaint_id, obj.pk, "")

    def get_thumbnail_url(self, obj) -> str:
        return _photo_url(self.context.get("request"), "complaints:photo-thumb", obj.complaint_id, obj.pk, "thumb/")


class DispatchSerializer(serializers.ModelSerializer):
    handler_name = serializers.CharField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    return_to_name = serializers.CharField(source="return_to.name", read_only=True, default="")

    class Meta:
        model = Dispatch
        fields = [
            "id", "complaint", "handler_kind", "handler_name", "department", "property_company", "tier", "status",
            "instructions", "acknowledge_due_at", "handle_due_at", "acknowledged_at", "contacted_at", "arrived_at",
            "resolved_at", "result", "return_reason", "return_to", "return_to_name", "extension_hours",
            "extension_reason", "park_plan", "round", "is_redo", "community_score", "community_comment",
            "is_overdue", "created_at",
        ]
        read_only_fields = fields


class WorkItemSerializer(DispatchSerializer):
    """A dispatch in the caller's inbox, with what the handler needs to know of its case."""

    case_number = serializers.CharField(source="complaint.number", read_only=True)
    case_title = serializers.CharField(source="complaint.title", read_only=True)
    case_status = serializers.CharField(source="complaint.status", read_only=True)
    case_version = serializers.IntegerField(source="complaint.version", read_only=True)
    case_category = serializers.CharField(source="complaint.category", read_only=True)
    compound_name = serializers.CharField(source="complaint.compound.name", read_only=True)

    class Meta(DispatchSerializer.Meta):
        fields = [
            *DispatchSerializer.Meta.fields, "case_number", "case_title", "case_status", "case_version",
            "case_category", "compound_name",
        ]
        read_only_fields = fields


class EscalationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Escalation
        fields = ["id", "dispatch", "step", "level", "due_at", "created_at", "resolved_at"]
        read_only_fields = fields


class TimelineEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEvent
        fields = ["id", "kind", "from_status", "to_status", "note", "internal", "data", "dispatch", "actor_name", "created_at"]
        read_only_fields = fields

    def get_actor_name(self, obj) -> str:
        return _person_name(obj.actor, _viewer(self), staff=self.context.get("viewer_is_staff", False))


class CaseSerializer(serializers.ModelSerializer):
    """A case as a list shows it."""

    compound_name = serializers.CharField(source="compound.name", read_only=True)
    building_name = serializers.CharField(source="building.name", read_only=True, default="")
    reporter_name = serializers.SerializerMethodField()
    is_mine = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(read_only=True)
    viewer_is_staff = serializers.BooleanField(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id", "number", "title", "status", "status_display", "category", "urgency", "source", "compound",
            "compound_name", "building", "building_name", "place_kind", "place_note", "reporter_name", "is_mine",
            "accept_due_at", "handle_due_at", "confirm_due_at", "is_overdue", "viewer_is_staff", "version",
            "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_reporter_name(self, obj) -> str:
        staff = getattr(obj, "viewer_is_staff", False)
        if not obj.hide_name:
            return obj.reporter.real_name
        return _person_name(obj.reporter, _viewer(self), staff=staff)

    def get_is_mine(self, obj) -> bool:
        viewer = _viewer(self)
        return viewer is not None and obj.reporter_id == viewer.pk


class CaseDetailSerializer(CaseSerializer):
    """A case with its dispatches, photos, escalations and timeline (internal events for staff only)."""

    unit_label = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField()
    filed_by_name = serializers.SerializerMethodField()
    dispatches = DispatchSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    escalations = EscalationSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields, "description", "unit", "unit_label", "hide_name", "reporter_phone",
            "filed_by_name", "merged_into", "reject_reason", "info_request", "accepted_at", "resolved_at",
            "closed_at", "paused_at", "answer", "rating", "rating_comment", "redo_count", "round",
            "dispatches", "attachments", "escalations", "timeline",
        ]
        read_only_fields = fields

    def get_unit_label(self, obj) -> str:
        return str(obj.unit) if obj.unit_id else ""

    def get_reporter_phone(self, obj) -> str:
        """Staff only, masked unless the viewer manages the reporter's community."""
        if not getattr(obj, "viewer_is_staff", False):
            return ""
        viewer = _viewer(self)
        return ContactPolicy.for_viewer(viewer).phone(obj.reporter, person_community_ids(obj.reporter))

    def get_filed_by_name(self, obj) -> str:
        if not getattr(obj, "viewer_is_staff", False):
            return ""
        return obj.filed_by.real_name

    @extend_schema_field(TimelineEventSerializer(many=True))
    def get_timeline(self, obj):
        context = {**self.context, "viewer_is_staff": getattr(obj, "viewer_is_staff", False)}
        return TimelineEventSerializer(obj.timeline.all(), many=True, context=context).data


def load_case_detail(user, pk: int) -> Complaint:
    """Return a visible case with everything its detail shows, or raise 404. Internal rows only for staff."""
    case = get_object_or_404(visible_cases(user).select_related("filed_by"), pk=pk)
    timeline = TimelineEvent.objects.select_related("actor").order_by("created_at", "id")
    attachments = Attachment.objects.order_by("created_at", "id")
    if not case.viewer_is_staff:
        timeline = timeline.filter(internal=False)
        attachments = attachments.exclude(event__internal=True)
    prefetch_related_objects(
        [case],
        Prefetch("timeline", queryset=timeline),
        Prefetch("attachments", queryset=attachments),
        Prefetch("escalations", queryset=Escalation.objects.order_by("-created_at", "-id")),
        Prefetch(
            "dispatches",
            queryset=annotate_dispatches(Dispatch.objects.select_related("department", "property_company", "return_to")),
        ),
    )
    if case.viewer_is_staff:
        prefetch_related_objects([case.reporter], *homes_prefetch())
    return case


# --- input ---------------------------------------------------------------------------------------


def _photos_field():
    return serializers.ListField(
        child=serializers.FileField(), required=False, max_length=MAX_PHOTOS, default=list,
        help_text="Up to 9 photos (JPEG, PNG or WebP), sent as multipart form data.",
    )


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="The case's `version` the caller last saw; a different current version answers 409.",
    )


class CaseCreateSerializer(serializers.Serializer):
    compound = serializers.IntegerField()
    category = serializers.ChoiceField(choices=Category.choices)
    urgency = serializers.ChoiceField(choices=UrgencyTier.choices, default=UrgencyTier.GENERAL)
    title = serializers.CharField(max_length=60)
    description = serializers.CharField(max_length=2000)
    place_kind = serializers.ChoiceField(choices=PlaceKind.choices)
    building = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.IntegerField(required=False, allow_null=True)
    place_note = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    hide_name = serializers.BooleanField(default=True)
    source = serializers.ChoiceField(choices=Source.choices, required=False, allow_null=True)
    on_behalf_of = serializers.IntegerField(
        required=False, allow_null=True, help_text="Grid workers: the resident the case is filed for (代办)."
    )
    photos = _photos_field()


class AcceptSerializer(VersionSerializer):
    category = serializers.ChoiceField(choices=Category.choices, required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=UrgencyTier.choices, required=False, allow_null=True)


class RejectSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=200, allow_blank=True)


class RequestInfoSerializer(VersionSerializer):
    question = serializers.CharField(max_length=200, allow_blank=True)


class ProvideInfoSerializer(VersionSerializer):
    answer = serializers.CharField(max_length=2000, allow_blank=True)
    photos = _photos_field()


class MergeSerializer(VersionSerializer):
    into = serializers.IntegerField(help_text="Id of the surviving case of the same compound.")


class RecategorizeSerializer(VersionSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    urgency = serializers.ChoiceField(choices=UrgencyTier.choices)


class DispatchCreateSerializer(VersionSerializer):
    handler_kind = serializers.ChoiceField(choices=HandlerKind.choices)
    department = serializers.IntegerField(required=False, allow_null=True)
    instructions = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    handle_within_hours = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=30 * 24,
        help_text="Compound parties only: the deadline the community sets (48 h by default).",
    )


class VerifySerializer(VersionSerializer):
    passed = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConfirmSerializer(VersionSerializer):
    answer = serializers.ChoiceField(choices=Answer.choices)
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CommentSerializer(VersionSerializer):
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    internal = serializers.BooleanField(default=False)
    photos = _photos_field()


class NoteSerializer(VersionSerializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ResolveSerializer(VersionSerializer):
    result = serializers.CharField(max_length=2000, allow_blank=True)
    photos = _photos_field()


class ReturnSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=200, allow_blank=True)
    belongs_to = serializers.IntegerField(
        required=False, allow_null=True, help_text="Departments must name the department the case belongs to."
    )


class ExtensionRequestSerializer(VersionSerializer):
    hours = serializers.IntegerField()
    reason = serializers.CharField(max_length=200, allow_blank=True)


class ExtensionDecisionSerializer(VersionSerializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ParkSerializer(VersionSerializer):
    plan = serializers.CharField(max_length=2000, allow_blank=True)


class RateSerializer(VersionSerializer):
    score = serializers.IntegerField()
    comment = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


def _with_photos(serializer_class):
    """Request bodies that carry photos: JSON without them, or multipart with them."""
    return {"application/json": serializer_class, "multipart/form-data": serializer_class}


def _stale(complaint: Complaint) -> ApplicationError:
    return ApplicationError(
        _("Someone else has just acted on case %(number)s. Reload the page to see what changed.")
        % {"number": complaint.number},
        code="conflict",
    )


def _check_version(complaint_id: int, version: int | None) -> None:
    """Inside a transaction: lock the case and refuse a stale version (for services without `version`)."""
    if version is None:
        return
    locked = Complaint.objects.select_for_update().get(pk=complaint_id)
    if locked.version != version:
        raise _stale(locked)


def _department(pk: int | None, field: str) -> Department | None:
    if pk is None:
        return None
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise ApplicationError(_("No such department."), field=field)
    return department


# --- filters -------------------------------------------------------------------------------------


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    category = django_filters.ChoiceFilter(choices=Category.choices)
    urgency = django_filters.ChoiceFilter(choices=UrgencyTier.choices)
    compound = django_filters.NumberFilter(field_name="compound_id")
    building = django_filters.NumberFilter(field_name="building_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Only overdue cases (true) or none of them (false).")
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only cases the caller reported or follows.")
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    ordering = django_filters.OrderingFilter(
        fields=["created_at", "updated_at", "accept_due_at", "handle_due_at", "number", "status", "urgency"]
    )

    class Meta:
        model = Complaint
        fields = ["status", "category", "urgency", "compound", "building"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(is_overdue=value)

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        user = self.request.user
        return queryset.filter(
            Q(reporter_id=user.pk) | Q(pk__in=Follower.objects.filter(user_id=user.pk).values("complaint_id"))
        )


class DispatchFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DispatchStatus.choices)
    handler_kind = django_filters.ChoiceFilter(choices=HandlerKind.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Only overdue dispatches (true) or none (false).")

    class Meta:
        model = Dispatch
        fields = ["status", "handler_kind"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(is_overdue=value)


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Only unread (true) or read (false).")

    class Meta:
        model = Notification
        fields = ["unread"]


# --- views ---------------------------------------------------------------------------------------


class CaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Cases the caller may see. Every transition is a POST action taking an optional `version`."""

    serializer_class = CaseSerializer
    filterset_class = CaseFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return Complaint.objects.none()
        return visible_cases(self.request.user)

    def _case(self, pk) -> Complaint:
        return get_object_or_404(Complaint.objects.visible_to(self.request.user), pk=pk)

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        case = load_case_detail(self.request.user, pk)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data, status=status_code)

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(responses=CaseDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    @extend_schema(request=_with_photos(CaseCreateSerializer), responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        """File a case; up to 9 photos as multipart `photos`."""
        v = self._input(CaseCreateSerializer)
        user = request.user
        compound = compounds_user_may_report_in(user).filter(pk=v["compound"]).first()
        if compound is None:
            raise ApplicationError(_("You cannot report in this compound."), field="compound")
        building = unit = on_behalf_of = None
        if v.get("building") is not None:
            building = Building.objects.visible_to(user).filter(pk=v["building"]).first()
            if building is None:
                raise ApplicationError(_("This building is not in the compound."), field="building")
        if v.get("unit") is not None:
            unit = Unit.objects.visible_to(user).select_related("building").filter(pk=v["unit"]).first()
            if unit is None:
                raise ApplicationError(_("This unit is not in the compound."), field="unit")
        if v.get("on_behalf_of") is not None:
            on_behalf_of = User.objects.visible_to(user).filter(pk=v["on_behalf_of"]).first()
            if on_behalf_of is None:
                raise ApplicationError(_("No such resident in your scope."), field="on_behalf_of")
        photos = process_photos(v["photos"])
        case = services.complaint_file(
            actor=user, compound=compound, category=v["category"], urgency=v["urgency"], title=v["title"],
            description=v["description"], place_kind=v["place_kind"], building=building, unit=unit,
            place_note=v["place_note"], hide_name=v["hide_name"], photos=photos, on_behalf_of=on_behalf_of,
            source=v.get("source"),
        )
        return self._detail(case.pk, status.HTTP_201_CREATED)

    # --- triage ---

    @extend_schema(request=AcceptSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        case, v = self._case(pk), self._input(AcceptSerializer)
        services.complaint_accept(
            complaint=case, actor=request.user, version=v["version"], category=v.get("category"), urgency=v.get("urgency")
        )
        return self._detail(pk)

    @extend_schema(request=RejectSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        case, v = self._case(pk), self._input(RejectSerializer)
        services.complaint_reject(complaint=case, actor=request.user, reason=v["reason"], version=v["version"])
        return self._detail(pk)

    @extend_schema(request=RequestInfoSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="request-info", url_name="request-info")
    def request_info(self, request, pk=None):
        case, v = self._case(pk), self._input(RequestInfoSerializer)
        services.complaint_request_info(complaint=case, actor=request.user, question=v["question"], version=v["version"])
        return self._detail(pk)

    @extend_schema(request=_with_photos(ProvideInfoSerializer), responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="provide-info", url_name="provide-info")
    def provide_info(self, request, pk=None):
        case, v = self._case(pk), self._input(ProvideInfoSerializer)
        services.complaint_provide_info(
            complaint=case, actor=request.user, answer=v["answer"], photos=process_photos(v["photos"]),
            version=v["version"],
        )
        return self._detail(pk)

    @extend_schema(request=MergeSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        case, v = self._case(pk), self._input(MergeSerializer)
        into = Complaint.objects.visible_to(request.user).filter(pk=v["into"]).first()
        if into is None:
            raise ApplicationError(_("Choose another open case of the same compound."), field="into")
        services.complaint_merge(complaint=case, into=into, actor=request.user, version=v["version"])
        return self._detail(pk)

    @extend_schema(request=RecategorizeSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def recategorize(self, request, pk=None):
        case, v = self._case(pk), self._input(RecategorizeSerializer)
        services.complaint_recategorize(
            complaint=case, actor=request.user, category=v["category"], urgency=v["urgency"], version=v["version"]
        )
        return self._detail(pk)

    # --- handling and resolution ---

    @extend_schema(request=DispatchCreateSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_case(self, request, pk=None):
        """Assign to a compound party or whistle to a department (社区吹哨)."""
        case, v = self._case(pk), self._input(DispatchCreateSerializer)
        hours = v.get("handle_within_hours")
        services.complaint_dispatch(
            complaint=case, actor=request.user, handler_kind=v["handler_kind"],
            department=_department(v.get("department"), "department"), instructions=v["instructions"],
            handle_within=timedelta(hours=hours) if hours else None, version=v["version"],
        )
        return self._detail(pk)

    @extend_schema(request=VerifySerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        case, v = self._case(pk), self._input(VerifySerializer)
        services.complaint_verify(complaint=case, actor=request.user, passed=v["passed"], note=v["note"], version=v["version"])
        return self._detail(pk)

    @extend_schema(request=ConfirmSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        case, v = self._case(pk), self._input(ConfirmSerializer)
        services.complaint_confirm(
            complaint=case, actor=request.user, answer=v["answer"], rating=v["rating"], comment=v["comment"],
            version=v["version"],
        )
        return self._detail(pk)

    @extend_schema(request=VersionSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="me-too", url_name="me-too")
    def me_too(self, request, pk=None):
        """Join a case of one's own compound (我也遇到) and follow it."""
        user = request.user
        joinable = Complaint.objects.filter(
            Q(pk__in=Complaint.objects.visible_to(user).values("pk"))
            | Q(compound_id__in=Compound.objects.visible_to(user).values("pk"))
        )
        case, v = get_object_or_404(joinable, pk=pk), self._input(VersionSerializer)
        with transaction.atomic():
            _check_version(case.pk, v["version"])
            services.complaint_me_too(complaint=case, actor=user)
        return self._detail(pk)

    @extend_schema(request=_with_photos(CommentSerializer), responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """Add a comment (internal: staff only) with photos to the timeline."""
        case, v = self._case(pk), self._input(CommentSerializer)
        photos = process_photos(v["photos"])
        with transaction.atomic():
            _check_version(case.pk, v["version"])
            services.complaint_comment(complaint=case, actor=request.user, text=v["text"], internal=v["internal"], photos=photos)
        return self._detail(pk)


class DispatchViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's handled dispatches (department inbox, work queue); actions on any dispatch of a visible case."""

    serializer_class = WorkItemSerializer
    filterset_class = DispatchFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return Dispatch.objects.none()
        user = self.request.user
        if self.action == "list":
            qs = handled_dispatches(user)
        else:
            qs = Dispatch.objects.filter(complaint_id__in=Complaint.objects.visible_to(user).values("pk"))
        qs = qs.select_related("complaint__compound", "department", "property_company", "return_to")
        return annotate_dispatches(qs).order_by("handle_due_at", "id")

    def _dispatch(self, pk) -> Dispatch:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _act(self, pk, serializer_class, call) -> Response:
        dispatch, v = self._dispatch(pk), self._input(serializer_class)
        with transaction.atomic():
            _check_version(dispatch.complaint_id, v["version"])
            call(dispatch, v)
        return Response(WorkItemSerializer(self._dispatch(pk), context=self.get_serializer_context()).data)

    @extend_schema(request=VersionSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge (签收/报到)."""
        return self._act(pk, VersionSerializer, lambda d, v: services.dispatch_acknowledge(dispatch=d, actor=request.user))

    @extend_schema(request=NoteSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def contact(self, request, pk=None):
        """Record contact with the resident."""
        return self._act(pk, NoteSerializer, lambda d, v: services.dispatch_record(
            dispatch=d, actor=request.user, what="contact", note=v["note"]))

    @extend_schema(request=NoteSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def arrival(self, request, pk=None):
        """Record arrival on site."""
        return self._act(pk, NoteSerializer, lambda d, v: services.dispatch_record(
            dispatch=d, actor=request.user, what="arrival", note=v["note"]))

    @extend_schema(request=_with_photos(ResolveSerializer), responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Report the work done, with a written result and photo evidence."""
        return self._act(pk, ResolveSerializer, lambda d, v: services.dispatch_resolve(
            dispatch=d, actor=request.user, result=v["result"], photos=process_photos(v["photos"])))

    @extend_schema(request=ReturnSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        """Send a wrongly routed case back, naming the department it belongs to."""
        return self._act(pk, ReturnSerializer, lambda d, v: services.dispatch_return(
            dispatch=d, actor=request.user, reason=v["reason"], belongs_to=_department(v.get("belongs_to"), "belongs_to")))

    @extend_schema(request=ExtensionRequestSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"], url_path="request-extension", url_name="request-extension")
    def request_extension(self, request, pk=None):
        return self._act(pk, ExtensionRequestSerializer, lambda d, v: services.dispatch_request_extension(
            dispatch=d, actor=request.user, hours=v["hours"], reason=v["reason"]))

    @extend_schema(request=ExtensionDecisionSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"], url_path="decide-extension", url_name="decide-extension")
    def decide_extension(self, request, pk=None):
        """The street office approves or refuses an extension."""
        return self._act(pk, ExtensionDecisionSerializer, lambda d, v: services.dispatch_decide_extension(
            dispatch=d, actor=request.user, approve=v["approve"], note=v["note"]))

    @extend_schema(request=ParkSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def park(self, request, pk=None):
        """Park an unsolvable case with a plan (挂账)."""
        return self._act(pk, ParkSerializer, lambda d, v: services.dispatch_park(dispatch=d, actor=request.user, plan=v["plan"]))

    @extend_schema(request=RateSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """The community rates a department's 报到 (1–5)."""
        return self._act(pk, RateSerializer, lambda d, v: services.dispatch_rate(
            dispatch=d, actor=request.user, score=v["score"], comment=v["comment"]))


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at", "is_read"]
        read_only_fields = fields

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's in-app inbox."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self):
        return Notification.objects.filter(user_id=self.request.user.pk).order_by("-created_at", "-id")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = get_object_or_404(self.get_queryset(), pk=pk)
        notification_mark_read(user=request.user, notification_id=notification.pk)
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=None,
        responses=inline_serializer("NotificationsReadAll", fields={"updated": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request):
        return Response({"updated": notification_mark_read(user=request.user)})


"""The machine interface to survey templates, revisit campaigns and the resident's surveys.

Same services and rules as the pages (complaints.surveys.services, complaints.campaign_selectors).
Campaigns out of the caller's scope answer 404; people who manage no place get 403 on the staff
endpoints; bad input 400, a refused action 403, a second launch 409 — in the one shape of core/api.py.
Answering (`POST /surveys/{id}/answer/`) needs no login: the signed token of the survey's link is in the
body, with the same rules as the page: bound to the survey and its recipient, once, not after the end.
A link that is not this survey's answers 404, another logged-in person 403, a closed survey 410.
"""

from __future__ import annotations

import json

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from core.errors import ApplicationError

from . import campaign_selectors as sel
from .models import Campaign, QuestionKind, Status, Survey, SurveyKind, SurveyQuestion, SurveyTemplate
from .photos import process_photos
from .surveys import services, tokens

# --- serializers ---------------------------------------------------------------------------------


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=40)
    label = serializers.CharField(max_length=100)


class QuestionSerializer(serializers.ModelSerializer):
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyQuestion
        fields = ["id", "position", "key", "kind", "text", "choices", "required"]
        read_only_fields = fields


class TemplateSerializer(serializers.ModelSerializer):
    question_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = SurveyTemplate
        fields = ["id", "key", "name", "kind", "intro", "is_active", "question_count", "created_at"]
        read_only_fields = fields


class TemplateDetailSerializer(TemplateSerializer):
    questions = serializers.SerializerMethodField()

    class Meta(TemplateSerializer.Meta):
        fields = [*TemplateSerializer.Meta.fields, "questions"]
        read_only_fields = fields

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, obj) -> list[dict]:
        return QuestionSerializer(obj.questions.order_by("position", "id"), many=True).data


class TemplateCreateSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(choices=SurveyKind.choices, default=SurveyKind.CUSTOM)
    intro = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TemplateUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    intro = serializers.CharField(max_length=500, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class QuestionCreateSerializer(serializers.Serializer):
    key = serializers.SlugField(max_length=40)
    kind = serializers.ChoiceField(choices=QuestionKind.choices)
    text = serializers.CharField(max_length=200)
    choices = ChoiceSerializer(many=True, required=False, default=list)
    required = serializers.BooleanField(default=True)
    position = serializers.IntegerField(min_value=0, required=False)


class QuestionUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=200, required=False)
    choices = ChoiceSerializer(many=True, required=False)
    required = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, required=False)


class CampaignSerializer(serializers.ModelSerializer):
    template_name = serializers.CharField(source="template.name", read_only=True)
    place_name = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    asked = serializers.IntegerField(read_only=True)
    answered = serializers.IntegerField(read_only=True)
    expired = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "template", "template_name", "scope", "compound", "community", "property_company",
            "place_name", "sample_share", "starts_at", "ends_at", "remind_after_days", "status", "status_display",
            "launched_at", "finished_at", "asked", "answered", "expired", "created_at",
        ]
        read_only_fields = fields

    def get_place_name(self, obj) -> str:
        return obj.place.name if obj.place is not None else ""


class CampaignDetailSerializer(CampaignSerializer):
    results = serializers.SerializerMethodField()

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "results"]
        read_only_fields = fields

    def get_results(self, obj) -> dict:
        results = sel.campaign_results(obj)
        results["case_figures"] = sel.recent_figures(sel.place_cases(obj), 90)
        return results


class CampaignCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    template = serializers.IntegerField()
    scope = serializers.ChoiceField(choices=Campaign.Scope.choices)
    place = serializers.IntegerField(help_text="The id of the compound, community or property company.")
    sample_share = serializers.IntegerField(min_value=1, max_value=100, default=30)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    remind_after_days = serializers.IntegerField(min_value=1, max_value=60, default=3)


class MySurveySerializer(serializers.ModelSerializer):
    template_name = serializers.CharField(source="template.name", read_only=True)
    subject = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    link = serializers.SerializerMethodField()
    token = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = ["id", "purpose", "template_name", "subject", "status", "status_display", "invited_at", "expires_at",
                  "answered_at", "questions", "link", "token"]
        read_only_fields = fields

    def get_subject(self, obj) -> str:
        return sel.survey_subject(obj)

    def get_link(self, obj) -> str:
        """The signed answer page, for an open survey."""
        return tokens.survey_path(obj) if obj.status == Survey.Status.INVITED else ""

    def get_token(self, obj) -> str:
        """The token to answer through the API, for an open survey."""
        return tokens.make_token(obj) if obj.status == Survey.Status.INVITED else ""


class AnswerSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)
    answers = serializers.JSONField(
        help_text="{question key: value}: rating 1–5, single a choice value, multiple a list of values, text a string. "
                  "In a multipart request (with photos in the fields photo_<key>), a JSON string."
    )

    def validate_answers(self, value):
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError(_("Send the answers as an object.")) from None
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Send the answers as an object."))
        return value


class AnswerDoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    answered_at = serializers.DateTimeField()
    case_reopened = serializers.BooleanField()


# --- helpers -------------------------------------------------------------------------------------


def _require(condition: bool) -> None:
    if not condition:
        raise exceptions.PermissionDenied()


def _input(request, serializer_class) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


# --- views ---------------------------------------------------------------------------------------


class SurveyTemplateViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Survey templates: staff who run campaigns read them; community, street and district staff edit them."""

    serializer_class = TemplateSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SurveyTemplate.objects.none()
        _require(sel.runs_campaigns(self.request.user) or sel.may_edit_templates(self.request.user))
        return sel.templates_with_counts()

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        template = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(TemplateDetailSerializer(template, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(responses=TemplateDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    @extend_schema(request=TemplateCreateSerializer, responses={201: TemplateDetailSerializer})
    def create(self, request, *args, **kwargs):
        v = _input(request, TemplateCreateSerializer)
        template = services.survey_template_create(actor=request.user, key=v["key"], name=v["name"], kind=v["kind"],
                                                   intro=v["intro"])
        return self._detail(template.pk, status.HTTP_201_CREATED)

    @extend_schema(request=TemplateUpdateSerializer, responses=TemplateDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        template = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        v = _input(request, TemplateUpdateSerializer)
        services.survey_template_update(template=template, actor=request.user, **v)
        return self._detail(template.pk)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            raise exceptions.MethodNotAllowed(request.method)
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=QuestionCreateSerializer, responses={201: TemplateDetailSerializer})
    @action(detail=True, methods=["post"])
    def questions(self, request, pk=None):
        """Add a question."""
        template = get_object_or_404(self.get_queryset(), pk=pk)
        v = _input(request, QuestionCreateSerializer)
        services.survey_question_create(template=template, actor=request.user, **v)
        return self._detail(pk, status.HTTP_201_CREATED)

    @extend_schema(methods=["PATCH"], request=QuestionUpdateSerializer, responses=TemplateDetailSerializer)
    @extend_schema(methods=["DELETE"], request=None, responses=TemplateDetailSerializer)
    @action(detail=True, methods=["patch", "delete"], url_path=r"questions/(?P<question_id>\d+)")
    def question(self, request, pk=None, question_id=None):
        """Change (text, choices, required, position) or remove a question."""
        template = get_object_or_404(self.get_queryset(), pk=pk)
        question = get_object_or_404(SurveyQuestion, pk=question_id, template=template)
        if request.method == "DELETE":
            services.survey_question_delete(question=question, actor=request.user)
        else:
            v = _input(request, QuestionUpdateSerializer)
            services.survey_question_update(question=question, actor=request.user, **v)
        return self._detail(pk)


class CampaignViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Revisit campaigns of the places the caller manages, with their response counts; the detail has results."""

    serializer_class = CampaignSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Campaign.objects.none()
        _require(sel.runs_campaigns(self.request.user))
        qs = sel.with_response_counts(sel.campaigns_visible_to(self.request.user)).order_by("-starts_at", "-id")
        status_filter = self.request.query_params.get("status")
        return qs.filter(status=status_filter) if status_filter in Campaign.Status.values else qs

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        campaign = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(CampaignDetailSerializer(campaign, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=Campaign.Status.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=CampaignDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    @extend_schema(request=CampaignCreateSerializer, responses={201: CampaignDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Create a draft campaign for a place the caller manages; launch it to draw the households."""
        self.get_queryset()  # the 403 for people who manage no place
        v = _input(request, CampaignCreateSerializer)
        model = sel.PLACE_MODELS[v["scope"]]
        place = model.objects.managed_by(request.user).filter(pk=v["place"]).first()
        if place is None:
            raise ApplicationError(_("Choose a place you manage."), field="place")
        template = SurveyTemplate.objects.filter(pk=v["template"]).first()
        if template is None:
            raise ApplicationError(_("Choose a survey."), field="template")
        campaign = services.campaign_create(
            actor=request.user, name=v["name"], template=template, place=place, starts_at=v["starts_at"],
            ends_at=v["ends_at"], sample_share=v["sample_share"], remind_after_days=v["remind_after_days"],
        )
        return self._detail(campaign.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CampaignDetailSerializer)
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        """Draw the households and schedule their surveys."""
        services.campaign_launch(campaign=get_object_or_404(self.get_queryset(), pk=pk), actor=request.user)
        return self._detail(pk)

    @extend_schema(request=None, responses=CampaignDetailSerializer)
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """End a running campaign now: surveys not answered expire."""
        services.campaign_finish(campaign=get_object_or_404(self.get_queryset(), pk=pk), actor=request.user)
        return self._detail(pk)


class SurveyViewSet(viewsets.GenericViewSet):
    """The caller's own surveys, and answering one with its link's token."""

    serializer_class = MySurveySerializer
    queryset = Survey.objects.none()

    @extend_schema(responses=inline_serializer("MySurveys", {
        "open": MySurveySerializer(many=True), "answered": MySurveySerializer(many=True)}))
    @action(detail=False, methods=["get"])
    def mine(self, request):
        """Surveys waiting for the caller's answer (with the link and token to answer) and the answered ones."""
        open_, answered = sel.my_surveys(request.user)
        context = self.get_serializer_context()
        return Response({"open": MySurveySerializer(open_, many=True, context=context).data,
                         "answered": MySurveySerializer(answered, many=True, context=context).data})

    @extend_schema(request=AnswerSerializer, responses=AnswerDoneSerializer)
    @action(detail=True, methods=["post"], permission_classes=[AllowAny])
    def answer(self, request, pk=None):
        """Answer a survey with the token of its link; no login needed."""
        v = _input(request, AnswerSerializer)
        survey = tokens.survey_from_link(pk=int(pk), token=v["token"], user=request.user)  # 404/403/410 if refused
        photos = {}
        for q in survey.questions:
            if q["kind"] == QuestionKind.PHOTO:
                files = request.FILES.getlist(f"photo_{q['key']}")
                if files:
                    try:
                        photos[q["key"]] = process_photos(files[:10])
                    except ApplicationError as error:
                        raise ApplicationError(error.message, field=q["key"]) from None
        survey = services.survey_answer(survey=survey, answers=v["answers"], photos=photos, actor=request.user)
        reopened = survey.complaint_id is not None and survey.complaint.status == Status.ACCEPTED
        return Response({"id": survey.pk, "status": survey.status, "answered_at": survey.answered_at,
                         "case_reopened": reopened})

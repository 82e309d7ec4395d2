"""The machine interface to the suggestion box: list/filter, write, answer, publish, unpublish.

Same services and rules as the pages (complaints.suggestions). Suggestions out of the caller's scope
answer 404; a refused action 403, an answer to an answered suggestion 409, bad input 400 — in the one
shape of core/api.py. The author is shown as `author_card` says: an anonymous suggestion reads
"匿名居民" to its recipient, with no phone and no home.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.errors import ApplicationError

from . import suggestions as box
from .models import Recipient, Suggestion, SuggestionStatus

# --- serializers ---------------------------------------------------------------------------------


class SuggestionSerializer(serializers.ModelSerializer):
    """A suggestion as a list shows it; the author as the caller may see them."""

    compound_name = serializers.CharField(source="compound.name", read_only=True)
    recipient_display = serializers.CharField(source="get_recipient_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    author_name = serializers.SerializerMethodField()
    author_phone = serializers.SerializerMethodField()
    is_mine = serializers.SerializerMethodField()
    can_answer = serializers.SerializerMethodField()
    can_publish = serializers.SerializerMethodField()
    can_unpublish = serializers.SerializerMethodField()

    class Meta:
        model = Suggestion
        fields = [
            "id", "compound", "compound_name", "recipient", "recipient_display", "title", "text", "anonymous",
            "status", "status_display", "answer", "answered_at", "published", "published_at", "author_name",
            "author_phone", "is_mine", "can_answer", "can_publish", "can_unpublish", "created_at",
        ]
        read_only_fields = fields

    def _viewer(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    def _card(self, obj) -> box.AuthorCard:
        cards = self.context.setdefault("_cards", {})
        if obj.pk not in cards:
            cards[obj.pk] = box.author_card(
                obj, self._viewer(), manages=getattr(obj, "viewer_manages", False),
                answers=getattr(obj, "viewer_answers", False),
            )
        return cards[obj.pk]

    def get_author_name(self, obj) -> str:
        return self._card(obj).name

    def get_author_phone(self, obj) -> str:
        return self._card(obj).phone

    def get_is_mine(self, obj) -> bool:
        viewer = self._viewer()
        return viewer is not None and obj.author_id == viewer.pk

    def get_can_answer(self, obj) -> bool:
        return bool(getattr(obj, "viewer_answers", False)) and obj.status == SuggestionStatus.OPEN

    def get_can_publish(self, obj) -> bool:
        return bool(getattr(obj, "viewer_answers", False)) and obj.status == SuggestionStatus.ANSWERED and not obj.published

    def get_can_unpublish(self, obj) -> bool:
        return bool(getattr(obj, "viewer_answers", False)) and obj.published


class SuggestionDetailSerializer(SuggestionSerializer):
    """One suggestion, with the author's homes in the compound (only when the caller may know the author)."""

    author_homes = serializers.SerializerMethodField()
    answered_by_name = serializers.SerializerMethodField()

    class Meta(SuggestionSerializer.Meta):
        fields = [*SuggestionSerializer.Meta.fields, "author_homes", "answered_by_name"]
        read_only_fields = fields

    def get_author_homes(self, obj) -> list[str]:
        return box.author_homes(obj) if self._card(obj).identified else []

    def get_answered_by_name(self, obj) -> str:
        """The answerer's name for the author and those who answer; the public reads only the recipient."""
        if obj.answered_by_id is None:
            return ""
        if self.get_is_mine(obj) or getattr(obj, "viewer_answers", False):
            return obj.answered_by.real_name
        return ""


class SuggestionCreateSerializer(serializers.Serializer):
    compound = serializers.IntegerField(help_text="A compound where the caller lives (verified owner or tenant).")
    recipient = serializers.ChoiceField(choices=Recipient.choices)
    title = serializers.CharField(max_length=box.TITLE_MAX)
    text = serializers.CharField(max_length=box.TEXT_MAX)
    anonymous = serializers.BooleanField(default=False, help_text="Hide the author from the recipient.")


class SuggestionAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=box.TEXT_MAX)
    publish = serializers.BooleanField(default=False, help_text="Also publish it on the compound board.")


# --- filters -------------------------------------------------------------------------------------


class SuggestionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=SuggestionStatus.choices)
    recipient = django_filters.ChoiceFilter(choices=Recipient.choices)
    compound = django_filters.NumberFilter(field_name="compound_id")
    published = django_filters.BooleanFilter()
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only the caller's own suggestions.")
    to_answer = django_filters.BooleanFilter(
        method="filter_to_answer", label="Only the suggestions the caller may answer, unanswered first."
    )

    class Meta:
        model = Suggestion
        fields = ["status", "recipient", "compound", "published"]

    def filter_mine(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(author_id=self.request.user.pk)

    def filter_to_answer(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(viewer_answers=True).inbox_order()


# --- views ---------------------------------------------------------------------------------------


class SuggestionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Suggestions the caller may read: their own, the published ones of their compounds, the ones to answer."""

    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return Suggestion.objects.none()
        user = self.request.user
        qs = Suggestion.objects.visible_to(user).select_related("compound", "author", "answered_by")
        return box.with_viewer_flags(qs, user).order_by("-created_at", "-id")

    def _input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        suggestion = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(SuggestionDetailSerializer(suggestion, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(responses=SuggestionDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    @extend_schema(request=SuggestionCreateSerializer, responses={201: SuggestionDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Leave a suggestion for the party branch, the owners' committee or the property company."""
        v = self._input(SuggestionCreateSerializer)
        compound = box.home_compounds(request.user).filter(pk=v["compound"]).first()
        if compound is None:
            raise ApplicationError(_("You can only leave suggestions in a compound where you live."), field="compound")
        suggestion = box.suggestion_submit(
            actor=request.user, compound=compound, recipient=v["recipient"], title=v["title"], text=v["text"],
            anonymous=v["anonymous"],
        )
        return self._detail(suggestion.pk, status.HTTP_201_CREATED)

    @extend_schema(request=SuggestionAnswerSerializer, responses=SuggestionDetailSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer (the recipient or staff managing the compound); the author is told."""
        suggestion = get_object_or_404(self.get_queryset(), pk=pk)
        v = self._input(SuggestionAnswerSerializer)
        box.suggestion_answer(suggestion=suggestion, answer=v["answer"], publish=v["publish"], actor=request.user)
        return self._detail(pk)

    @extend_schema(request=None, responses=SuggestionDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Put an answered suggestion on the compound board."""
        box.suggestion_publish(suggestion=get_object_or_404(self.get_queryset(), pk=pk), actor=request.user)
        return self._detail(pk)

    @extend_schema(request=None, responses=SuggestionDetailSerializer)
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk=None):
        """Take a suggestion off the compound board."""
        box.suggestion_unpublish(suggestion=get_object_or_404(self.get_queryset(), pk=pk), actor=request.user)
        return self._detail(pk)

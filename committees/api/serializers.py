"""Serializers of the committees API: what a meeting, an item, a ballot receipt and the follow-up look like.

Nothing here ever carries a choice or a sum by choice of an open vote: participation is counted
by owners and area only, and a receipt shows its choice to the voter alone until the close.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import Category
from core.masking import mask_name
from governance.models import UrgencyTier

from .. import explain
from ..models import (
    ActionItem,
    AgendaItem,
    AssemblyPetition,
    Ballot,
    Candidate,
    Contribution,
    Elector,
    ElectorateCorrection,
    ElectorateObjection,
    ItemComment,
    ItemDocument,
    Matter,
    Meeting,
    PaperEntry,
)
from .common import MeetingVersionSerializer


def _viewer(serializer):
    request = serializer.context.get("request")
    return request.user if request is not None else None


# --- meetings and items ------------------------------------------------------------------------------


class CandidateSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="user.real_name", read_only=True)

    class Meta:
        model = Candidate
        fields = ["id", "item", "position", "name", "statement", "is_party_member", "vetting_note"]
        read_only_fields = fields


class DocumentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ItemDocument
        fields = ["id", "item", "name", "url", "created_at"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        # The permission-checked download is the page route (the file's storage URL is never handed out).
        path = reverse("committees:document", kwargs={"pk": obj.item.meeting_id, "item_pk": obj.item_id, "doc_pk": obj.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ItemSerializer(serializers.ModelSerializer):
    """An agenda item with its rule in words; `passed` stays null until the result is published."""

    rule_summary = serializers.SerializerMethodField()
    candidates = CandidateSerializer(many=True, read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    i_voted = serializers.SerializerMethodField()

    class Meta:
        model = AgendaItem
        fields = [
            "id", "meeting", "position", "kind", "title", "description", "proposer", "matter", "rule", "rule_summary",
            "seats", "party_opinion", "party_opinion_at", "passed", "candidates", "documents", "i_voted", "created_at",
        ]
        read_only_fields = fields

    def get_rule_summary(self, obj) -> str:
        return explain.rule_summary(obj.rule)

    def get_i_voted(self, obj) -> bool:
        """Whether a counted ballot of the caller's is on this item (never which choice)."""
        return obj.pk in self.context.get("voted_item_ids", ())


class ItemCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    proposer = serializers.ChoiceField(choices=AgendaItem.Proposer.choices)
    kind = serializers.ChoiceField(choices=AgendaItem.Kind.choices, default=AgendaItem.Kind.QUESTION)
    matter = serializers.ChoiceField(
        choices=Matter.choices, required=False, allow_null=True, default=None,
        help_text="Owners' assemblies: the Civil Code matter (1–9); the rule follows from it.",
    )
    rule = serializers.ChoiceField(
        choices=AgendaItem.Rule.choices, required=False, allow_null=True, default=None,
        help_text="Building and committee meetings only: household_majority or consensus. "
        "Refused for assembly items, whose rule follows from the matter.",
    )
    seats = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="Elections: 5–11, odd.")


class MeetingSerializer(serializers.ModelSerializer):
    """A meeting as a list shows it."""

    compound_name = serializers.CharField(source="compound.name", read_only=True)
    building_name = serializers.CharField(source="building.name", read_only=True, default="")
    voting_open = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id", "compound", "compound_name", "building", "building_name", "entrance", "kind", "title", "convener",
            "place", "starts_at", "vote_opens_at", "vote_closes_at", "voting_open", "status", "precedence",
            "notice_published_at", "result_published_at", "version", "created_at",
        ]
        read_only_fields = fields

    def get_voting_open(self, obj) -> bool:
        return obj.voting_is_open()


class TellerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ViewerSerializer(serializers.Serializer):
    """What the caller may do with the meeting (the same flags the pages show)."""

    can_manage = serializers.BooleanField()
    is_teller = serializers.BooleanField()
    can_vote = serializers.BooleanField()
    can_object = serializers.BooleanField()
    can_take_part = serializers.BooleanField()


class MeetingDetailSerializer(MeetingSerializer):
    """A meeting with its agenda. Unpublished minutes and the tellers' names only for those who manage it."""

    items = ItemSerializer(many=True, read_only=True)
    tellers = serializers.SerializerMethodField()
    minutes = serializers.SerializerMethodField()
    viewer = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [
            *MeetingSerializer.Meta.fields, "description", "non_voters_follow_majority", "minutes",
            "minutes_published_at", "tellers", "items", "viewer",
        ]
        read_only_fields = fields

    def _flags(self) -> dict:
        return self.context.get("viewer", {})

    @extend_schema_field(TellerSerializer(many=True))
    def get_tellers(self, obj):
        if not self._flags().get("can_manage"):
            return []
        return [{"id": t.pk, "name": t.real_name} for t in obj.tellers.all()]

    def get_minutes(self, obj) -> str:
        if obj.minutes_published_at or self._flags().get("can_manage"):
            return obj.minutes
        return ""

    @extend_schema_field(ViewerSerializer)
    def get_viewer(self, obj):
        return self._flags()


class MeetingCreateSerializer(serializers.Serializer):
    compound = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Meeting.Kind.choices)
    title = serializers.CharField(max_length=120)
    convener = serializers.ChoiceField(choices=Meeting.Convener.choices)
    starts_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    vote_opens_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    vote_closes_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    building = serializers.IntegerField(required=False, allow_null=True, default=None)
    entrance = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    precedence = serializers.ChoiceField(choices=Meeting.Precedence.choices, default=Meeting.Precedence.FIRST_WINS)


MEETING_EDITABLE = ("title", "description", "place", "starts_at", "vote_opens_at", "vote_closes_at", "precedence", "entrance")


class MeetingUpdateSerializer(MeetingVersionSerializer):
    """A draft's changeable fields; send only those that change."""

    title = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    place = serializers.CharField(max_length=120, required=False, allow_blank=True)
    starts_at = serializers.DateTimeField(required=False)
    vote_opens_at = serializers.DateTimeField(required=False, allow_null=True)
    vote_closes_at = serializers.DateTimeField(required=False, allow_null=True)
    precedence = serializers.ChoiceField(choices=Meeting.Precedence.choices, required=False)
    entrance = serializers.CharField(max_length=16, required=False, allow_blank=True)


class CancelSerializer(MeetingVersionSerializer):
    reason = serializers.CharField(max_length=200)


class TellersSerializer(serializers.Serializer):
    users = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    phones = serializers.ListField(child=serializers.CharField(max_length=11), required=False, default=list)


class CandidateCreateSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="A verified owner of the compound.")
    statement = serializers.CharField(required=False, allow_blank=True, default="")
    vetting_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DocumentCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    file = serializers.FileField(help_text="PDF, picture or Office file up to 20 MB, sent as multipart form data.")


class CommentSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = ItemComment
        fields = ["id", "item", "author_name", "body", "created_at"]
        read_only_fields = fields

    def get_author_name(self, obj) -> str:
        """Conveners and the author read the name; other residents see it masked (张**)."""
        viewer = _viewer(self)
        if self.context.get("can_manage") or (viewer is not None and obj.author_id == viewer.pk):
            return obj.author.real_name
        return mask_name(obj.author.real_name)


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=2000)


class OpinionSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=4000)


# --- voting ---------------------------------------------------------------------------------------


class VoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=Ballot.Choice.choices, required=False, help_text="Questions: yes, no or abstain.")
    candidates = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Elections: the ids of the candidates voted for."
    )


class ReceiptSerializer(serializers.ModelSerializer):
    """A ballot as its receipt shows it right after voting: no choice, just that it is on record."""

    units_label = serializers.CharField(source="elector.units_label", read_only=True)

    class Meta:
        model = Ballot
        fields = ["receipt_code", "item", "channel", "status", "status_reason", "units_label", "cast_at"]
        read_only_fields = fields


class BallotsSerializer(serializers.Serializer):
    ballots = ReceiptSerializer(many=True)


class ReceiptCheckSerializer(serializers.ModelSerializer):
    """A receipt looked up: counted or set aside and why; the choice only after the close (or to the voter)."""

    item_position = serializers.IntegerField(source="item.position", read_only=True)
    item_title = serializers.CharField(source="item.title", read_only=True)
    choice = serializers.SerializerMethodField()
    candidates = serializers.SerializerMethodField()

    class Meta:
        model = Ballot
        fields = [
            "receipt_code", "item", "item_position", "item_title", "channel", "status", "status_reason", "cast_at",
            "choice", "candidates",
        ]
        read_only_fields = fields

    def _shown(self, obj) -> bool:
        viewer = _viewer(self)
        mine = viewer is not None and obj.elector.user_id == viewer.pk
        return obj.item.meeting.status == Meeting.Status.CLOSED or mine

    def get_choice(self, obj) -> str | None:
        return obj.choice if self._shown(obj) and obj.item.kind == AgendaItem.Kind.QUESTION else None

    def get_candidates(self, obj) -> list[int] | None:
        if not self._shown(obj) or obj.item.kind != AgendaItem.Kind.ELECTION:
            return None
        return sorted(mark.candidate_id for mark in obj.marks.all())


class ItemParticipationSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    rule = serializers.CharField()
    count = serializers.IntegerField(help_text="Owners (households) who have voted on the item.")
    area = serializers.DecimalField(max_digits=12, decimal_places=2)
    needed_count = serializers.IntegerField(allow_null=True, help_text="2/3 of all owners; null: the rule has no gate.")
    needed_area = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    shortfall_count = serializers.IntegerField()
    shortfall_area = serializers.DecimalField(max_digits=12, decimal_places=2)
    shortfall = serializers.CharField(help_text="还差 N 户 / X m², in words; empty when the gate is met.")


class ParticipationSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()
    status = serializers.CharField()
    voting_open = serializers.BooleanField()
    total_count = serializers.IntegerField()
    total_area = serializers.DecimalField(max_digits=12, decimal_places=2)
    items = ItemParticipationSerializer(many=True)


class ResultItemSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    position = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    matter = serializers.IntegerField(allow_null=True)
    rule = serializers.CharField()
    rule_summary = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True)
    explanation = serializers.CharField(help_text="Why it passed or failed, with the figures.")
    clause_explanation = serializers.CharField(
        help_text="With the 从众 clause applied (a legal risk), when the compound's rules have it; else empty."
    )
    legal_risk = serializers.BooleanField()
    result = serializers.JSONField(help_text="The stored tally: participation, yes/no/abstain by count and area, thresholds.")


class ResultSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()
    title = serializers.CharField()
    result_published_at = serializers.DateTimeField()
    non_voters_follow_majority = serializers.BooleanField()
    items = ResultItemSerializer(many=True)


class PaperEntrySerializer(serializers.ModelSerializer):
    """One teller's reading of a sheet; the choices only to the teller who entered them."""

    elector_label = serializers.CharField(source="elector.label", read_only=True)
    units_label = serializers.CharField(source="elector.units_label", read_only=True)
    teller_name = serializers.CharField(source="teller.real_name", read_only=True)
    choices = serializers.SerializerMethodField()

    class Meta:
        model = PaperEntry
        fields = ["id", "meeting", "elector", "elector_label", "units_label", "teller", "teller_name", "status",
                  "choices", "entered_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_choices(self, obj):
        viewer = _viewer(self)
        return obj.choices if viewer is not None and obj.teller_id == viewer.pk else None


class SheetSerializer(serializers.Serializer):
    elector = serializers.IntegerField(help_text="The elector's id in the meeting's electorate.")
    choices = serializers.JSONField(
        help_text='Item id → "yes"/"no"/"abstain", or a list of candidate ids for an election. '
        "In multipart form data, a JSON string."
    )

    def validate_choices(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Give a choice for each item of the sheet."))
        return value


class ProxySerializer(SheetSerializer):
    proxy_name = serializers.CharField(max_length=64)
    mandate = serializers.FileField(help_text="The owner's signed written mandate: PDF or photo.")


# --- the electorate ------------------------------------------------------------------------------


class ElectorSerializer(serializers.ModelSerializer):
    is_me = serializers.SerializerMethodField()

    class Meta:
        model = Elector
        fields = ["id", "label", "units_label", "is_developer", "area_m2", "unit_count", "is_me"]
        read_only_fields = fields

    def get_is_me(self, obj) -> bool:
        viewer = _viewer(self)
        return viewer is not None and obj.user_id == viewer.pk


class ObjectionSerializer(serializers.ModelSerializer):
    unit_label = serializers.SerializerMethodField()
    raised_by_name = serializers.SerializerMethodField()

    class Meta:
        model = ElectorateObjection
        fields = ["id", "meeting", "unit", "unit_label", "text", "status", "response", "raised_by_name", "resolved_at",
                  "created_at"]
        read_only_fields = fields

    def get_unit_label(self, obj) -> str:
        return f"{obj.unit.building.name}{obj.unit.label}" if obj.unit_id else ""

    def get_raised_by_name(self, obj) -> str:
        viewer = _viewer(self)
        if self.context.get("can_manage") or (viewer is not None and obj.raised_by_id == viewer.pk):
            return obj.raised_by.real_name
        return mask_name(obj.raised_by.real_name)


class ObjectionCreateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=1000)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None)


class ObjectionAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    response = serializers.CharField(max_length=2000)


class CorrectionSerializer(serializers.ModelSerializer):
    unit_label = serializers.SerializerMethodField()
    made_by_name = serializers.CharField(source="made_by.real_name", read_only=True)

    class Meta:
        model = ElectorateCorrection
        fields = ["id", "meeting", "unit", "unit_label", "objection", "before", "after", "reason", "made_by_name",
                  "created_at"]
        read_only_fields = fields

    def get_unit_label(self, obj) -> str:
        return f"{obj.unit.building.name}{obj.unit.label}"


class CorrectionCreateSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)
    area_m2 = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, allow_null=True, default=None)
    resync_owner = serializers.BooleanField(default=False, help_text="Re-read the unit's owner from verified ownership.")
    objection = serializers.IntegerField(required=False, allow_null=True, default=None)


# --- minutes and follow-up -------------------------------------------------------------------------


class MinutesSerializer(serializers.Serializer):
    text = serializers.CharField()
    publish = serializers.BooleanField(default=False)


class MinutesOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "minutes", "minutes_published_at", "version"]
        read_only_fields = fields


class ActionSerializer(serializers.ModelSerializer):
    assignee_name = serializers.CharField(source="assignee.real_name", read_only=True, default="")
    case_number = serializers.CharField(source="complaint.number", read_only=True, default="")

    class Meta:
        model = ActionItem
        fields = [
            "id", "meeting", "item", "title", "description", "party", "assignee", "assignee_name", "due_date", "status",
            "done_at", "complaint", "case_number", "created_at",
        ]
        read_only_fields = fields


class ActionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    party = serializers.ChoiceField(choices=ActionItem.Party.choices)
    due_date = serializers.DateField()
    assignee = serializers.IntegerField(required=False, allow_null=True, default=None)
    item = serializers.IntegerField(required=False, allow_null=True, default=None)


class ActionCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ActionCaseSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    urgency = serializers.ChoiceField(choices=UrgencyTier.choices, default=UrgencyTier.GENERAL)


class ContributionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contribution
        fields = ["id", "action", "unit", "contributor", "pledged", "paid", "note", "updated_at"]
        read_only_fields = fields


class ContributionCreateSerializer(serializers.Serializer):
    contributor = serializers.CharField(max_length=64)
    pledged = serializers.DecimalField(max_digits=10, decimal_places=2)
    paid = serializers.DecimalField(max_digits=10, decimal_places=2, default=0)
    unit = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class PetitionSerializer(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    signatures = serializers.IntegerField(source="signature_count", read_only=True)
    signatures_needed = serializers.SerializerMethodField()
    signed_by_me = serializers.BooleanField(read_only=True)

    class Meta:
        model = AssemblyPetition
        fields = [
            "id", "compound", "compound_name", "title", "reason", "status", "owners_total", "signatures",
            "signatures_needed", "signed_by_me", "triggered_at", "meeting", "created_at",
        ]
        read_only_fields = fields

    def get_signatures_needed(self, obj) -> int:
        """Owners needed to trigger the assembly: one fifth of the compound's owners, rounded up."""
        return -(-obj.owners_total // 5)


class PetitionCreateSerializer(serializers.Serializer):
    compound = serializers.IntegerField()
    title = serializers.CharField(max_length=120)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PetitionConvenedSerializer(serializers.Serializer):
    meeting = serializers.IntegerField()

"""Meetings by API: the draft and its notice, the agenda, participation, the electorate, ballots, the result, minutes.

Same services and permission functions as the pages. Meetings out of the caller's scope (and drafts
of those who may not convene) answer 404; a refused action 403; a wrong moment 409; bad input 400.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.errors import ApplicationError
from governance.models import Building, Compound, Unit
from residents.models import User

from .. import explain, permissions, selectors, services, tally
from ..models import (
    ActionItem,
    AgendaItem,
    Ballot,
    Candidate,
    Elector,
    ElectorateCorrection,
    ElectorateObjection,
    ItemDocument,
    Meeting,
    PaperEntry,
)
from . import serializers as s
from .common import (
    MeetingVersionSerializer,
    fields_renamed,
    parse,
    sheet_field,
    visible_meetings,
)


def item_prefetches() -> list[Prefetch]:
    return [
        Prefetch("candidates", queryset=Candidate.objects.select_related("user").order_by("position")),
        Prefetch("documents", queryset=ItemDocument.objects.order_by("id")),
    ]


def viewer_flags(user, meeting: Meeting) -> dict:
    return {
        "can_manage": permissions.can_manage_meeting(user, meeting),
        "is_teller": permissions.is_teller(user, meeting),
        "can_vote": permissions.can_vote(user, meeting),
        "can_object": permissions.can_object(user, meeting),
        "can_take_part": permissions.can_take_part(user, meeting),
    }


def voted_item_ids(user, meeting: Meeting) -> set[int]:
    """Return the items on which a counted ballot of the user's is recorded (one query)."""
    return set(
        Ballot.objects.filter(item__meeting=meeting, elector__user_id=user.pk, status=Ballot.Status.VALID)
        .values_list("item_id", flat=True)
    )


def live_participation(item: AgendaItem, taken: tally.Votes, total: tally.Votes) -> dict:
    """Return an item's participation against the 2/3 gate, and what is still missing to reach it.

    Only counts and areas of those who took part: never a choice. The words come from
    `explain.shortfall` applied as if every ballot so far were a yes, which leaves the
    participation gate as the only thing that can be missing (so no choice leaks through it).
    """
    gated = item.kind == AgendaItem.Kind.ELECTION or item.rule in tally.DOUBLE_MAJORITY_RULES
    row = {
        "item": item.pk, "position": item.position, "title": item.title, "rule": item.rule, "count": taken.count,
        "area": taken.area, "needed_count": None, "needed_area": None, "met": None, "shortfall_count": 0,
        "shortfall_area": Decimal("0.00"), "shortfall": "",
    }
    if not gated:
        return row
    rule = tally.MAJORITY if item.kind == AgendaItem.Kind.ELECTION else item.rule
    thresholds = tally.thresholds_for(rule, total, taken)
    row.update(
        needed_count=thresholds.participation_count, needed_area=thresholds.participation_area,
        met=tally.participation_met(total, taken),
        shortfall_count=max(0, thresholds.participation_count - taken.count),
        shortfall_area=max(Decimal("0.00"), thresholds.participation_area - taken.area),
    )
    if taken.count <= total.count and taken.area <= total.area:
        as_if_yes = tally.decide(rule=rule, total=total, yes=taken, no=tally.Votes(), abstain=tally.Votes())
        row["shortfall"] = explain.shortfall(as_if_yes)
    return row


def result_row(item: AgendaItem) -> dict:
    """Return a closed item's stored result with the sentence saying why it passed or failed."""
    data = item.result or {}
    clause_text, risk = "", False
    if item.kind == AgendaItem.Kind.ELECTION:
        explanation = explain.explain_election(selectors.election_from_result(data))
    else:
        outcome = selectors.outcome_from_result(data)
        explanation = explain.explain(outcome)
        if outcome.clause is not None:
            clause_text, risk = explain.explain(outcome.clause), True
    return {
        "item": item.pk, "position": item.position, "title": item.title, "kind": item.kind, "matter": item.matter,
        "rule": item.rule, "rule_summary": explain.rule_summary(item.rule), "passed": item.passed,
        "explanation": explanation, "clause_explanation": clause_text, "legal_risk": risk, "result": data,
    }


def _users_for_tellers(v: dict) -> list:
    users = list(User.objects.filter(pk__in=v["users"], is_active=True))
    missing = set(v["users"]) - {u.pk for u in users}
    if missing:
        raise ApplicationError(_("No such person."), field="users")
    for phone in v["phones"]:
        user = User.objects.filter(phone=phone.strip(), is_active=True).first()
        if user is None:
            raise ApplicationError(
                _("Nobody is registered with the mobile number %(phone)s.") % {"phone": phone}, field="phones"
            )
        users.append(user)
    return users


class MeetingFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Meeting.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Meeting.Kind.choices)
    compound = django_filters.NumberFilter(field_name="compound_id")
    voting_open = django_filters.BooleanFilter(method="filter_voting_open", label="Only meetings open for voting now.")

    class Meta:
        model = Meeting
        fields = ["status", "kind", "compound"]

    def filter_voting_open(self, queryset, name, value):
        if value is None:
            return queryset
        open_ids = Meeting.objects.voting_open().values("pk")
        return queryset.filter(pk__in=open_ids) if value else queryset.exclude(pk__in=open_ids)


class MeetingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Meetings the caller may see: drafts only where they may convene. Every step is a POST action."""

    serializer_class = s.MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no database
            return Meeting.objects.none()
        return visible_meetings(self.request.user)

    def _meeting(self, pk) -> Meeting:
        return get_object_or_404(visible_meetings(self.request.user), pk=pk)

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        user = self.request.user
        meeting = get_object_or_404(
            visible_meetings(user).prefetch_related(
                Prefetch("items", queryset=AgendaItem.objects.prefetch_related(*item_prefetches())), "tellers"
            ),
            pk=pk,
        )
        context = {
            **self.get_serializer_context(), "viewer": viewer_flags(user, meeting),
            "voted_item_ids": voted_item_ids(user, meeting),
        }
        return Response(s.MeetingDetailSerializer(meeting, context=context).data, status=status_code)

    def _page(self, queryset, serializer_class, **context) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context={**self.get_serializer_context(), **context}).data
        return self.get_paginated_response(data)

    # --- the draft and its notice ---

    @extend_schema(responses=s.MeetingDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(kwargs["pk"])

    @extend_schema(request=s.MeetingCreateSerializer, responses={201: s.MeetingDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Create a draft meeting (those who may convene in the compound)."""
        user, v = request.user, parse(s.MeetingCreateSerializer, request.data)
        compound = Compound.objects.visible_to(user).filter(pk=v.pop("compound")).first()
        if compound is None:
            raise ApplicationError(_("No such compound."), field="compound")
        building_id = v.pop("building")
        building = Building.objects.visible_to(user).filter(pk=building_id).first() if building_id else None
        if building_id and building is None:
            raise ApplicationError(_("This building is not in the compound."), field="building")
        meeting = services.meeting_create(actor=user, compound=compound, building=building, **v)
        return self._detail(meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(request=s.MeetingUpdateSerializer, responses=s.MeetingDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change a draft (send only the fields that change, and the `version` last seen)."""
        meeting = self._meeting(kwargs["pk"])
        unknown = sorted(set(request.data) - {*s.MEETING_EDITABLE, "version"})
        if unknown:
            raise ApplicationError(_("This cannot be changed."), field=unknown[0])
        v = parse(s.MeetingUpdateSerializer, request.data, partial=True)
        version = v.pop("version", None)
        services.meeting_update(meeting=meeting, actor=request.user, version=version, **v)
        return self._detail(meeting.pk)

    @extend_schema(request=MeetingVersionSerializer, responses=s.MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the notice: freezes the rules and takes the electorate (assemblies: ≥ 15 days before voting)."""
        meeting, v = self._meeting(pk), parse(MeetingVersionSerializer, request.data)
        services.meeting_publish_notice(meeting=meeting, actor=request.user, version=v["version"])
        return self._detail(pk)

    @extend_schema(request=s.CancelSerializer, responses=s.MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        meeting, v = self._meeting(pk), parse(s.CancelSerializer, request.data)
        services.meeting_cancel(meeting=meeting, actor=request.user, reason=v["reason"], version=v["version"])
        return self._detail(pk)

    @extend_schema(request=None, responses=s.MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the vote after its deadline and publish the result (idempotent: closed stays closed)."""
        meeting = self._meeting(pk)
        closed = services.meeting_close(meeting=meeting, actor=request.user)
        if not closed:
            meeting.refresh_from_db(fields=["status"])
            if meeting.status != Meeting.Status.CLOSED:
                raise ApplicationError(
                    _("The vote can only be closed after its deadline."), field="vote_closes_at", code="conflict"
                )
        return self._detail(pk)

    @extend_schema(request=s.TellersSerializer, responses=s.MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def tellers(self, request, pk=None):
        """Name the tellers (at least two) by user id or by mobile number."""
        meeting, v = self._meeting(pk), parse(s.TellersSerializer, request.data)
        services.tellers_set(meeting=meeting, actor=request.user, tellers=_users_for_tellers(v))
        return self._detail(pk)

    # --- the agenda ---

    @extend_schema(methods=["GET"], request=None, responses=s.ItemSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.ItemCreateSerializer, responses={201: s.ItemSerializer})
    @action(detail=True, methods=["get", "post"])
    def items(self, request, pk=None):
        """The agenda; POST adds an item to a draft (assemblies: the matter decides the rule, `rule` is refused)."""
        meeting = self._meeting(pk)
        if request.method == "GET":
            items = meeting.items.select_related("meeting").prefetch_related(*item_prefetches()).order_by("position")
            return self._page(items, s.ItemSerializer, voted_item_ids=voted_item_ids(request.user, meeting))
        v = parse(s.ItemCreateSerializer, request.data)
        if meeting.kind == Meeting.Kind.ASSEMBLY and v["rule"]:
            raise ApplicationError(
                _("At an owners' assembly the rule follows from the Civil Code matter; it cannot be chosen."), field="rule"
            )
        item = services.item_add(meeting=meeting, actor=request.user, **v)
        item = AgendaItem.objects.select_related("meeting").prefetch_related(*item_prefetches()).get(pk=item.pk)
        return Response(s.ItemSerializer(item, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    # --- live participation, ballots, receipts, the result ---

    @extend_schema(request=None, responses=s.ParticipationSerializer)
    @action(detail=True, methods=["get"])
    def participation(self, request, pk=None):
        """Who has taken part, by count and by area, against the 2/3 gate. Never a sum by choice."""
        meeting = self._meeting(pk)
        if not meeting.has_vote:
            raise ApplicationError(_("This meeting has no vote."), code="conflict")
        total = selectors.electorate_total(meeting)
        taken = selectors.participation_by_item(meeting)
        rows = [live_participation(item, taken.get(item.pk, tally.Votes()), total) for item in meeting.items.order_by("position")]
        body = {
            "meeting": meeting.pk, "status": meeting.status, "voting_open": meeting.voting_is_open(),
            "total_count": total.count, "total_area": total.area, "items": rows,
        }
        return Response(s.ParticipationSerializer(body).data)

    @extend_schema(methods=["POST"], request=s.SheetSerializer, responses={201: s.PaperEntrySerializer})
    @extend_schema(methods=["GET"], request=None, responses=s.PaperEntrySerializer(many=True))
    @action(detail=True, methods=["get", "post"], url_path="paper-entries", url_name="paper-entries")
    def paper_entries(self, request, pk=None):
        """Tellers enter signed paper sheets; a sheet counts when two tellers' entries agree."""
        meeting, user = self._meeting(pk), request.user
        if request.method == "GET":
            if not (permissions.is_teller(user, meeting) or permissions.can_manage_meeting(user, meeting)):
                raise ApplicationError(_("You may not do this."), code="forbidden")
            entries = PaperEntry.objects.filter(meeting=meeting).select_related("elector", "teller").order_by("elector_id", "id")
            return self._page(entries, s.PaperEntrySerializer)
        v = parse(s.SheetSerializer, request.data)
        with fields_renamed(sheet_field):
            entry = services.paper_entry_submit(meeting=meeting, actor=user, elector_id=v["elector"], choices=v["choices"])
        entry = PaperEntry.objects.select_related("elector", "teller").get(pk=entry.pk)
        return Response(s.PaperEntrySerializer(entry, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": s.ProxySerializer}, responses={201: s.BallotsSerializer})
    @action(detail=True, methods=["post"], url_path="proxy-votes", url_name="proxy-votes")
    def proxy_votes(self, request, pk=None):
        """Record a proxy's votes with the owner's written mandate (multipart; `choices` as a JSON string)."""
        meeting, v = self._meeting(pk), parse(s.ProxySerializer, request.data)
        with fields_renamed(sheet_field):
            ballots = services.proxy_vote(
                meeting=meeting, actor=request.user, elector_id=v["elector"], proxy_name=v["proxy_name"],
                mandate=v["mandate"], choices=v["choices"],
            )
        ballots = Ballot.objects.filter(pk__in=[b.pk for b in ballots]).select_related("elector").order_by("item__position")
        return Response(s.BallotsSerializer({"ballots": ballots}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None, responses=s.ReceiptCheckSerializer,
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, description="The receipt code.")],
    )
    @action(detail=True, methods=["get"], url_path=r"receipts/(?P<code>[A-Za-z0-9 ]+)", url_name="receipt")
    def receipt(self, request, pk=None, code=None):
        """Check a receipt: counted or set aside (and why). The choice shows after the close, or to the voter."""
        meeting = self._meeting(pk)
        ballot = services.receipt_check(meeting=meeting, code=code)
        if ballot is None:
            raise NotFound(_("No ballot of this meeting has this receipt code."))
        ballot = (
            Ballot.objects.select_related("item__meeting", "elector").prefetch_related("marks").get(pk=ballot.pk)
        )
        return Response(s.ReceiptCheckSerializer(ballot, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=s.ResultSerializer)
    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        """The published result: per item the tally by count and area, the thresholds, and why it passed or failed."""
        meeting = self._meeting(pk)
        if meeting.status != Meeting.Status.CLOSED:
            raise ApplicationError(_("The result is published when voting closes."), code="conflict")
        items = meeting.items.order_by("position")
        body = {
            "meeting": meeting.pk, "title": meeting.title, "result_published_at": meeting.result_published_at,
            "non_voters_follow_majority": meeting.non_voters_follow_majority, "items": [result_row(i) for i in items],
        }
        return Response(s.ResultSerializer(body).data)

    # --- the electorate ---

    def _may_read_electorate(self, meeting: Meeting) -> None:
        user = self.request.user
        if not (permissions.can_take_part(user, meeting) or permissions.is_teller(user, meeting)):
            raise ApplicationError(_("You may not do this."), code="forbidden")

    @extend_schema(request=None, responses=s.ElectorSerializer(many=True))
    @action(detail=True, methods=["get"])
    def electorate(self, request, pk=None):
        """The posted electorate: masked names, units and areas (residents, conveners and tellers)."""
        meeting = self._meeting(pk)
        self._may_read_electorate(meeting)
        return self._page(Elector.objects.filter(meeting=meeting).order_by("units_label", "id"), s.ElectorSerializer)

    @extend_schema(methods=["GET"], request=None, responses=s.ObjectionSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.ObjectionCreateSerializer, responses={201: s.ObjectionSerializer})
    @action(detail=True, methods=["get", "post"])
    def objections(self, request, pk=None):
        """Objections to the posted electorate: conveners see all, others their own; POST raises one."""
        meeting, user = self._meeting(pk), request.user
        can_manage = permissions.can_manage_meeting(user, meeting)
        if request.method == "GET":
            rows = ElectorateObjection.objects.filter(meeting=meeting).select_related("unit__building", "raised_by")
            if not can_manage:
                rows = rows.filter(raised_by_id=user.pk)
            return self._page(rows.order_by("-created_at", "-id"), s.ObjectionSerializer, can_manage=can_manage)
        v = parse(s.ObjectionCreateSerializer, request.data)
        unit = None
        if v["unit"] is not None:
            unit = Unit.objects.filter(pk=v["unit"], building__compound_id=meeting.compound_id).first()
            if unit is None:
                raise ApplicationError(_("This unit is not part of this meeting."), field="unit")
        objection = services.objection_raise(meeting=meeting, actor=user, text=v["text"], unit=unit)
        objection = ElectorateObjection.objects.select_related("unit__building", "raised_by").get(pk=objection.pk)
        context = {**self.get_serializer_context(), "can_manage": can_manage}
        return Response(s.ObjectionSerializer(objection, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], request=None, responses=s.CorrectionSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.CorrectionCreateSerializer, responses={201: s.CorrectionSerializer})
    @action(detail=True, methods=["get", "post"])
    def corrections(self, request, pk=None):
        """The log of corrections to the electorate; POST corrects one unit before voting opens (conveners)."""
        meeting = self._meeting(pk)
        if request.method == "GET":
            self._may_read_electorate(meeting)
            rows = ElectorateCorrection.objects.filter(meeting=meeting).select_related("unit__building", "made_by")
            return self._page(rows.order_by("-created_at", "-id"), s.CorrectionSerializer)
        v = parse(s.CorrectionCreateSerializer, request.data)
        unit = Unit.objects.filter(pk=v["unit"], building__compound_id=meeting.compound_id).first()
        if unit is None:
            raise ApplicationError(_("This unit is not part of this meeting."), field="unit")
        objection = None
        if v["objection"] is not None:
            objection = ElectorateObjection.objects.filter(pk=v["objection"], meeting=meeting).first()
            if objection is None:
                raise ApplicationError(_("No such objection to this meeting's list."), field="objection")
        correction = services.electorate_correct(
            meeting=meeting, actor=request.user, unit=unit, reason=v["reason"], area_m2=v["area_m2"],
            resync_owner=v["resync_owner"], objection=objection,
        )
        correction = ElectorateCorrection.objects.select_related("unit__building", "made_by").get(pk=correction.pk)
        return Response(s.CorrectionSerializer(correction).data, status=status.HTTP_201_CREATED)

    # --- minutes and follow-up ---

    @extend_schema(request=s.MinutesSerializer, responses=s.MinutesOutSerializer)
    @action(detail=True, methods=["put"])
    def minutes(self, request, pk=None):
        """Record the minutes; `publish: true` posts them (after the meeting has taken place)."""
        meeting, v = self._meeting(pk), parse(s.MinutesSerializer, request.data)
        with fields_renamed({"minutes": "text"}):
            meeting = services.minutes_save(meeting=meeting, actor=request.user, text=v["text"], publish=v["publish"])
        return Response(s.MinutesOutSerializer(meeting).data)

    @extend_schema(methods=["GET"], request=None, responses=s.ActionSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.ActionCreateSerializer, responses={201: s.ActionSerializer})
    @action(detail=True, methods=["get", "post"])
    def actions(self, request, pk=None):
        """Resolutions as tasks with a party, a person and a due date; POST creates one (conveners)."""
        meeting = self._meeting(pk)
        if request.method == "GET":
            rows = ActionItem.objects.filter(meeting=meeting).select_related("assignee", "complaint")
            return self._page(rows.order_by("due_date", "id"), s.ActionSerializer)
        v = parse(s.ActionCreateSerializer, request.data)
        assignee = item = None
        if v["assignee"] is not None:
            assignee = User.objects.filter(pk=v["assignee"], is_active=True).first()
            if assignee is None:
                raise ApplicationError(_("No such person."), field="assignee")
        if v["item"] is not None:
            item = AgendaItem.objects.filter(pk=v["item"], meeting=meeting).first()
            if item is None:
                raise ApplicationError(_("This item belongs to another meeting."), field="item")
        task = services.action_create(
            meeting=meeting, actor=request.user, title=v["title"], party=v["party"], due_date=v["due_date"],
            description=v["description"], assignee=assignee, item=item,
        )
        task = ActionItem.objects.select_related("assignee", "complaint").get(pk=task.pk)
        return Response(s.ActionSerializer(task).data, status=status.HTTP_201_CREATED)

"""What every committees API view shares: scoped querysets, input parsing, the stored result as an outcome."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from django.shortcuts import get_object_or_404
from rest_framework import serializers

from core.errors import ApplicationError

from ..models import AgendaItem, Meeting


def visible_meetings(user):
    return Meeting.objects.visible_to(user).select_related("compound", "building")


def visible_items(user):
    return AgendaItem.objects.filter(meeting__in=Meeting.objects.visible_to(user).values("pk")).select_related(
        "meeting__compound", "meeting__building"
    )


def meeting_or_404(user, pk) -> Meeting:
    return get_object_or_404(visible_meetings(user), pk=pk)


def parse(serializer_class, data, **kwargs) -> dict:
    """Validate request data with `serializer_class`; bad input answers 400 naming the fields."""
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@contextmanager
def fields_renamed(mapping: dict[str, str] | Callable[[str], str]):
    """Re-raise a service's ApplicationError naming the API's input field instead of the form's."""
    try:
        yield
    except ApplicationError as error:
        rename = mapping if callable(mapping) else (lambda name: mapping.get(name, name))
        if error.field:
            error.field = rename(error.field)
        raise


def sheet_field(name: str) -> str:
    """Services name a paper sheet's items `item_<id>`; the API takes them in `choices`."""
    return "choices" if name.startswith("item_") else name


class MeetingVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text="The meeting's `version` the caller last saw; a different current version answers 409.",
    )

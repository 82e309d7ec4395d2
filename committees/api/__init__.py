"""The machine interface to meetings and votes (/api/v1/): the same services and permissions as the pages."""

from .followup import ActionViewSet, ObjectionViewSet, PetitionViewSet
from .items import ItemViewSet
from .meetings import MeetingViewSet

__all__ = ["ActionViewSet", "ItemViewSet", "MeetingViewSet", "ObjectionViewSet", "PetitionViewSet"]

"""Cases (cases.py); follow-up surveys, campaigns and the suggestion box live beside them."""

from .cases import (
    CATEGORIES_REQUIRING_VERIFICATION,
    OPEN_DISPATCH_STATUSES,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    Answer,
    Attachment,
    CaseCounter,
    Category,
    Complaint,
    ComplaintQuerySet,
    Dispatch,
    DispatchQuerySet,
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
from .suggestions import Recipient, Suggestion, SuggestionQuerySet, SuggestionStatus

__all__ = [
    "CATEGORIES_REQUIRING_VERIFICATION", "OPEN_DISPATCH_STATUSES", "OPEN_STATUSES", "TERMINAL_STATUSES", "Answer",
    "Attachment", "CaseCounter", "Category", "Complaint", "ComplaintQuerySet", "Dispatch", "DispatchQuerySet",
    "DispatchStatus", "Escalation", "Follower", "HandlerKind", "PlaceKind", "Rating", "Source", "Status", "TimelineEvent",
]
__all__ += ["Recipient", "Suggestion", "SuggestionQuerySet", "SuggestionStatus"]
from .surveys import (  # noqa: E402
    RECURRING_CATEGORIES,
    Campaign,
    FollowUpPolicy,
    QuestionKind,
    Survey,
    SurveyKind,
    SurveyPhoto,
    SurveyQuestion,
    SurveyTemplate,
)

__all__ += [
    "RECURRING_CATEGORIES", "Campaign", "FollowUpPolicy", "QuestionKind", "Survey", "SurveyKind", "SurveyPhoto",
    "SurveyQuestion", "SurveyTemplate",
]

"""Every write of the committees app. Import from here: `from committees import services`."""

from .electorate import electorate_correct, electorate_snapshot, objection_answer, objection_raise
from .followup import (
    action_complete,
    action_create,
    action_to_case,
    contribution_record,
    petition_convened,
    petition_sign,
    petition_start,
)
from .meetings import (
    ASSEMBLY_NOTICE_DAYS,
    candidate_add,
    comment_post,
    document_add,
    item_add,
    item_remove,
    meeting_cancel,
    meeting_close,
    meeting_create,
    meeting_publish_notice,
    meeting_update,
    meetings_close_due,
    minutes_save,
    party_opinion_set,
    tellers_set,
)
from .voting import paper_entry_submit, proxy_vote, receipt_check, vote_online

__all__ = [
    "ASSEMBLY_NOTICE_DAYS", "action_complete", "action_create", "action_to_case", "candidate_add", "comment_post",
    "contribution_record", "document_add", "electorate_correct", "electorate_snapshot", "item_add", "item_remove",
    "meeting_cancel", "meeting_close", "meeting_create", "meeting_publish_notice", "meeting_update", "meetings_close_due",
    "minutes_save", "objection_answer", "objection_raise", "paper_entry_submit", "party_opinion_set", "petition_convened",
    "petition_sign", "petition_start", "proxy_vote", "receipt_check", "tellers_set", "vote_online",
]

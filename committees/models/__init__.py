"""Owners' committees and what they run: meetings, agenda items, the electorate, ballots, follow-up."""

from .ballots import Ballot, BallotMark, PaperEntry
from .bodies import CommitteeMember, OwnersCommittee
from .electorate import Elector, ElectorateCorrection, ElectorateObjection, ElectorateUnit
from .followup import ActionItem, Contribution
from .meetings import (
    AgendaItem,
    AssemblyPetition,
    Candidate,
    ItemComment,
    ItemDocument,
    Matter,
    Meeting,
    PetitionSignature,
)

__all__ = [
    "ActionItem", "AgendaItem", "AssemblyPetition", "Ballot", "BallotMark", "Candidate", "CommitteeMember",
    "Contribution", "Elector", "ElectorateCorrection", "ElectorateObjection", "ElectorateUnit", "ItemComment",
    "ItemDocument", "Matter", "Meeting", "OwnersCommittee", "PaperEntry", "PetitionSignature",
]

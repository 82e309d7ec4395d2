"""Casting ballots through the services: online, paper (two tellers), proxy; precedence; receipts."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from committees import selectors, services
from committees.models import Ballot, Elector, Meeting, PaperEntry
from core.errors import ApplicationError
from core.models import AuditEvent
from residents.models import Tenancy

from .. import factories
from .conftest import end_now, published_assembly

pytestmark = pytest.mark.django_db
VALID = Ballot.Status.VALID


def elector_of(meeting, user) -> Elector:
    return Elector.objects.get(meeting=meeting, user=user)


@contextmanager
def refused(code: str | None = None, field: str | None = None):
    """The block must raise ApplicationError with this code (and field)."""
    with pytest.raises(ApplicationError) as info:
        yield info
    if code is not None:
        assert info.value.code == code, (info.value.code, info.value.message)
    if field is not None:
        assert info.value.field == field, (info.value.field, info.value.message)


def sheet(meeting, *choices) -> dict[str, str]:
    """A paper sheet for the meeting's items, in agenda order."""
    items = list(meeting.items.order_by("position"))
    assert len(items) == len(choices)
    return {str(item.pk): choice for item, choice in zip(items, choices, strict=True)}


def enter(meeting, teller, elector, *choices):
    return services.paper_entry_submit(meeting=meeting, actor=teller, elector_id=elector.pk, choices=sheet(meeting, *choices))


# --- online -------------------------------------------------------------------------------------------


def test_an_owner_votes_online_once_and_gets_a_receipt(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.get()
    owner = w["owners"][3]
    [ballot] = services.vote_online(item=item, actor=owner, choice="yes")
    assert ballot.status == VALID and ballot.channel == Ballot.Channel.ONLINE and ballot.choice == "yes"
    assert ballot.elector == elector_of(meeting, owner)
    assert len(ballot.receipt_code) == 10
    assert AuditEvent.objects.filter(action="ballot.cast", target_id=str(ballot.pk)).count() == 1

    with refused("conflict"):
        services.vote_online(item=item, actor=owner, choice="no")
    assert list(Ballot.objects.filter(item=item).values_list("choice", "status")) == [("yes", VALID)]
    assert selectors.participation(item).count == 1


def test_the_owner_of_two_units_and_the_developer_vote_once_with_all_their_area(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.get()
    services.vote_online(item=item, actor=w["double_owner"], choice="yes")
    services.vote_online(item=item, actor=w["developer"], choice="no")
    sums = selectors.choice_sums(item)
    assert (sums["yes"].count, sums["yes"].area) == (1, 200)
    assert (sums["no"].count, sums["no"].area) == (1, 360)


def test_a_bad_choice_names_the_item(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.get()
    with refused(field=f"item_{item.pk}"):
        services.vote_online(item=item, actor=w["owners"][0], choice="maybe")
    assert not Ballot.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "tenant", "co_owner", "secretary", "teller"])
def test_who_is_not_in_the_electorate_may_not_vote_online(meeting_world, who):
    w = meeting_world
    if who == "tenant":
        user = factories.UserFactory()
        Tenancy.objects.create(unit=w["units"][0], user=user, verified_at=timezone.now())
    elif who == "co_owner":  # a co-owner who is not the unit's designated voter
        user = factories.OwnershipFactory(unit=w["units"][1], is_voter=False).user
    elif who == "teller":
        user = w["tellers"][0]
    else:
        user = w[who]
    meeting = published_assembly(w)
    with refused("forbidden"):
        services.vote_online(item=meeting.items.get(), actor=user, choice="yes")
    assert not Ballot.objects.exists()


def test_voting_before_the_window_opens_or_after_it_closes_is_refused(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    item = meeting.items.get()
    with refused("conflict"):
        services.vote_online(item=item, actor=w["owners"][0], choice="yes")
    end_now(meeting)
    with refused("conflict"):
        services.vote_online(item=item, actor=w["owners"][0], choice="yes")
    with refused("conflict"):
        enter(meeting, w["tellers"][0], elector_of(meeting, w["owners"][1]), "yes")
    assert not Ballot.objects.exists()
    assert not PaperEntry.objects.exists()


def test_a_cancelled_meeting_takes_no_votes(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    services.meeting_cancel(meeting=meeting, actor=w["chair"], reason="场地有变")
    with refused("conflict"):
        services.vote_online(item=meeting.items.get(), actor=w["owners"][0], choice="yes")


def test_garbage_candidate_ids_are_refused_not_a_server_error(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(), election_seats=5)
    item = meeting.items.get()
    for bad in (["abc"], [None], [{"id": 1}], [-1]):
        with refused(field=f"item_{item.pk}"):
            services.vote_online(item=item, actor=w["owners"][0], candidate_ids=bad)
    with refused(field=f"item_{item.pk}"):
        services.paper_entry_submit(meeting=meeting, actor=w["tellers"][0], elector_id=elector_of(meeting, w["owners"][1]).pk,
                                    choices={str(item.pk): ["x"]})
    assert not Ballot.objects.exists() and not PaperEntry.objects.exists()


# --- paper: two tellers must agree ------------------------------------------------------------------


def test_two_tellers_who_agree_cast_the_sheet(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    elector = elector_of(meeting, w["owners"][5])
    first, second = w["tellers"]

    entry = enter(meeting, first, elector, "yes", "no")
    assert entry.status == PaperEntry.Status.WAITING
    assert not Ballot.objects.exists()
    # The same teller entering again is still one reading: it waits for the other teller.
    entry = enter(meeting, first, elector, "yes", "no")
    assert entry.status == PaperEntry.Status.WAITING
    assert PaperEntry.objects.filter(elector=elector).count() == 1
    assert not Ballot.objects.exists()

    entry = enter(meeting, second, elector, "yes", "no")
    assert entry.status == PaperEntry.Status.MATCHED
    assert set(PaperEntry.objects.filter(elector=elector).values_list("status", flat=True)) == {PaperEntry.Status.MATCHED}
    ballots = Ballot.objects.filter(elector=elector).order_by("item__position")
    assert [(b.item.matter, b.choice, b.channel, b.status) for b in ballots] == [
        (4, "yes", Ballot.Channel.PAPER, VALID), (6, "no", Ballot.Channel.PAPER, VALID),
    ]
    assert all(b.cast_by == second for b in ballots)

    # Counted once: a third reading of the same sheet is refused.
    with refused("conflict"):
        enter(meeting, first, elector, "no", "no")
    assert Ballot.objects.filter(elector=elector).count() == 2


def test_tellers_who_disagree_cast_nothing_until_one_corrects(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    elector = elector_of(meeting, w["owners"][6])
    first, second = w["tellers"]
    enter(meeting, first, elector, "yes", "abstain")
    entry = enter(meeting, second, elector, "yes", "no")
    assert entry.status == PaperEntry.Status.MISMATCH
    assert set(PaperEntry.objects.filter(elector=elector).values_list("status", flat=True)) == {PaperEntry.Status.MISMATCH}
    assert not Ballot.objects.exists()

    entry = enter(meeting, second, elector, "yes", "abstain")  # the second teller reads the sheet again
    assert entry.status == PaperEntry.Status.MATCHED
    assert set(PaperEntry.objects.filter(elector=elector).values_list("status", flat=True)) == {PaperEntry.Status.MATCHED}
    assert sorted(Ballot.objects.filter(elector=elector, status=VALID).values_list("choice", flat=True)) == ["abstain", "yes"]


def test_a_sheet_must_give_every_question(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    item = meeting.items.order_by("position").last()
    elector = elector_of(meeting, w["owners"][6])
    with refused(field=f"item_{item.pk}"):
        services.paper_entry_submit(meeting=meeting, actor=w["tellers"][0], elector_id=elector.pk,
                                    choices={str(meeting.items.order_by("position").first().pk): "yes"})
    assert not PaperEntry.objects.exists()


@pytest.mark.parametrize("who", ["chair", "outsider", "owner"])
def test_only_tellers_enter_paper_ballots(meeting_world, who):
    w = meeting_world
    meeting = published_assembly(w)
    user = w["owners"][2] if who == "owner" else w[who]
    with refused("forbidden"):
        enter(meeting, user, elector_of(meeting, w["owners"][5]), "yes")
    assert not PaperEntry.objects.exists()


def test_a_paper_ballot_for_someone_outside_the_electorate_is_refused(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    other = published_assembly(w)
    stranger = elector_of(other, w["owners"][1])  # an elector of another meeting
    with refused(field="elector"):
        enter(meeting, w["tellers"][0], stranger, "yes")


# --- precedence between channels --------------------------------------------------------------------


def paper(meeting, w, owner, *choices):
    elector = elector_of(meeting, owner)
    enter(meeting, w["tellers"][0], elector, *choices)
    return enter(meeting, w["tellers"][1], elector, *choices)


def test_first_wins_keeps_the_online_ballot_and_logs_the_paper_one_as_set_aside(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    assert meeting.precedence == Meeting.Precedence.FIRST_WINS
    item = meeting.items.get()
    owner = w["owners"][4]
    [online] = services.vote_online(item=item, actor=owner, choice="yes")
    assert paper(meeting, w, owner, "no").status == PaperEntry.Status.MATCHED

    online.refresh_from_db()
    assert online.status == VALID
    rejected = Ballot.objects.get(item=item, channel=Ballot.Channel.PAPER)
    assert rejected.status == Ballot.Status.REJECTED and rejected.choice == "no"
    assert rejected.status_reason  # the precedence log says why
    assert Ballot.objects.filter(item=item, status=VALID).count() == 1
    sums = selectors.choice_sums(item)
    assert (sums["yes"].count, sums["no"].count) == (1, 0)


def test_first_wins_refuses_an_online_vote_after_a_counted_paper_ballot(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    owner = w["owners"][4]
    paper(meeting, w, owner, "no")
    with refused("conflict"):
        services.vote_online(item=meeting.items.get(), actor=owner, choice="yes")
    assert list(Ballot.objects.values_list("channel", "status")) == [(Ballot.Channel.PAPER, VALID)]


def test_paper_wins_replaces_the_online_ballot(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    Meeting.objects.filter(pk=meeting.pk).update(precedence=Meeting.Precedence.PAPER_WINS)
    meeting.refresh_from_db()
    item = meeting.items.get()
    owner = w["owners"][4]
    [online] = services.vote_online(item=item, actor=owner, choice="yes")
    paper(meeting, w, owner, "no")

    online.refresh_from_db()
    assert online.status == Ballot.Status.SUPERSEDED and online.status_reason
    counted = Ballot.objects.get(item=item, status=VALID)
    assert (counted.channel, counted.choice) == (Ballot.Channel.PAPER, "no")
    sums = selectors.choice_sums(item)
    assert (sums["yes"].count, sums["no"].count) == (0, 1)
    cast = AuditEvent.objects.filter(action="ballot.cast", target_id=str(counted.pk)).get()
    assert cast.data["replaced"] == online.pk
    # The replaced owner cannot come back online.
    with refused("conflict"):
        services.vote_online(item=item, actor=owner, choice="yes")


# --- proxy ------------------------------------------------------------------------------------------


def mandate(name="委托书.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 signed mandate", content_type="application/pdf")


def test_a_proxy_vote_needs_an_uploaded_mandate(meeting_world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    elector = elector_of(meeting, w["owners"][7])
    kwargs = {"meeting": meeting, "actor": w["tellers"][0], "elector_id": elector.pk, "proxy_name": "李代理",
              "choices": sheet(meeting, "yes", "abstain")}
    with refused(field="mandate"):
        services.proxy_vote(**{**kwargs, "mandate": None})
    with refused(field="mandate"):
        services.proxy_vote(**{**kwargs, "mandate": mandate("委托书.exe")})
    with refused(field="proxy_name"):
        services.proxy_vote(**{**kwargs, "proxy_name": " ", "mandate": mandate()})
    with refused("forbidden"):
        services.proxy_vote(**{**kwargs, "actor": w["owners"][8], "mandate": mandate()})
    assert not Ballot.objects.exists()

    ballots = services.proxy_vote(**{**kwargs, "mandate": mandate()})
    assert [(b.channel, b.choice, b.status, b.proxy_name) for b in ballots] == [
        (Ballot.Channel.PROXY, "yes", VALID, "李代理"), (Ballot.Channel.PROXY, "abstain", VALID, "李代理"),
    ]
    for ballot in ballots:
        ballot.refresh_from_db()
        assert ballot.mandate and ballot.mandate.read() == b"%PDF-1.4 signed mandate"
    # A proxy vote for the same owner again is set aside under first_wins, not counted twice.
    again = services.proxy_vote(**{**kwargs, "mandate": mandate()})
    assert {b.status for b in again} == {Ballot.Status.REJECTED}
    assert Ballot.objects.filter(elector=elector, status=VALID).count() == 2


# --- receipts ---------------------------------------------------------------------------------------


def test_the_receipt_code_finds_the_ballot_in_its_meeting_only(meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    other = published_assembly(w)
    [ballot] = services.vote_online(item=meeting.items.get(), actor=w["owners"][0], choice="no")
    code = ballot.receipt_code
    spaced = f" {code[:5].lower()} {code[5:]} "
    assert services.receipt_check(meeting=meeting, code=code) == ballot
    assert services.receipt_check(meeting=meeting, code=spaced) == ballot
    assert services.receipt_check(meeting=other, code=code) is None
    assert services.receipt_check(meeting=meeting, code="") is None
    assert services.receipt_check(meeting=meeting, code="ABCDEFGHJK" if code != "ABCDEFGHJK" else "BBCDEFGHJK") is None


def test_receipt_codes_are_unique_across_ballots(meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6, 9))
    for owner in w["owners"]:
        for item in meeting.items.all():
            services.vote_online(item=item, actor=owner, choice="yes")
    codes = list(Ballot.objects.values_list("receipt_code", flat=True))
    assert len(codes) == 30 == len(set(codes))


def test_voting_window_boundaries(meeting_world):
    """Voting opens at vote_opens_at (included) and ends at vote_closes_at (excluded)."""
    w = meeting_world
    meeting = published_assembly(w, open_voting=False)
    assert not meeting.voting_is_open(meeting.vote_opens_at - timedelta(microseconds=1))
    assert meeting.voting_is_open(meeting.vote_opens_at)
    assert meeting.voting_is_open(meeting.vote_closes_at - timedelta(microseconds=1))
    assert not meeting.voting_is_open(meeting.vote_closes_at)

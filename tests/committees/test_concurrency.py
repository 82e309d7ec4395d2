"""Ballots cast at the same moment, each in its own thread with its own PostgreSQL connection.

However many arrive at once, one voter has one counted ballot per item; the others get a clear
conflict (409), never a server error; paper sheets are cast once however the tellers race.
"""

import threading

import pytest
from django.db import connection, connections

from committees import services
from committees.models import Ballot, Elector, PaperEntry
from core.errors import ApplicationError
from core.models import AuditEvent

from .. import factories
from ..conftest import require
from .conftest import published_assembly

pytestmark = pytest.mark.django_db(transaction=True)
VALID = Ballot.Status.VALID


@pytest.fixture
def pg():
    require(connection.vendor == "postgresql", "the concurrency tests need PostgreSQL (set DATABASE_URL)")


def free_connections() -> int:
    """Return how many more client connections the server takes now (other test runs share it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
        )
        return cursor.fetchone()[0]


def race(*calls, max_connections: int | None = None):
    """Run each call in its own thread (and connection), released together by a barrier.

    Return what each call returned or raised. `max_connections` caps how many threads hold a
    connection at once, for servers with fewer free connections than calls.
    """
    barrier = threading.Barrier(len(calls))
    slots = threading.BoundedSemaphore(max_connections or len(calls))
    outcomes: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            with slots:
                try:
                    outcomes[i] = call()
                finally:
                    connections.close_all()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return outcomes


def split(outcomes):
    """Return (results, application errors); any other exception (a server error) fails the test."""
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    unexpected = [e for e in errors if not isinstance(e, ApplicationError)]
    assert not unexpected, f"server errors: {unexpected[:3]!r}"
    return [o for o in outcomes if not isinstance(o, BaseException)], errors


def test_100_concurrent_ballots_by_one_voter_count_once(pg, meeting_world):
    w = meeting_world
    meeting = published_assembly(w)
    item = meeting.items.get()
    owner = w["owners"][3]
    # Every thread has its own connection; when the server cannot take 100 more at once (max_connections
    # is 100 here and other runs share it), at most that many are open together and the rest follow.
    cap = min(100, free_connections() - 10)
    assert cap >= 20, f"only {cap} free PostgreSQL connections"
    outcomes = race(
        *[(lambda c=choice: services.vote_online(item=item, actor=owner, choice=c)) for choice in ["yes", "no"] * 50],
        max_connections=cap,
    )
    wins, errors = split(outcomes)
    assert len(wins) == 1 and len(errors) == 99
    assert {e.code for e in errors} == {"conflict"}
    [[ballot]] = wins
    assert list(Ballot.objects.filter(item=item).values_list("pk", "status")) == [(ballot.pk, VALID)]
    assert AuditEvent.objects.filter(action="ballot.cast").count() == 1


def test_many_voters_at_once_are_all_counted(pg, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    voters = [*w["owners"], w["double_owner"], w["developer"]]
    calls = [(lambda u=user, i=item: services.vote_online(item=i, actor=u, choice="yes"))
             for user in voters for item in meeting.items.all()]
    wins, errors = split(race(*calls))
    assert errors == [] and len(wins) == 24
    for item in meeting.items.all():
        assert Ballot.objects.filter(item=item, status=VALID).count() == 12


def sheet(meeting, choice):
    return {str(item.pk): choice for item in meeting.items.all()}


def test_two_tellers_entering_the_same_sheet_at_once_cast_it_once(pg, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    first, second = w["tellers"]
    for owner in w["owners"][:6]:
        elector = Elector.objects.get(meeting=meeting, user=owner)
        outcomes = race(*[
            (lambda t=teller, e=elector: services.paper_entry_submit(
                meeting=meeting, actor=t, elector_id=e.pk, choices=sheet(meeting, "yes")))
            for teller in (first, second)
        ])
        wins, errors = split(outcomes)
        assert errors == []
        assert sorted(entry.status for entry in wins) == [PaperEntry.Status.MATCHED, PaperEntry.Status.WAITING]
        assert Ballot.objects.filter(elector=elector).count() == 2  # one per item
        assert Ballot.objects.filter(elector=elector, status=VALID).count() == 2


def test_two_second_tellers_racing_to_confirm_a_sheet_cast_it_once(pg, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))
    third = factories.UserFactory(real_name="计票员丙")
    services.tellers_set(meeting=meeting, actor=w["chair"], tellers=[*w["tellers"], third])
    first, second = w["tellers"]
    for owner in w["owners"][:6]:
        elector = Elector.objects.get(meeting=meeting, user=owner)
        services.paper_entry_submit(meeting=meeting, actor=first, elector_id=elector.pk, choices=sheet(meeting, "no"))
        outcomes = race(*[
            (lambda t=teller, e=elector: services.paper_entry_submit(
                meeting=meeting, actor=t, elector_id=e.pk, choices=sheet(meeting, "no")))
            for teller in (second, third)
        ])
        wins, errors = split(outcomes)
        assert [entry.status for entry in wins] == [PaperEntry.Status.MATCHED]
        assert [e.code for e in errors] == ["conflict"]
        ballots = Ballot.objects.filter(elector=elector)
        assert ballots.count() == 2 and set(ballots.values_list("status", "choice")) == {(VALID, "no")}


def test_a_paper_ballot_and_an_online_vote_at_once_leave_one_counted_ballot(pg, meeting_world):
    w = meeting_world
    meeting = published_assembly(w, matters=(4, 6))  # first_wins
    online_item = meeting.items.get(matter=4)
    first, second = w["tellers"]
    for owner in w["owners"]:
        elector = Elector.objects.get(meeting=meeting, user=owner)
        services.paper_entry_submit(meeting=meeting, actor=first, elector_id=elector.pk, choices=sheet(meeting, "no"))
        outcomes = race(
            lambda e=elector: services.paper_entry_submit(
                meeting=meeting, actor=second, elector_id=e.pk, choices=sheet(meeting, "no")),
            lambda o=owner: services.vote_online(item=online_item, actor=o, choice="yes"),
        )
        split(outcomes)
        paper_entry, online = outcomes
        assert isinstance(paper_entry, PaperEntry) and paper_entry.status == PaperEntry.Status.MATCHED
        for item in meeting.items.all():
            assert Ballot.objects.filter(item=item, elector=elector, status=VALID).count() == 1
        counted = Ballot.objects.get(item=online_item, elector=elector, status=VALID)
        if isinstance(online, ApplicationError):  # the paper ballot came first
            assert online.code == "conflict" and counted.channel == Ballot.Channel.PAPER
            assert not Ballot.objects.filter(item=online_item, elector=elector).exclude(pk=counted.pk).exists()
        else:  # the online vote came first: the paper ballot is kept, set aside with the reason
            assert counted.channel == Ballot.Channel.ONLINE
            set_aside = Ballot.objects.get(item=online_item, elector=elector, channel=Ballot.Channel.PAPER)
            assert set_aside.status == Ballot.Status.REJECTED and set_aside.status_reason

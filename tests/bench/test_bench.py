"""Smoke tests of the benchmark's own machinery (bench/): the tally baseline agrees with the portal's
tally, and the app under gunicorn answers the ceilings and takes a resident's case over HTTP."""

import pytest
from django.db import connection

from bench.http import Client, run_load
from bench.scenarios import Context
from bench.server import AppServer
from bench.views import CEILING_TABLE, ensure_ceiling_table
from bench.votes import build_assembly, hand_written_sums, portal_sums
from bench.web import Filer, ReadCeiling, WriteCeiling, filing_residents
from complaints.models import Complaint, TimelineEvent
from core.models import Notification
from governance import demo


def test_hand_written_tally_equals_the_portal_tally(db):
    demo.seed(scale="tiny")
    item = build_assembly(Context(scale="tiny", seed=1), 200)
    sums = hand_written_sums(item)
    assert sums == portal_sums(item, item.meeting)
    assert sums["total"][0] == 250
    assert sums["yes"][0] + sums["no"][0] + sums["abstain"][0] == 200  # superseded ballots are not counted


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_server_answers_the_ceilings_and_takes_a_case(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the app server shares the test database only on PostgreSQL")
    demo.seed(scale="tiny")
    ensure_ceiling_table()
    ctx = Context(scale="tiny", seed=1)
    (phone, compound_id, unit_id), = filing_residents(ctx, 1)
    monkeypatch.setenv("DATABASE_URL", _database_url())
    with AppServer(workers=1) as server:
        assert Client(server.base_url).get("/bench/ceiling/read/").text == '{"ok": 1}'
        reads = run_load([ReadCeiling(server.base_url) for _ in range(2)], 0.5)
        writes = run_load([WriteCeiling(server.base_url) for _ in range(2)], 0.5)
        filer = Filer(server.base_url, phone=phone, compound_id=compound_id, unit_id=unit_id)
        filer.setup()
        filer.step()

    assert reads.errors == writes.errors == 0 and reads.requests > 0 and writes.requests > 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {CEILING_TABLE}")
        assert cursor.fetchone()[0] >= writes.requests
    case = Complaint.objects.get(reporter__phone=phone)
    assert (case.compound_id, case.unit_id, case.status) == (compound_id, unit_id, "submitted")
    assert TimelineEvent.objects.filter(complaint=case, kind="filed").exists()
    assert Notification.objects.filter(key__startswith=f"case:{case.pk}:").exists()  # the community staff's

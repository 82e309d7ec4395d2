"""Tally scenario: an owners' assembly item with BENCH_VOTERS voters (default 20,000).

The assembly (八一新村, vote open, one majority item) gets an electorate of voters ÷ 0.8 owners with
areas of 45–160 m² (the snapshot's Elector rows, bulk-inserted; the per-unit rows are left out, the
tally does not read them), a valid ballot from each voter, and a set-aside (superseded) online
ballot from every twentieth voter, which the tally must skip.

- subject: `committees.selectors.item_outcome_dict`, what closing the vote stores and the result
  page shows (electorate sums, valid ballots by choice: SQL aggregates);
- baseline: one hand-written SQL aggregate computing the same sums.
Both return the electorate's and each choice's (owners, area); the harness checks they are equal.
"""

from __future__ import annotations

import os
import random
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenarios import Context, Pair

VOTERS_ENV = "BENCH_VOTERS"
DEFAULT_VOTERS = 20_000
TURNOUT = 0.8
SUPERSEDED_EVERY = 20
BATCH = 5000
HOME = "八一新村"
SUPERUSER = "13800000000"
CHOICES = ("yes", "no", "abstain")
CENT = Decimal("0.01")  # SQLite sums decimals as floats; the portal stores areas to the cent


def voters() -> int:
    return int(os.environ.get(VOTERS_ENV) or DEFAULT_VOTERS)


def build_assembly(ctx: Context, count: int):
    """Create the assembly, its electorate and ballots; return the agenda item."""
    from django.db import transaction
    from django.utils import timezone

    from committees.models import AgendaItem, Ballot, Elector, Meeting

    rng = random.Random(f"bench.votes:{ctx.seed}")
    convener = ctx.account(SUPERUSER)
    now = timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.create(
            compound=ctx.compound(HOME), kind=Meeting.Kind.ASSEMBLY, title=f"压测业主大会（{count}人投票）",
            convener=Meeting.Convener.COMMITTEE, created_by=convener, starts_at=now + timedelta(days=1),
            vote_opens_at=now - timedelta(days=2), vote_closes_at=now + timedelta(days=5),
            status=Meeting.Status.NOTICED, notice_published_at=now - timedelta(days=20),
        )
        item = AgendaItem.objects.create(
            meeting=meeting, position=1, title="续聘物业服务企业", proposer=AgendaItem.Proposer.COMMITTEE,
            proposed_by=convener, matter=4, rule=AgendaItem.Rule.MAJORITY,
        )
        electors = Elector.objects.bulk_create(
            [Elector(meeting=meeting, key=f"bench:{i}", label=f"业主{i}", units_label=f"{i // 240 + 1}栋{i % 240 + 101}",
                     area_m2=Decimal(rng.randrange(4500, 16000)) / 100, unit_count=1)
             for i in range(round(count / TURNOUT))],
            batch_size=BATCH,
        )
        ballots = []
        for i, elector in enumerate(rng.sample(electors, count)):
            if i % SUPERSEDED_EVERY == 0:
                ballots.append(Ballot(item=item, elector=elector, channel=Ballot.Channel.ONLINE, cast_by=convener,
                                      status=Ballot.Status.SUPERSEDED, choice=rng.choice(CHOICES),
                                      status_reason="replaced by a paper ballot", receipt_code=f"BX{i:010d}"))
            draw = rng.random()
            choice = "yes" if draw < 0.62 else "no" if draw < 0.9 else "abstain"
            ballots.append(Ballot(item=item, elector=elector, channel=Ballot.Channel.PAPER, cast_by=convener,
                                  choice=choice, receipt_code=f"BV{i:010d}"))
        Ballot.objects.bulk_create(ballots, batch_size=BATCH)
    return item


def hand_written_sums(item) -> dict[str, tuple[int, Decimal]]:
    """The electorate and each choice's (owners, area) in one SQL aggregate."""
    from django.db import connection

    from committees.models import Ballot, Elector

    sql = f"""
        SELECT COUNT(*), COALESCE(SUM(e.area_m2), 0),
               COUNT(b.id) FILTER (WHERE b.choice = 'yes'), COALESCE(SUM(e.area_m2) FILTER (WHERE b.choice = 'yes'), 0),
               COUNT(b.id) FILTER (WHERE b.choice = 'no'), COALESCE(SUM(e.area_m2) FILTER (WHERE b.choice = 'no'), 0),
               COUNT(b.id) FILTER (WHERE b.choice IN ('abstain', '')),
               COALESCE(SUM(e.area_m2) FILTER (WHERE b.choice IN ('abstain', '')), 0)
        FROM {Elector._meta.db_table} e
        LEFT JOIN {Ballot._meta.db_table} b ON b.elector_id = e.id AND b.item_id = %s AND b.status = 'valid'
        WHERE e.meeting_id = %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [item.pk, item.meeting_id])
        row = cursor.fetchone()
    pairs = [(int(row[i]), Decimal(str(row[i + 1])).quantize(CENT)) for i in range(0, 8, 2)]
    return dict(zip(("total", "yes", "no", "abstain"), pairs, strict=True))


def portal_sums(item, meeting) -> dict[str, tuple[int, Decimal]]:
    """The same sums as the portal's tally stores them."""
    from committees.selectors import item_outcome_dict

    data = item_outcome_dict(item, meeting=meeting)
    return {key: (int(data[key]["count"]), Decimal(data[key]["area"]).quantize(CENT)) for key in ("total", "yes", "no", "abstain")}


def prepare_tally(ctx: Context) -> Pair:
    from django.db import connection

    from .harness import refresh_statistics
    from .scenarios import Pair

    item = build_assembly(ctx, voters())
    refresh_statistics(connection)  # as autovacuum would have, long before anyone reads the tally
    meeting = item.meeting
    return Pair(baseline=lambda: hand_written_sums(item), subject=lambda: portal_sums(item, meeting))

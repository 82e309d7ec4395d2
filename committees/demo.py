"""Demo committees and meetings for the seeded district (called by `seed_demo`).

八一新村 gets an owners' committee chaired by the demo account 13800000010, and four meetings that
show every stage: a closed assembly with its published result, an assembly whose vote is open now
(王秀英, 13800000008, may vote), the closed building meeting on stair railings with its tasks and
contributions ledger, and a draft assembly. 融和园小区 has an open petition for an assembly.
Everything goes through committees.services, so the demo obeys the same rules as the portal;
dates are moved afterwards with UPDATEs, as if the meetings had happened.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from governance.demo import DEMO_PASSWORD, DEMO_PHONES, SHOWCASE_HOME, SHOWCASE_SECOND
from governance.models import Compound, Role, RoleAssignment
from residents.models import Ownership, User

from . import services
from .models import AgendaItem, Ballot, CommitteeMember, Elector, Meeting, OwnersCommittee

CHAIR_PHONE = "13800000010"
CHAIR_NAME = "张桂兰"
DEMO_ACCOUNT = (CHAIR_PHONE, f"业委会主任 {CHAIR_NAME}（八一新村）", "召集楼宇会和业主大会、计票、会议纪要和决议落实")


def _voters(compound: Compound) -> list[User]:
    """Return the compound's designated voters (verified, current), in a stable order."""
    ids = (
        Ownership.objects.current().verified().filter(unit__building__compound=compound, is_voter=True, is_developer=False)
        .order_by("user_id").values_list("user_id", flat=True).distinct()
    )
    return list(User.objects.filter(pk__in=list(ids)).order_by("pk"))


def _committee(compound: Compound, voters: list[User], rng: random.Random) -> tuple[User, list[User]]:
    chair = next(v for v in voters if v.phone not in DEMO_PHONES)  # a generated owner becomes the demo chair
    chair.phone, chair.real_name = CHAIR_PHONE, CHAIR_NAME
    chair.set_password(DEMO_PASSWORD)
    chair.save(update_fields=["phone", "real_name", "password"])
    today = timezone.localdate()
    committee = OwnersCommittee.objects.create(
        compound=compound, name=f"{compound.name}业主委员会", term_start=today - timedelta(days=400),
        term_end=today - timedelta(days=400) + timedelta(days=5 * 365), filed_at=today - timedelta(days=380),
    )
    members = [chair, *rng.sample([v for v in voters if v != chair], 6)]
    positions = ["chair", "vice_chair", "member", "member", "member", "member", "member"]
    CommitteeMember.objects.bulk_create(
        [CommitteeMember(committee=committee, user=u, position=p, start=committee.term_start)
         for u, p in zip(members, positions, strict=True)]
    )
    return chair, members


def _at(meeting: Meeting, **moves) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(**moves)
    meeting.refresh_from_db()


def _vote_share(
    meeting: Meeting, share: float, rng: random.Random, choices: dict[int, tuple[float, float]], *, skip_user: User | None = None
) -> None:
    """Let `share` of the electorate vote online; choices[item pk] = (P(yes), P(no)), the rest abstains."""
    electors = Elector.objects.filter(meeting=meeting, user__isnull=False).select_related("user").order_by("pk")
    electors = list(electors.exclude(user=skip_user) if skip_user else electors)
    items, voted = list(meeting.items.all()), set()
    for elector in rng.sample(electors, int(len(electors) * share)):
        if elector.user_id in voted:  # an owner of two households votes for both at once
            continue
        voted.add(elector.user_id)
        for item in items:
            if item.kind == AgendaItem.Kind.ELECTION:
                ids = list(item.candidates.values_list("pk", flat=True))
                services.vote_online(item=item, actor=elector.user, candidate_ids=rng.sample(ids, min(item.seats, len(ids))))
                continue
            p_yes, p_no = choices[item.pk]
            draw = rng.random()
            choice = "yes" if draw < p_yes else "no" if draw < p_yes + p_no else "abstain"
            services.vote_online(item=item, actor=elector.user, choice=choice)


def _assembly(compound: Compound, chair: User, title: str, *, opens_in: timedelta, closes_in: timedelta) -> Meeting:
    now = timezone.now()
    return services.meeting_create(
        actor=chair, compound=compound, kind=Meeting.Kind.ASSEMBLY, title=title, convener=Meeting.Convener.COMMITTEE,
        starts_at=now + opens_in + timedelta(days=1), place="八一新村党群服务站二楼", vote_opens_at=now + opens_in,
        vote_closes_at=now + closes_in, description="请各位业主按时参与表决。纸质表决票由业委会送达到户，可交回物业服务中心。",
    )


def seed_meetings(*, seed: int = 20261128, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Create the demo committees and meetings; return counts. Needs the seeded district."""
    say = progress or (lambda message: None)
    rng = random.Random(f"committees.demo:{seed}")
    home = Compound.objects.get(name=SHOWCASE_HOME)
    staff = RoleAssignment.objects.active().filter(role=Role.COMMUNITY_STAFF, community=home.community).first().user
    secretary = RoleAssignment.objects.active().filter(role=Role.PARTY_SECRETARY, compound=home).first().user
    with transaction.atomic():
        voters = _voters(home)
        chair, members = _committee(home, voters, rng)
        now = timezone.now()

        # 1. Closed assembly: the property company re-hired (matter 4), the lift renewal from the fund (matter 5).
        past = _assembly(home, chair, "2026年第一次业主大会（续聘物业、电梯更新）", opens_in=timedelta(days=16), closes_in=timedelta(days=30))
        rehire = services.item_add(meeting=past, actor=chair, title="续聘娄底市星城物业服务有限公司，合同三年", proposer="committee",
                                   matter=4, description="物业服务费标准不变，每月每平方米1.20元。")
        lift = services.item_add(meeting=past, actor=chair, title="使用专项维修资金更新2栋、3栋电梯", proposer="property_company",
                                 matter=5, description="预算48万元，从两栋楼的维修资金分摊列支。")
        services.party_opinion_set(item=lift, actor=secretary, text="党支部同意该议题，请业委会做好资金使用公示。")
        services.tellers_set(meeting=past, actor=chair, tellers=[chair, staff])
        services.meeting_publish_notice(meeting=past, actor=chair)
        _at(past, notice_published_at=now - timedelta(days=110), vote_opens_at=now - timedelta(days=90),
            vote_closes_at=now + timedelta(minutes=5), starts_at=now - timedelta(days=89))
        _vote_share(past, 0.74, rng, {rehire.pk: (0.78, 0.15), lift.pk: (0.62, 0.3)})
        _at(past, vote_closes_at=now - timedelta(days=80))
        services.meeting_close(meeting=past)
        _at(past, result_published_at=now - timedelta(days=80))
        services.minutes_save(meeting=past, actor=chair, publish=True, text=(
            "业主大会于投票期内以书面和网上方式表决。计票由业委会和社区工作人员共同监督，结果已在小区公告栏公示。"))
        say("closed assembly")

        # 2. Voting now: charging points (matter 8, three quarters) — 王秀英 can vote in the demo.
        current = _assembly(home, chair, "关于在地面停车场增设电动车充电桩的业主大会", opens_in=timedelta(days=16), closes_in=timedelta(days=23))
        charging = services.item_add(meeting=current, actor=chair, title="利用小区东侧共有场地增设电动车集中充电桩", proposer="resident",
                                     matter=8, description="拟建40个充电车位，收益归全体业主，按季度公示。")
        services.party_opinion_set(item=charging, actor=secretary, text="支持。建议消防部门同步审核，确保安全。")
        services.tellers_set(meeting=current, actor=chair, tellers=[chair, staff])
        services.meeting_publish_notice(meeting=current, actor=chair)
        _at(current, notice_published_at=now - timedelta(days=18), vote_opens_at=now - timedelta(days=2),
            vote_closes_at=now + timedelta(days=5), starts_at=now + timedelta(days=5))
        # 王秀英 (13800000008) is left to vote herself.
        _vote_share(current, 0.41, rng, {charging.pk: (0.7, 0.2)}, skip_user=User.objects.get(phone="13800000008"))
        say("open assembly")

        # 3. The 3栋 building meeting: stair railings, consensus, tasks and a ledger (W compound's story).
        building = home.buildings.order_by("name").first()
        railing_meeting = services.meeting_create(
            actor=chair, compound=home, kind=Meeting.Kind.BUILDING, building=building, title=f"{building.name}楼宇会：楼道加装扶手",
            convener=Meeting.Convener.PARTY_BRANCH, starts_at=now + timedelta(days=1), place=f"{building.name}一楼架空层",
            vote_opens_at=now + timedelta(minutes=1), vote_closes_at=now + timedelta(days=1),
        )
        railing = services.item_add(meeting=railing_meeting, actor=chair, title="各户自愿出资，楼道加装不锈钢扶手", proposer="resident",
                                    rule="household_majority", description="每户约200元，不足部分由党支部协调共建单位资助。")
        services.tellers_set(meeting=railing_meeting, actor=chair, tellers=[chair, staff])
        services.meeting_publish_notice(meeting=railing_meeting, actor=chair)
        _at(railing_meeting, vote_opens_at=now - timedelta(days=40), vote_closes_at=now + timedelta(minutes=5),
            notice_published_at=now - timedelta(days=45), starts_at=now - timedelta(days=40))
        _vote_share(railing_meeting, 0.8, rng, {railing.pk: (0.9, 0.05)})
        _at(railing_meeting, vote_closes_at=now - timedelta(days=39))
        services.meeting_close(meeting=railing_meeting)
        services.minutes_save(meeting=railing_meeting, actor=chair, publish=True, text=(
            "楼宇会由党支部召集，业委会、物业和居民代表参加。多数住户同意加装扶手：党支部协调资助，业委会收取和公示费用，"
            "物业负责安装和验收。"))
        due = timezone.localdate() + timedelta(days=20)
        tasks = [
            services.action_create(meeting=railing_meeting, actor=chair, item=railing, title="协调共建单位资助扶手材料",
                                   party="party_branch", assignee=secretary, due_date=due),
            services.action_create(meeting=railing_meeting, actor=chair, item=railing, title="收取各户出资并每周公示",
                                   party="committee", assignee=chair, due_date=due),
            services.action_create(meeting=railing_meeting, actor=chair, item=railing, title="采购并安装楼道扶手",
                                   party="property_company", due_date=due + timedelta(days=10)),
        ]
        services.action_complete(action=tasks[0], actor=secretary)
        households = Elector.objects.filter(meeting=railing_meeting).order_by("pk")[:24]
        for elector in households:
            pledged = Decimal("200.00")
            paid = pledged if rng.random() < 0.7 else Decimal("0.00")
            services.contribution_record(action=tasks[1], actor=chair, contributor=elector.units_label or elector.label,
                                         pledged=pledged, paid=paid)
        services.contribution_record(action=tasks[1], actor=chair, contributor="社区共建单位（资助）",
                                     pledged=Decimal("1500.00"), paid=Decimal("1500.00"))
        say("building meeting")

        # 4. A draft for the committee to finish and publish.
        draft = _assembly(home, chair, "修订《管理规约》的业主大会（草稿）", opens_in=timedelta(days=30), closes_in=timedelta(days=37))
        services.item_add(meeting=draft, actor=chair, title="修订管理规约第十二条（宠物管理）", proposer="committee", matter=2)

        # 5. 融和园小区: owners collect signatures for an assembly.
        second = Compound.objects.get(name=SHOWCASE_SECOND)
        second_voters = _voters(second)
        petition = services.petition_start(compound=second, actor=second_voters[0], title="要求召开业主大会，重新选聘物业公司",
                                           reason="电梯经常故障，物业整改不到位。")
        for voter in second_voters[1: max(2, len(second_voters) // 10)]:
            services.petition_sign(petition=petition, actor=voter)
    return {
        "committees": OwnersCommittee.objects.count(),
        "meetings": Meeting.objects.count(),
        "ballots": Ballot.objects.count(),
    }


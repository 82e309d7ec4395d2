"""The demo district of domain.md §4, generated behind `manage.py seed_demo`.

Same seed, same data: every choice comes from one `random.Random(seed)` and nothing depends on
database ids or on the clock, so seeding an empty database twice gives identical places, people
and areas (`checksum()` proves it). Rows are written with `bulk_create` in batches, a compound at
a time, so the district scale (~220,000 units) stays fast and small in memory; owners get one
shared unusable password (no hashing per owner). Only the demo accounts, departments and roles go
through the services, so their audit rows and django-guardian grants exist as in real use.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, JSONField, Model, Q, Sum
from django.db.models.functions import Coalesce

from core.audit import audit
from residents.models import Ownership, PartyMembership, Tenancy, User

from . import services
from .models import (
    Building,
    Community,
    Compound,
    District,
    Grid,
    PartyOrganisation,
    PropertyCompany,
    Role,
    ServiceContract,
    Street,
    Unit,
)

DEFAULT_SEED = 2024
DEMO_PASSWORD = "demo12345"
BATCH_SIZE = 2000
# Flush the per-compound buffers once this many units are waiting.
FLUSH_UNITS = 5000
TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Scale:
    streets: int
    communities: int
    compounds: int
    buildings: int
    units: int
    companies: int
    households_per_grid: int = 400


SCALES: dict[str, Scale] = {
    # For tests: one street, two communities, the three showcase compounds, ~70 units.
    "tiny": Scale(streets=1, communities=2, compounds=3, buildings=6, units=72, companies=2),
    "demo": Scale(streets=2, communities=8, compounds=40, buildings=320, units=12_000, companies=6),
    "district": Scale(streets=7, communities=60, compounds=600, buildings=4_800, units=220_000, companies=40),
}

DISTRICT_NAME = "娄星区"
STREET_NAMES = ["乐坪街道", "大科街道", "花山街道", "长青街道", "黄泥塘街道", "涟滨街道", "石井街道"]
# 八一新村 and 融和园小区 sit in two communities of 乐坪街道; 涟邵矿务局小区 in 大科街道 when it exists.
HOME_COMMUNITY = "新星社区"
SECOND_COMMUNITY = "春园社区"
SHOWCASE_HOME = "八一新村"
SHOWCASE_SECOND = "融和园小区"
SHOWCASE_THIRD = "涟邵矿务局小区"
SHOWCASE_BUILT = {SHOWCASE_HOME: 1988, SHOWCASE_SECOND: 2012, SHOWCASE_THIRD: 1984}
HOME_COMPANY = "娄底市星城物业服务有限公司"

COMMUNITY_STEMS = (
    "珠山 吉星 扶青 春华 百亩 金星 西阁 华达 曙光 丰源 花山 湘阳 东方 长青 大湾 茶园 育才 洪家 月塘 氐星 "
    "涟滨 石井 杉山 万宝 大埠 湘中 娄江 孙水 秋月 红日 民丰 建设 光明 幸福 团结 和平 友谊 胜利 前进 向阳 "
    "朝阳 东风 新华 人民 文化 振兴 锦绣 桃花 桂花 竹山 龙潭 凤凰 虎形 狮子 卧龙 双江 清水 白马 九龙 莲花 "
    "梅园 松林 柏林 枫林 星光 城南 城北 贤童 大科 乐坪"
).split()
COMPOUND_STEMS = (
    "幸福 金苑 翠园 锦绣 阳光 和平 东方 湘中 星城 紫薇 桃源 丽景 富康 嘉和 御景 金桥 碧水 凤凰 书香 怡景 "
    "盛世 佳兴 银海 丰泽 永安 康宁 瑞祥 金域 天元 滨江 江南 学府 文苑 新城 东城 南苑 北辰 春晖 荷塘 紫荆 "
    "玉兰 樱花 香樟 梧桐 银杏 青松 翠竹 明珠 中环 世纪 时代 名都 华苑 福源 安居 乐居 和谐 龙腾 丹桂 润园 "
    "泰和 鑫源 华盛 康乐 宏达 长安 顺发 金色 水岸 馨苑 城市 湘江 资江 孙水 珠江 月塘 书院 育英 栖霞"
).split()
WORK_UNITS = (
    "供销社 粮食局 电业局 人民医院 第一中学 第二中学 建工 水利局 交通局 邮电局 农机厂 纺织厂 "
    "百货公司 运输公司 税务局 林业局 氮肥厂 机械厂 财贸 卫生局"
).split()
OLD_SUFFIXES = ["小区", "小区", "新村"]
NEW_SUFFIXES = ["小区", "花园", "花园", "家园", "公寓", "雅苑", "名城", "豪庭", "华府"]
ROADS = (
    "乐坪大道 长青街 新星南路 湘阳街 氐星路 娄底大道 涟滨路 春园路 大汉路 月塘街 吉星路 花山路 "
    "贤童街 扶青路 育才路 振兴路 湘中大道 娄星北路 石井路 大科路"
).split()
COMPANY_STEMS = (
    "星城 湘中 娄江 华信 安居 长城 银都 恒泰 康居 宏基 锦程 嘉园 乐家 金盾 新天地 华美 天泰 绿城 "
    "万通 泰安 和美 金桥 润泽 中天 宜居 福满 鑫源 东湖 龙城 佳和 美家 诚信 惠民 悦家 梅山 资水 "
    "涟水 雪峰 紫金 众和 瑞丰 华远 信达 君安 永丰"
).split()
SURNAMES = (
    "刘 李 王 陈 张 罗 彭 曾 谭 周 肖 邓 唐 胡 黄 杨 贺 颜 邹 吴 赵 谢 朱 袁 龙 欧阳 梁 易 蒋 廖 "
    "徐 孙 马 何 郭 林 宋 许 邓 曹 田 董 潘 蔡 余 杜 叶 程 苏 魏 吕 丁 任 姚 卢 姜 钟 陆 汪 范 金 "
    "石 贾 夏 付 方 邱 尹 段 雷 侯 史 陶 黎 顾 毛 龚 邵 万 严 戴 孔 向 汤 文 伍 卜 左 聂"
).split()
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅林辉斌波宇浩凯健俊帆鑫鹏飞欣怡佳琪"
    "涵轩思远婷雪琳晨阳云海春燕金凤秋菊德福文武利清兵新亮慧珍莉翠萍淑宏文生荣成桃红湘娟友元胜"
)
PHONE_PREFIXES = (
    "130 131 132 133 134 135 136 137 139 150 151 152 155 157 158 159 173 177 180 181 182 183 "
    "185 186 187 188 189 191 199"
).split()  # 138 is left out: the demo accounts live there.

DEPARTMENTS = [
    ("城管局", "城管", "0738-8211001"),
    ("住建局", "住建", "0738-8211002"),
    ("市场监管局", "市监", "0738-8211003"),
    ("公安分局", "公安", "0738-8211004"),
    ("乐坪派出所", "派出所", "0738-8211005"),
    ("消防救援大队", "消防", "0738-8211006"),
    ("环卫处", "环卫", "0738-8211007"),
    ("自来水公司", "供水", "0738-8211008"),
    ("供电公司", "供电", "0738-8211009"),
    ("燃气公司", "燃气", "0738-8211010"),
    ("生态环境分局", "环保", "0738-8211011"),
    ("民政局", "民政", "0738-8211012"),
    ("应急管理局", "应急", "0738-8211013"),
]
DEMO_DEPARTMENT = "城管局"

# (phone, role label, what they see). The lead copies this table into README.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("13800000000", "系统管理员", "全部数据和后台管理"),
    ("13800000001", "区级工作人员（娄星区）", "全区所有街道、社区、小区和房屋"),
    ("13800000002", "街道工作人员（乐坪街道）", "乐坪街道的社区、网格、小区和房屋"),
    ("13800000003", f"社区工作人员（{HOME_COMMUNITY}）", f"{HOME_COMMUNITY}的小区（含八一新村）、业主和住户，可核验业主"),
    ("13800000004", "网格员", "八一新村所在网格的楼栋和住户"),
    ("13800000005", f"物业公司员工（{HOME_COMPANY}）", "本公司服务的小区（含八一新村）"),
    ("13800000006", "职能部门工作人员（城管局）", "派给城管局的事项"),
    ("13800000007", "小区党支部书记（八一新村）", "八一新村全貌，本支部党员"),
    ("13800000008", "居民 王秀英（八一新村业主，投票人）", "自己的房屋、报事和投票"),
    ("13800000009", "居民 李建国（融和园小区业主）", "自己的房屋、报事和投票"),
]


@dataclass(frozen=True)
class _Account:
    phone: str
    real_name: str
    role: str | None = None  # a Role value, "superuser" or None for residents
    party_member: bool = False


ACCOUNTS = [
    _Account("13800000000", "系统管理员", "superuser"),
    _Account("13800000001", "周建华", Role.DISTRICT_STAFF),
    _Account("13800000002", "刘志强", Role.STREET_STAFF),
    _Account("13800000003", "陈丽华", Role.COMMUNITY_STAFF),
    _Account("13800000004", "张伟", Role.GRID_WORKER),
    _Account("13800000005", "赵敏", Role.PROPERTY_STAFF),
    _Account("13800000006", "孙磊", Role.DEPARTMENT_STAFF),
    _Account("13800000007", "黄志明", Role.PARTY_SECRETARY, party_member=True),
    _Account("13800000008", "王秀英"),
    _Account("13800000009", "李建国"),
]
DEMO_PHONES = frozenset(a.phone for a in ACCOUNTS)
RESIDENT_ACCOUNTS = ("13800000007", "13800000008", "13800000009")  # accounts that own a unit

# Shares of the generated population (domain.md §4 and common practice in 娄底 compounds).
OLD_COMPOUND_SHARE = 0.45  # built before 2005: 6-storey walk-ups, lower fees, often no property company
BRANCH_SHARE = 0.7  # compounds with a party branch "before the model"
PROPERTY_BRANCH_SHARE = 0.3  # contracted compounds whose on-site team has a party branch
CO_OWNED_SHARE = 0.15
SECOND_UNIT_SHARE = 0.04  # an owner who already owns a unit in the compound buys another
CLAIMED_SHARE = 0.01  # ownership claimed in the portal, not yet verified
DEVELOPER_SHARE = 0.03  # unsold units in compounds built since 2015
TENANCY_SHARE = 0.06
PARTY_MEMBER_SHARE = 0.06


@dataclass
class BuildingPlan:
    building: Building
    entrances: int
    per_floor: int
    areas: list[int]  # cents of m², one per position on a floor

    @property
    def unit_count(self) -> int:
        return self.building.floors * self.entrances * self.per_floor


@dataclass
class CompoundPlan:
    compound: Compound
    buildings: list[BuildingPlan] = field(default_factory=list)
    company: PropertyCompany | None = None
    fee_cents: int = 0
    contract_start: date | None = None
    previous_company: PropertyCompany | None = None
    has_branch: bool = False
    has_property_branch: bool = False

    @property
    def old(self) -> bool:
        return self.compound.built_year < 2005

    @property
    def unit_count(self) -> int:
        return sum(b.unit_count for b in self.buildings)


@dataclass
class Places:
    district: District
    streets: list[Street]
    communities: list[Community]
    grids: list[Grid]
    compounds: list[CompoundPlan]
    companies: list[PropertyCompany]

    @property
    def buildings(self) -> list[BuildingPlan]:
        return [b for c in self.compounds for b in c.buildings]

    def summary(self) -> dict[str, int]:
        return {
            "streets": len(self.streets),
            "communities": len(self.communities),
            "grids": len(self.grids),
            "compounds": len(self.compounds),
            "buildings": len(self.buildings),
            "units": sum(c.unit_count for c in self.compounds),
            "companies": len(self.companies),
            "compound_branches": sum(c.has_branch for c in self.compounds),
        }


def _split(total: int, parts: int, rng: random.Random, spread: float = 0.5, minimum: int = 1) -> list[int]:
    """Split `total` into `parts` positive integers that vary around the mean and add up exactly."""
    weights = [rng.lognormvariate(0, spread) for _ in range(parts)]
    spare = total - minimum * parts
    raw = [spare * w / sum(weights) for w in weights]
    sizes = [int(r) for r in raw]
    by_remainder = sorted(range(parts), key=lambda i: raw[i] - sizes[i], reverse=True)
    for i in by_remainder[: spare - sum(sizes)]:
        sizes[i] += 1
    return [minimum + s for s in sizes]


def _compound_name(rng: random.Random, old: bool, taken: set[str]) -> str:
    for _ in range(50):
        if old and rng.random() < 0.3:
            name = f"{rng.choice(WORK_UNITS)}宿舍"
        else:
            name = rng.choice(COMPOUND_STEMS) + rng.choice(OLD_SUFFIXES if old else NEW_SUFFIXES)
        if name not in taken:
            return name
    # Every short name is taken: a later phase of an existing compound (二期, 三期, …).
    while True:
        base = rng.choice(COMPOUND_STEMS) + rng.choice(NEW_SUFFIXES)
        for phase in "二三四五六七八九":
            if f"{base}{phase}期" not in taken:
                return f"{base}{phase}期"


def _plan_building(rng: random.Random, compound: Compound, index: int, target: float, old: bool) -> BuildingPlan:
    if old:
        floors = rng.choice([5, 6, 6, 7])
        per_floor = 2
        entrances = max(1, round(target / (floors * per_floor)))
        areas = [rng.randint(6000, 9800) for _ in range(per_floor)]
    else:
        per_floor = 2 if target < 60 else 4
        entrances = 1
        floors = max(6, round(target / per_floor))
        while floors > 33:
            entrances += 1
            floors = max(6, round(target / (per_floor * entrances)))
        areas = [rng.randint(8500, 14000) for _ in range(per_floor)]
    building = Building(compound=compound, name=f"{index}栋", floors=floors)
    return BuildingPlan(building=building, entrances=entrances, per_floor=per_floor, areas=areas)


def plan_places(scale: Scale, rng: random.Random) -> Places:
    """Lay out the map in memory (unsaved instances): no query, so tests can check any scale."""
    district = District(name=DISTRICT_NAME, code="431302")
    streets = [Street(district=district, name=name) for name in STREET_NAMES[: scale.streets]]

    stems = [s for s in COMMUNITY_STEMS if s + "社区" not in (HOME_COMMUNITY, SECOND_COMMUNITY)]
    rng.shuffle(stems)
    per_street = _split(scale.communities, scale.streets, rng, spread=0.2, minimum=1)
    while per_street[0] < 2 <= scale.communities:  # the two home communities share the first street
        per_street[per_street.index(max(per_street))] -= 1
        per_street[0] += 1
    communities: list[Community] = []
    for street, n in zip(streets, per_street, strict=True):
        for i in range(n):
            if street is streets[0] and i == 0:
                name = HOME_COMMUNITY
            elif street is streets[0] and i == 1:
                name = SECOND_COMMUNITY
            else:
                name = stems.pop() + "社区"
            communities.append(Community(street=street, name=name))

    companies = [PropertyCompany(name=HOME_COMPANY, service_phone="0738-8312000", credit_code="91431302MA4L000000")]
    company_stems = [s for s in COMPANY_STEMS if s != "星城"]
    rng.shuffle(company_stems)
    for i in range(1, scale.companies):
        stem = company_stems[i % len(company_stems)] + ("" if i < len(company_stems) else str(i // len(company_stems) + 1))
        kind = rng.choice(["物业服务有限公司", "物业管理有限公司"])
        city = rng.choice(["娄底市", "湖南", "娄底"])
        companies.append(
            PropertyCompany(
                name=f"{city}{stem}{kind}",
                service_phone=f"0738-83{rng.randint(10000, 99999)}",
                credit_code=f"91431302MA4L{i:06d}",
            )
        )

    # Which community holds which compound: showcases first, the rest spread by size.
    showcase_at = {SHOWCASE_HOME: communities[0], SHOWCASE_SECOND: communities[1 % len(communities)]}
    third_home = next((c for c in communities if c.street is not streets[0]), communities[-1])
    showcase_at[SHOWCASE_THIRD] = third_home
    per_community = _split(scale.compounds, len(communities), rng, spread=0.4, minimum=1)
    for community in showcase_at.values():
        index = communities.index(community)
        per_community[index] -= 1
    # A community left negative by showcases borrows from the largest one.
    for i in range(len(per_community)):
        while per_community[i] < 0:
            per_community[per_community.index(max(per_community))] -= 1
            per_community[i] += 1

    taken = set(showcase_at)
    compounds: list[CompoundPlan] = []
    for community, n in zip(communities, per_community, strict=True):
        names = [name for name, at in showcase_at.items() if at is community]
        built = [SHOWCASE_BUILT[name] for name in names]
        for _ in range(n):
            old = rng.random() < OLD_COMPOUND_SHARE
            name = _compound_name(rng, old, taken)
            taken.add(name)
            names.append(name)
            built.append(rng.randint(1982, 2004) if old else rng.randint(2005, 2022))
        for name, year in zip(names, built, strict=True):
            address = f"{community.street.name}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
            compounds.append(CompoundPlan(Compound(community=community, name=name, address=address, built_year=year)))

    # Buildings and units: each compound gets a share of the buildings, each building a share of the units.
    per_compound = _split(scale.buildings, len(compounds), rng, spread=0.6, minimum=1)
    mean_units = scale.units / scale.buildings
    for plan, n in zip(compounds, per_compound, strict=True):
        for i in range(1, n + 1):
            target = mean_units * rng.uniform(0.6, 1.4)
            plan.buildings.append(_plan_building(rng, plan.compound, i, target, plan.old))

    # Grids of ~400 households, contiguous runs of buildings within each community.
    grids: list[Grid] = []
    for community in communities:
        plans = [b for c in compounds if c.compound.community is community for b in c.buildings]
        households = sum(b.unit_count for b in plans)
        n_grids = max(1, round(households / scale.households_per_grid))
        stem = community.name.removesuffix("社区")
        mine = [Grid(community=community, name=f"{stem}第{i}网格") for i in range(1, n_grids + 1)]
        grids.extend(mine)
        before = 0
        for b in plans:
            b.building.grid = mine[min(n_grids - 1, before * n_grids // max(households, 1))]
            before += b.unit_count

    # Property companies: every new compound, ~70% of old ones; 八一新村 by the home company.
    for plan in compounds:
        name = plan.compound.name
        if name in SHOWCASE_BUILT or not plan.old or rng.random() < 0.7:
            plan.company = companies[0] if name == SHOWCASE_HOME else rng.choice(companies)
            plan.fee_cents = rng.randint(80, 120) if plan.old else rng.randint(120, 250)
            plan.contract_start = date(rng.randint(2019, 2024), rng.randint(1, 12), 1)
            if rng.random() < 0.2:
                plan.previous_company = rng.choice(companies)
            plan.has_property_branch = name == SHOWCASE_HOME or rng.random() < PROPERTY_BRANCH_SHARE

    # Party branches: exactly round(70%) of compounds, the showcases always among them.
    with_branch = round(BRANCH_SHARE * len(compounds))
    showcases = [p for p in compounds if p.compound.name in SHOWCASE_BUILT]
    others = [p for p in compounds if p.compound.name not in SHOWCASE_BUILT]
    for plan in showcases[:with_branch] + rng.sample(others, max(0, with_branch - len(showcases))):
        plan.has_branch = True

    return Places(district, streets, communities, grids, compounds, companies)


class _People:
    """Makes people with names and unique phones, and buffers the rows of a few compounds."""

    def __init__(self, rng: random.Random, password: str, verifier: User) -> None:
        self.rng = rng
        self.password = password
        self.verifier = verifier
        self.used_phones = {a.phone for a in ACCOUNTS}
        weights = [1 / (i + 4) for i in range(len(SURNAMES))]
        self.cum_weights = [sum(weights[: i + 1]) for i in range(len(weights))]
        self.units: list[Unit] = []
        self.users: list[User] = []
        self.organisations: list[PartyOrganisation] = []
        self.ownerships: list[Ownership] = []
        self.tenancies: list[Tenancy] = []
        self.memberships: list[PartyMembership] = []
        self.counts = {"users": 0, "ownerships": 0, "tenancies": 0, "party_memberships": 0}

    def name(self) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, cum_weights=self.cum_weights)[0]
        given = rng.choice(GIVEN_CHARS) if rng.random() < 0.35 else rng.choice(GIVEN_CHARS) + rng.choice(GIVEN_CHARS)
        return surname + given

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.used_phones:
                self.used_phones.add(phone)
                return phone

    def person(self, *, party_member: bool = False) -> User:
        user = User(phone=self.phone(), real_name=self.name(), password=self.password, is_party_member=party_member)
        self.users.append(user)
        return user

    def moment(self, year_from: int) -> datetime:
        rng = self.rng
        return datetime(rng.randint(year_from, 2024), rng.randint(1, 12), rng.randint(1, 28), rng.randint(8, 17), tzinfo=TZ)

    def day(self, year_from: int) -> date:
        return date(self.rng.randint(year_from, 2024), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def own(self, unit: Unit, user: User, since: date, *, voter: bool = True, developer: bool = False,
            verified: bool = True) -> None:
        self.ownerships.append(
            Ownership(
                unit=unit, user=user, is_voter=voter, is_developer=developer, start=since,
                status=Ownership.Status.VERIFIED if verified else Ownership.Status.CLAIMED,
                verified_at=self.moment(max(since.year, 2023)) if verified else None,
                verified_by=self.verifier if verified else None,
                evidence=f"娄房权证字第{self.rng.randrange(10**7):07d}号" if not developer else "",
            )
        )

    def join(self, organisation: PartyOrganisation, members: list[User], *, secretary: User | None = None) -> None:
        Post = PartyMembership.Post
        posts = [Post.SECRETARY, Post.DEPUTY, Post.COMMITTEE, Post.COMMITTEE]
        if secretary is not None:
            members = [secretary, *members]
        for i, user in enumerate(members):
            user.is_party_member = True
            self.memberships.append(
                PartyMembership(
                    user=user, organisation=organisation,
                    post=posts[i] if i < len(posts) else PartyMembership.Post.MEMBER,
                    dual_registration=self.rng.random() < 0.2, start=self.day(2015),
                )
            )

    def pending_units(self) -> int:
        return len(self.units)

    def flush(self) -> None:
        """Write the buffered rows, parents before children (each insert fills in the ids)."""
        bulk_insert(Unit, self.units)
        bulk_insert(User, self.users)
        bulk_insert(PartyOrganisation, self.organisations)
        bulk_insert(Ownership, self.ownerships)
        bulk_insert(Tenancy, self.tenancies)
        bulk_insert(PartyMembership, self.memberships)
        self.counts["users"] += len(self.users)
        self.counts["ownerships"] += len(self.ownerships)
        self.counts["tenancies"] += len(self.tenancies)
        self.counts["party_memberships"] += len(self.memberships)
        for buffer in (self.units, self.users, self.organisations, self.ownerships, self.tenancies, self.memberships):
            buffer.clear()


def bulk_insert(model: type[Model], objs: list[Model]) -> None:
    """Insert unsaved instances and set their ids: COPY on PostgreSQL, bulk_create elsewhere.

    Django's bulk_create on PostgreSQL sends UNNEST arrays that psycopg builds in Python, which
    dominated the district seed; COPY with ids reserved from the table's sequence is ~3x faster.
    Ids are given in ascending order, so rows keep the order of `objs`. JSON columns are wrapped
    for psycopg. Used by complaints.demo too.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        return
    from psycopg.types.json import Jsonb  # only on PostgreSQL

    meta = model._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, pk in zip(objs, sorted(pk for (pk,) in cursor.fetchall()), strict=True):
            obj._prepare_related_fields_for_save(operation_name="bulk_insert")
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = connection.alias
        columns = ", ".join(quote(f.column) for f in fields)
        json_columns = {i for i, f in enumerate(fields) if isinstance(f, JSONField)}
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                row = [f.pre_save(obj, True) for f in fields]
                for i in json_columns:
                    row[i] = Jsonb(row[i])
                copy.write_row(row)


def _unit_areas(rng: random.Random, cents: int) -> dict[str, Decimal | None]:
    """Register area for most units; some only surveyed, some only the purchase contract."""
    def m2(value: int) -> Decimal:
        return Decimal(value).scaleb(-2)

    r = rng.random()
    if r < 0.85:
        return {
            "area_register": m2(cents),
            "area_survey": m2(max(6000, cents + rng.randint(-100, 100))) if rng.random() < 0.2 else None,
            "area_contract": m2(min(14000, cents + rng.randint(0, 600))) if rng.random() < 0.3 else None,
        }
    if r < 0.93:
        return {"area_register": None, "area_survey": m2(max(6000, cents + rng.randint(-150, 150))), "area_contract": None}
    return {"area_register": None, "area_survey": None, "area_contract": m2(min(14000, cents + rng.randint(0, 600)))}


def _populate_compound(people: _People, plan: CompoundPlan, developer: User, special: dict) -> None:
    """Units, owners, tenants and party members of one compound, into the buffers."""
    rng = people.rng
    compound = plan.compound
    year = compound.built_year
    developer_share = DEVELOPER_SHARE if year >= 2015 else 0.0
    owners: list[User] = []
    for b_index, bplan in enumerate(plan.buildings):
        index = 0
        for entrance in range(1, bplan.entrances + 1):
            for floor in range(1, bplan.building.floors + 1):
                for position in range(1, bplan.per_floor + 1):
                    unit = Unit(
                        building=bplan.building, entrance=f"{entrance}单元", number=f"{floor}{position:02d}",
                        floor=floor, **_unit_areas(rng, bplan.areas[position - 1]),
                    )
                    people.units.append(unit)
                    since = people.day(max(year, 2000))
                    account = special.get((compound.name, b_index, index))
                    index += 1
                    if account is not None:
                        people.own(unit, account["user"], since, voter=True)
                        owners.append(account["user"])
                        if account.get("spouse"):
                            people.own(unit, people.person(), since, voter=False)
                        continue
                    r = rng.random()
                    if r < developer_share:
                        people.own(unit, developer, date(year, 6, 1), developer=True)
                        continue
                    if owners and r < developer_share + SECOND_UNIT_SHARE:
                        people.own(unit, rng.choice(owners), since)
                        continue
                    owner = people.person(party_member=rng.random() < PARTY_MEMBER_SHARE)
                    owners.append(owner)
                    if r > 1 - CLAIMED_SHARE:
                        people.own(unit, owner, since, verified=False)
                        continue
                    if r < developer_share + SECOND_UNIT_SHARE + CO_OWNED_SHARE:
                        partner = people.person()
                        owner_votes = rng.random() < 0.5
                        people.own(unit, owner, since, voter=owner_votes)
                        people.own(unit, partner, since, voter=not owner_votes)
                    else:
                        people.own(unit, owner, since)
                    if rng.random() < TENANCY_SHARE:
                        people.tenancies.append(
                            Tenancy(unit=unit, user=people.person(), start=people.day(2020),
                                    verified_at=people.moment(2024), verified_by=people.verifier)
                        )

    if plan.has_branch:
        branch = PartyOrganisation(kind=PartyOrganisation.Kind.COMPOUND_BRANCH, name=f"{compound.name}党支部",
                                   compound=compound)
        people.organisations.append(branch)
        members = [u for u in owners if u.is_party_member and u.phone not in DEMO_PHONES]
        for u in owners:  # a branch needs at least three members
            if len(members) >= 3:
                break
            if u not in members and u.phone not in DEMO_PHONES:
                members.append(u)
        secretary = special.get((compound.name, "secretary"))
        people.join(branch, members, secretary=secretary["user"] if secretary else None)
    if plan.has_property_branch:
        assert plan.company is not None
        branch = PartyOrganisation(
            kind=PartyOrganisation.Kind.PROPERTY_BRANCH, name=f"{plan.company.name}{compound.name}项目党支部",
            compound=compound, property_company=plan.company,
        )
        people.organisations.append(branch)
        people.join(branch, [people.person(party_member=True) for _ in range(3)])


def seed(*, scale: str = "demo", seed: int = DEFAULT_SEED, progress: Callable[[str], None] | None = None) -> dict:
    """Create the demo district in one transaction and return counts. The database must hold no compound.

    Raises ValueError for an unknown scale or a database that already has compounds.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}")
    if Compound.objects.exists():
        raise ValueError("the database already holds compounds")
    say = progress or (lambda message: None)
    rng = random.Random(seed)
    with transaction.atomic():
        places = plan_places(SCALES[scale], rng)
        password_hash = make_password(DEMO_PASSWORD)
        accounts = {
            a.phone: User.objects.create(
                phone=a.phone, real_name=a.real_name, password=password_hash, is_party_member=a.party_member,
                is_staff=a.role == "superuser", is_superuser=a.role == "superuser",
            )
            for a in ACCOUNTS
        }
        root = accounts["13800000000"]
        _write_places(places)
        say(f"places: {places.summary()}")

        unusable = make_password(None)  # one shared unusable hash: owners log in only after claiming
        people = _People(rng, unusable, verifier=root)
        developer = User(phone=people.phone(), real_name="娄底湘中置业有限公司", password=unusable)
        developer.save()
        people.counts["users"] += 1
        special = {
            (SHOWCASE_HOME, 0, 2 * places.compounds[0].buildings[0].per_floor): {
                "user": accounts["13800000008"], "spouse": True},
            (SHOWCASE_HOME, 0, 2 * places.compounds[0].buildings[0].per_floor + 1): {"user": accounts["13800000007"]},
            (SHOWCASE_HOME, "secretary"): {"user": accounts["13800000007"]},
        }
        second = next(p for p in places.compounds if p.compound.name == SHOWCASE_SECOND)
        special[(SHOWCASE_SECOND, 0, 4 * second.buildings[0].per_floor)] = {"user": accounts["13800000009"]}
        for i, plan in enumerate(places.compounds, start=1):
            _populate_compound(people, plan, developer, special)
            if people.pending_units() >= FLUSH_UNITS:
                people.flush()
                say(f"compounds {i}/{len(places.compounds)}, units written: {Unit.objects.count()}")
        for community in places.communities:
            committee = PartyOrganisation(kind=PartyOrganisation.Kind.COMMUNITY_COMMITTEE,
                                          name=f"{community.name}党委", community=community)
            people.organisations.append(committee)
            people.join(committee, [people.person(party_member=True) for _ in range(5)])
        people.flush()
        placed = set(Ownership.objects.filter(user__phone__in=RESIDENT_ACCOUNTS).values_list("user__phone", flat=True))
        if placed != set(RESIDENT_ACCOUNTS):
            raise RuntimeError(f"demo residents without a home: {set(RESIDENT_ACCOUNTS) - placed}")
        # Flags set on already-written owners when they joined a branch.
        party_ids = PartyMembership.objects.values("user_id")
        User.objects.filter(pk__in=party_ids, is_party_member=False).update(is_party_member=True)

        departments = {
            name: services.department_create(district=places.district, name=name, short_name=short,
                                             duty_phone=phone, actor=root)
            for name, short, phone in DEPARTMENTS
        }
        home = places.compounds[0]
        assert home.compound.name == SHOWCASE_HOME
        scopes = {
            Role.DISTRICT_STAFF: places.district,
            Role.STREET_STAFF: places.streets[0],
            Role.COMMUNITY_STAFF: home.compound.community,
            Role.GRID_WORKER: home.buildings[0].building.grid,
            Role.PROPERTY_STAFF: home.company,
            Role.DEPARTMENT_STAFF: departments[DEMO_DEPARTMENT],
            Role.PARTY_SECRETARY: home.compound,
        }
        for account in ACCOUNTS:
            if account.role in scopes:
                services.role_assignment_create(
                    user=accounts[account.phone], role=account.role, scope=scopes[account.role], actor=root,
                    start=datetime(2024, 1, 1, tzinfo=TZ),
                )
        counts = {**places.summary(), **people.counts, "departments": len(departments)}
        counts["users"] += len(accounts)
        audit(actor=root, action="demo.seed", target=places.district, scale=scale, seed=seed, counts=counts)
    return counts


def _write_places(places: Places) -> None:
    places.district.save()
    bulk_insert(Street, places.streets)
    bulk_insert(Community, places.communities)
    bulk_insert(Grid, places.grids)
    bulk_insert(Compound, [p.compound for p in places.compounds])
    bulk_insert(Building, [b.building for b in places.buildings])
    bulk_insert(PropertyCompany, places.companies)
    contracts = []
    for plan in places.compounds:
        if plan.company is None:
            continue
        fee = Decimal(plan.fee_cents).scaleb(-2)
        if plan.previous_company is not None:
            contracts.append(ServiceContract(
                compound=plan.compound, company=plan.previous_company, fee_per_m2_month=fee,
                start=date(plan.contract_start.year - 4, plan.contract_start.month, 1), end=plan.contract_start,
            ))
        contracts.append(ServiceContract(compound=plan.compound, company=plan.company, start=plan.contract_start,
                                         fee_per_m2_month=fee))
    bulk_insert(ServiceContract, contracts)


def checksum() -> str:
    """Return a digest of the seeded data that ignores ids and clocks: equal digests, equal data."""
    digest = hashlib.sha256()
    area = Coalesce("buildings__units__area_register", "buildings__units__area_survey", "buildings__units__area_contract")
    compounds = (
        Compound.objects.values_list("community__street__name", "community__name", "name", "built_year")
        .annotate(units=Count("buildings__units"), area=Sum(area))
        .order_by("community__street__name", "community__name", "name")
    )
    for *names, units, total in compounds:
        total = Decimal(total or 0).quantize(Decimal("0.01"))
        digest.update(repr((*names, units, str(total))).encode())
    owners = Ownership.objects.order_by(
        "unit__building__compound__name", "unit__building__name", "unit__entrance", "unit__number", "user__phone"
    ).values_list(
        "unit__building__compound__name", "unit__building__name", "unit__entrance", "unit__number",
        "user__phone", "user__real_name", "is_voter", "status", "is_developer",
    )
    for row in owners.iterator(chunk_size=5000):
        digest.update(repr(row).encode())
    party = PartyMembership.objects.order_by("organisation__name", "user__phone").values_list(
        "organisation__name", "user__phone", "post"
    )
    for row in party.iterator(chunk_size=5000):
        digest.update(repr(row).encode())
    tenants = Tenancy.objects.order_by("unit__building__compound__name", "user__phone").values_list(
        "unit__building__compound__name", "user__phone"
    )
    for row in tenants.iterator(chunk_size=5000):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def voters_per_co_owned_unit() -> dict[int, int]:
    """Return {unit id: number of designated voters} for units with several current verified owners."""
    return dict(
        Ownership.objects.current().verified()
        .values_list("unit_id")
        .annotate(owners=Count("id"), voters=Count("id", filter=Q(is_voter=True)))
        .filter(owners__gt=1)
        .values_list("unit_id", "voters")
    )


__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "SCALES", "checksum", "plan_places", "seed"]

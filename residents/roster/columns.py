"""The roster's columns: Chinese headers, English aliases, and which are required."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header written in the template file
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("building", "楼栋", ("building", "楼栋号", "楼号"), required=True),
    Column("entrance", "单元", ("entrance", "单元号")),
    Column("number", "房号", ("number", "unit", "room", "房间号", "门牌号"), required=True),
    Column("floor", "楼层", ("floor",)),
    Column("area_register", "产权面积", ("area_register", "register area", "不动产登记面积")),
    Column("area_survey", "测绘面积", ("area_survey", "survey area", "surveyed area")),
    Column("area_contract", "合同面积", ("area_contract", "contract area")),
    Column("owner_name", "业主姓名", ("owner_name", "owner", "name", "姓名"), required=True),
    Column("owner_phone", "业主手机号", ("owner_phone", "phone", "mobile", "手机号", "手机号码", "联系电话"), required=True),
    Column("id_number", "身份证号", ("id_number", "id number", "身份证号码")),
    Column("is_voter", "投票人", ("is_voter", "voter", "是否投票人")),
)
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}
AREA_KEYS = ("area_register", "area_survey", "area_contract")
UNIT_FIELD_KEYS = ("floor", *AREA_KEYS)

_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


def normalise_header(text: str) -> str:
    """Return a header in a comparable form: no units in brackets, no spaces, no '*', lower case."""
    text = _BRACKETS.sub("", str(text or ""))
    return re.sub(r"[\s*_\-]+", "", text).lower()


HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.header, _column.key, *_column.aliases):
        HEADER_LOOKUP[normalise_header(_name)] = _column.key


TEMPLATE_ROWS = (
    ("1栋", "1单元", "101", "1", "89.50", "", "", "张三", "13800000001", "", "是"),
    ("1栋", "1单元", "101", "1", "89.50", "", "", "李四", "13800000002", "", "否"),
)

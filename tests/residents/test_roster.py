"""Owner roster import: validation by row and column, all-or-nothing apply, idempotence, pages, API."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.models import AuditEvent
from governance.models import Building, Role, Unit
from residents.models import Ownership, RosterImport, User
from residents.roster import roster_import_create
from residents.tasks import run_roster_import

from .. import factories

HEADER = ["楼栋", "单元", "房号", "楼层", "产权面积", "测绘面积", "合同面积", "业主姓名", "业主手机号", "身份证号", "投票人"]
BASE_ROWS = [
    ["东1栋", "1单元", "101", "1", "89.50", "", "", "张三", "13800000001", "", "是"],
    ["东1栋", "1单元", "101", "1", "89.50", "", "", "李四", "13800000002", "", "否"],
    ["东1栋", "1单元", "102", "1", "", "92.30", "", "王五", "13800000003", "430102199001011234", ""],
    ["东2栋", "", "201", "2", "", "", "120", "赵六", "13800000004", "", ""],
]


def zh(msgid: str, chinese: str, **params) -> str:
    """Return the Chinese text once the catalog has it (the lead compiles it), else the msgid."""
    with translation.override("zh-hans"):
        translated = gettext(msgid)
    text = chinese if translated != msgid else msgid
    return text % params if params else text


def theirs(msgid: str) -> str:
    """Return a message another module owns (the validators in residents.models) as the import shows it."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def csv_bytes(rows, header=HEADER, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        # Numbers as numbers, the way Excel stores typed-in values; ID numbers as text, as the template says.
        sheet.append([v if i == HEADER.index("身份证号") else _as_number(v) for i, v in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _as_number(value: str):
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value or None


def run_import(compound, actor, data: bytes, *, name="roster.csv", dry_run=False) -> RosterImport:
    upload = SimpleUploadedFile(name, data)
    roster_import = roster_import_create(compound=compound, upload=upload, dry_run=dry_run, actor=actor, language="zh-hans")
    run_roster_import(roster_import.pk)
    roster_import.refresh_from_db()
    return roster_import


def errors_of(roster_import) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in roster_import.errors]


def snapshot(compound) -> dict:
    units = Unit.objects.filter(building__compound=compound).order_by("pk")
    ownerships = Ownership.objects.filter(unit__building__compound=compound).order_by("pk")
    return {
        "buildings": list(Building.objects.filter(compound=compound).order_by("pk").values()),
        "units": list(units.values()),
        "ownerships": list(ownerships.values()),
        "users": list(User.objects.order_by("pk").values("pk", "phone", "real_name", "id_number", "password")),
    }


@pytest.fixture
def world(two_communities, make_staff):
    a = two_communities["a"]
    return {
        "compound": a["compound"],
        "staff": make_staff(Role.COMMUNITY_STAFF, a["community"]),
        "other_staff": make_staff(Role.COMMUNITY_STAFF, two_communities["b"]["community"]),
        "resident": a["owner"],
        "a": a,
    }


@pytest.mark.django_db
def test_valid_roster_creates_buildings_units_people_and_verified_ownerships(world):
    compound, staff = world["compound"], world["staff"]
    roster_import = run_import(compound, staff, csv_bytes(BASE_ROWS))

    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors
    assert roster_import.total_rows == roster_import.processed_rows == 4
    counts = roster_import.summary["counts"]
    assert counts == {
        "buildings_created": 2, "units_created": 3, "units_updated": 0, "people_created": 4, "people_updated": 0,
        "ownerships_created": 4, "ownerships_updated": 0, "ownerships_ended": 0,
    }
    unit = Unit.objects.get(building__compound=compound, building__name="东1栋", entrance="1单元", number="101")
    assert unit.area_register == Decimal("89.50") and unit.floor == 1
    owners = {o.user.real_name: o for o in unit.ownerships.select_related("user")}
    assert owners["张三"].is_voter and not owners["李四"].is_voter
    for ownership in owners.values():
        assert ownership.status == Ownership.Status.VERIFIED
        assert ownership.verified_by == staff and ownership.verified_at is not None
        assert not ownership.user.has_usable_password()
    wang = User.objects.get(phone="13800000003")
    assert wang.id_number == "430102199001011234"
    assert Ownership.objects.get(user=wang).is_voter  # a single owner votes by default
    no_entrance = Unit.objects.get(building__compound=compound, building__name="东2栋", number="201")
    assert no_entrance.entrance == "" and no_entrance.area_contract == Decimal("120.00")
    event = AuditEvent.objects.get(action="roster.import", target_id=str(roster_import.pk))
    assert event.actor == staff and event.data["summary"]["counts"]["units_created"] == 3


@pytest.mark.django_db
def test_bad_rows_are_reported_by_row_and_column_in_chinese(world):
    compound, staff = world["compound"], world["staff"]
    rows = [
        ["东1栋", "1单元", "101", "1", "89.50", "", "", "张三", "1380000000", "", ""],  # row 2: phone
        ["东1栋", "1单元", "102", "一楼", "89.50", "", "", "李四", "13800000002", "43010219900101", ""],  # row 3
        ["东1栋", "1单元", "103", "1", "89.505", "-3", "", "王五", "13800000003", "", ""],  # row 4: areas
        ["东1栋", "1单元", "104", "1", "", "", "", "", "13800000004", "", "也许"],  # row 5
    ]
    before = snapshot(compound)
    roster_import = run_import(compound, staff, csv_bytes(rows))

    assert roster_import.status == RosterImport.Status.FAILED
    assert errors_of(roster_import) == [
        (2, "业主手机号", theirs("Enter an 11-digit mainland mobile number, e.g. 13812345678.")),
        (3, "身份证号", theirs("Enter an 18-character resident ID number.")),
        (3, "楼层", zh("The floor must be a whole number, e.g. 3.", "楼层要填整数，例如 3")),
        (4, "产权面积", zh("The area may have at most 2 decimal places.", "面积最多保留两位小数")),
        (4, "测绘面积", zh("Enter the area as a number greater than 0, e.g. 89.50.", "面积要填大于 0 的数字，例如 89.50")),
        (5, "业主姓名", zh("This cell must not be empty.", "这一格不能为空")),
        (5, "投票人", zh("Write 是 or 否.", "请填“是”或“否”")),
        (5, "产权面积", zh("Fill in at least one area: 产权面积, 测绘面积 or 合同面积.", "产权面积、测绘面积、合同面积至少填一项")),
    ]
    assert roster_import.summary == {"error_count": 8}
    assert snapshot(compound) == before


@pytest.mark.django_db
def test_a_missing_column_is_named(world):
    header = [h for h in HEADER if h != "业主手机号"]
    rows = [[c for i, c in enumerate(BASE_ROWS[0]) if HEADER[i] != "业主手机号"]]
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(rows, header=header))
    assert errors_of(roster_import) == [(1, "业主手机号", zh("This column is missing.", "缺少这一列"))]


@pytest.mark.django_db
def test_english_headers_and_units_in_brackets_are_accepted(world):
    header = ["building", "entrance", "number", "floor", "产权面积(㎡)", "area_survey", "area_contract",
              "owner_name", "owner_phone", "id_number", "is_voter"]
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(BASE_ROWS, header=header))
    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors
    assert roster_import.summary["counts"]["ownerships_created"] == 4


@pytest.mark.django_db
def test_duplicate_rows_and_one_phone_with_two_names_are_errors(world):
    rows = [
        *BASE_ROWS,
        ["东1栋", "1单元", "101", "1", "89.50", "", "", "张三", "13800000001", "", "否"],  # row 6: same unit + phone
        ["东2栋", "", "202", "2", "", "", "88", "张叁", "13800000001", "", ""],  # row 7: same phone, other name
        ["东2栋", "", "201", "3", "", "", "120", "钱七", "13800000005", "", "否"],  # row 8: floor differs from row 5
    ]
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(rows))
    assert errors_of(roster_import) == [
        (6, "业主手机号", zh("The same unit and mobile number are already on row %(row)d.", "与第 %(row)d 行重复（同一房屋、同一手机号）", row=2)),
        (7, "业主姓名", zh("This mobile number has the name %(name)s on row %(row)d.", "这个手机号在第 %(row)d 行的姓名是 %(name)s", name="张三", row=2)),
        (8, "楼层", zh("Differs from row %(row)d for the same unit.", "同一房屋与第 %(row)d 行填的不一样", row=5)),
    ]


@pytest.mark.django_db
def test_co_owners_need_exactly_one_voter(world):
    rows = [
        ["东1栋", "1单元", "101", "1", "89.50", "", "", "张三", "13800000001", "", "是"],
        ["东1栋", "1单元", "101", "1", "89.50", "", "", "李四", "13800000002", "", "是"],
        ["东1栋", "1单元", "102", "1", "89.50", "", "", "王五", "13800000003", "", ""],
        ["东1栋", "1单元", "102", "1", "89.50", "", "", "赵六", "13800000004", "", "否"],
        ["东1栋", "1单元", "103", "1", "89.50", "", "", "钱七", "13800000005", "", "否"],
    ]
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(rows))
    assert errors_of(roster_import) == [
        (3, "投票人", zh("Co-owners may name only one voter; row %(row)d is already the voter.", "共有业主只能有一名投票人，第 %(row)d 行已经是投票人", row=2)),
        (4, "投票人", zh("Co-owners must name one voter: write 是 on exactly one row.", "共有业主要指定一名投票人：只在其中一行填“是”")),
        (6, "投票人", zh("The only owner of a unit is its voter: write 是 or leave it empty.", "房屋只有一位业主时，他就是投票人：请填“是”或不填")),
    ]


@pytest.mark.django_db
def test_a_phone_of_a_registered_person_with_another_name_is_an_error(world):
    factories.UserFactory(phone="13800000004", real_name="赵小六")
    factories.UserFactory(phone="13900000009", real_name="孙八", id_number="430102199001011234")
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(BASE_ROWS))
    assert errors_of(roster_import) == [
        (4, "身份证号", zh("This ID number is registered to another person.", "这个身份证号已登记在别人名下")),
        (5, "业主姓名", zh("This mobile number is already registered under a different name.", "这个手机号已用别的姓名注册")),
    ]


@pytest.mark.django_db
def test_a_bad_co_owner_row_is_reported_once(world):
    rows = [BASE_ROWS[0], ["东1栋", "1单元", "101", "1", "89.50", "", "", "李四", "1380000000X", "", "否"]]
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(rows))
    assert [(r, c) for r, c, _m in errors_of(roster_import)] == [(3, "业主手机号")]


@pytest.mark.django_db
def test_a_roster_created_account_follows_a_corrected_name(world):
    compound, staff = world["compound"], world["staff"]
    run_import(compound, staff, csv_bytes(BASE_ROWS))
    rows = [list(r) for r in BASE_ROWS]
    rows[3][7] = "赵陆"  # a typo fixed; nobody has logged in to this account yet
    roster_import = run_import(compound, staff, csv_bytes(rows))
    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors
    assert roster_import.summary["counts"]["people_updated"] == 1 == roster_import.summary["total_changes"]
    assert User.objects.get(phone="13800000004").real_name == "赵陆"


@pytest.mark.django_db
def test_one_bad_row_changes_nothing(world):
    compound, staff = world["compound"], world["staff"]
    assert run_import(compound, staff, csv_bytes(BASE_ROWS)).status == RosterImport.Status.APPLIED
    before = snapshot(compound)
    changed = [list(r) for r in BASE_ROWS]
    changed[0][4] = changed[1][4] = "95.00"
    changed.append(["东3栋", "1单元", "301", "3", "70", "", "", "孙八", "12345", "", ""])
    roster_import = run_import(compound, staff, csv_bytes(changed))
    assert roster_import.status == RosterImport.Status.FAILED
    assert [(r, c) for r, c, _m in errors_of(roster_import)] == [(6, "业主手机号")]
    assert snapshot(compound) == before
    assert not AuditEvent.objects.filter(action="roster.import", target_id=str(roster_import.pk)).exists()


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(world):
    compound, staff = world["compound"], world["staff"]
    data = csv_bytes(BASE_ROWS)
    run_import(compound, staff, data)
    before = snapshot(compound)
    second = run_import(compound, staff, data, name="again.csv")
    assert second.status == RosterImport.Status.APPLIED
    assert second.summary["total_changes"] == 0 and second.summary["changes"] == []
    assert set(second.summary["counts"].values()) == {0}
    assert snapshot(compound) == before


@pytest.mark.django_db
def test_a_changed_file_updates_and_reports_the_difference(world):
    compound, staff = world["compound"], world["staff"]
    run_import(compound, staff, csv_bytes(BASE_ROWS))
    rows = [
        # 101: 张三 leaves, 李四 becomes the voter, 周九 joins; the area is corrected.
        ["东1栋", "1单元", "101", "1", "90.00", "", "", "李四", "13800000002", "", "是"],
        ["东1栋", "1单元", "101", "1", "90.00", "", "", "周九", "13800000009", "", "否"],
        BASE_ROWS[2],
        BASE_ROWS[3],
    ]
    roster_import = run_import(compound, staff, csv_bytes(rows))
    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors
    summary = roster_import.summary
    assert summary["counts"] == {
        "buildings_created": 0, "units_created": 0, "units_updated": 1, "people_created": 1, "people_updated": 0,
        "ownerships_created": 1, "ownerships_updated": 1, "ownerships_ended": 1,
    }
    assert summary["total_changes"] == 5
    kinds = sorted((c["kind"], c["label"]) for c in summary["changes"])
    assert kinds == [("created", "东1栋 1单元101"), ("ended", "东1栋 1单元101"), ("updated", "东1栋 1单元101"),
                     ("updated", "东1栋 1单元101")]
    ended = next(c for c in summary["changes"] if c["kind"] == "ended")
    assert "张三" in ended["detail"] and "138****0001" in ended["detail"]
    area_change = next(c for c in summary["changes"] if "89.50" in c["detail"])
    assert "90.00" in area_change["detail"]

    unit = Unit.objects.get(building__compound=compound, building__name="东1栋", number="101")
    assert unit.area_register == Decimal("90.00")
    zhang = Ownership.objects.get(unit=unit, user__phone="13800000001")
    assert zhang.end == timezone.localdate()
    current = {o.user.phone: o.is_voter for o in Ownership.objects.filter(unit=unit, end__isnull=True).select_related("user")}
    assert current == {"13800000002": True, "13800000009": False}
    # And importing the new file again is a no-op.
    assert run_import(compound, staff, csv_bytes(rows)).summary["total_changes"] == 0


@pytest.mark.django_db
def test_a_pending_claim_in_the_file_becomes_verified(world):
    compound, staff = world["compound"], world["staff"]
    unit = world["a"]["units"][1]
    claim = factories.OwnershipFactory(unit=unit, status=Ownership.Status.CLAIMED, verified_at=None)
    row = [unit.building.name, unit.entrance, unit.number, "", str(unit.area_register), "", "", claim.user.real_name,
           claim.user.phone, "", ""]
    roster_import = run_import(compound, staff, csv_bytes([row]))
    assert roster_import.summary["counts"]["ownerships_updated"] == 1
    claim.refresh_from_db()
    assert claim.status == Ownership.Status.VERIFIED and claim.verified_by == staff and claim.is_voter
    assert Ownership.objects.filter(unit=unit).count() == 1


@pytest.mark.django_db
def test_xlsx_imports_like_csv(world):
    compound, staff = world["compound"], world["staff"]
    roster_import = run_import(compound, staff, xlsx_bytes(BASE_ROWS), name="名册.xlsx")
    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors
    assert roster_import.summary["counts"]["ownerships_created"] == 4
    assert User.objects.filter(phone="13800000004").exists()  # a number cell, not "13800000004.0"
    assert Unit.objects.get(building__name="东1栋", number="102").area_survey == Decimal("92.30")
    # The same roster as CSV changes nothing: both formats read the same.
    again = run_import(compound, staff, csv_bytes(BASE_ROWS))
    assert again.summary.get("total_changes") == 0, again.errors


@pytest.mark.django_db
def test_xlsx_errors_use_spreadsheet_row_numbers(world):
    rows = [BASE_ROWS[0], BASE_ROWS[1], ["东1栋", "1单元", "102", "1", "89.5", "", "", "王五", "23800000003", "", ""]]
    roster_import = run_import(world["compound"], world["staff"], xlsx_bytes(rows), name="名册.xlsx")
    assert [(r, c) for r, c, _m in errors_of(roster_import)] == [(4, "业主手机号")]


@pytest.mark.django_db
def test_an_id_number_excel_rounded_is_reported(world):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(["东1栋", "1单元", "101", 1, 89.5, None, None, "张三", 13800000001, 430102199001011234, "是"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    roster_import = run_import(world["compound"], world["staff"], buffer.getvalue(), name="名册.xlsx")
    assert errors_of(roster_import) == [(2, "身份证号", zh(
        "Excel has rounded this ID number. Set the column to text and type the number again.",
        "Excel 把身份证号变成了约数，请把这一列设为“文本”后重新输入"))]


@pytest.mark.django_db
def test_gb18030_csv_from_old_excel_is_read(world):
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(BASE_ROWS, encoding="gb18030"))
    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors
    assert User.objects.get(phone="13800000001").real_name == "张三"


@pytest.mark.django_db
def test_dry_run_previews_without_saving_and_can_then_be_imported(client, world):
    compound, staff = world["compound"], world["staff"]
    before = snapshot(compound)
    preview = run_import(compound, staff, csv_bytes(BASE_ROWS), dry_run=True)
    assert preview.status == RosterImport.Status.PREVIEWED
    assert preview.summary["dry_run"] and preview.summary["counts"]["ownerships_created"] == 4
    assert snapshot(compound) == before

    client.force_login(staff)
    with mock.patch("residents.tasks.run_roster_import.delay") as delay:
        with translation.override("zh-hans"):
            response = client.post(reverse("roster-import-apply", args=[preview.pk]))
    new_import = RosterImport.objects.exclude(pk=preview.pk).get()
    assert response.status_code == 302 and response.url == reverse("roster-import", args=[new_import.pk])
    delay.assert_not_called()  # only after commit; the test transaction never commits
    assert not new_import.dry_run
    run_roster_import(new_import.pk)
    new_import.refresh_from_db()
    assert new_import.status == RosterImport.Status.APPLIED
    assert Ownership.objects.filter(unit__building__compound=compound, verified_by=staff).count() == 4


@pytest.mark.django_db
def test_upload_page_creates_the_import_and_queues_the_task_after_commit(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["staff"])
    url = reverse("roster-compound", args=[world["compound"].pk])
    assert client.get(url).status_code == 200
    with mock.patch("residents.tasks.run_roster_import.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile("名册.csv", csv_bytes(BASE_ROWS)), "dry_run": ""})
    roster_import = RosterImport.objects.get()
    assert response.status_code == 302 and response.url == reverse("roster-import", args=[roster_import.pk])
    delay.assert_called_once_with(roster_import.pk)
    assert roster_import.status == RosterImport.Status.PENDING and not roster_import.dry_run
    assert roster_import.original_name == "名册.csv" and roster_import.uploaded_by == world["staff"]
    assert roster_import.file.name.startswith("rosters/") and "名册" not in roster_import.file.name


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message_id", "chinese"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not an Excel (.xlsx) or CSV file.", "这个文件不是 Excel（.xlsx）或 CSV 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
         "This is an old Excel (.xls) file. Please save it as .xlsx or CSV and upload it again.",
         "这是旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后重新上传"),
        (b"PK\x03\x04 not really a zip", "This file is not an Excel (.xlsx) or CSV file.", "这个文件不是 Excel（.xlsx）或 CSV 文件"),
    ],
)
def test_a_wrong_file_type_gets_a_chinese_form_error(client, world, content, message_id, chinese):
    client.force_login(world["staff"])
    with translation.override("zh-hans"):
        response = client.post(
            reverse("roster-compound", args=[world["compound"].pk]),
            {"file": SimpleUploadedFile("名册.xlsx", content)},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 200
    assert zh(message_id, chinese) in response.content.decode()
    assert not RosterImport.objects.exists()


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(client, world, settings):
    settings.ROSTER_MAX_UPLOAD_BYTES = 100
    client.force_login(world["staff"])
    response = client.post(
        reverse("roster-compound", args=[world["compound"].pk]),
        {"file": SimpleUploadedFile("名册.csv", csv_bytes(BASE_ROWS))},
    )
    assert response.status_code == 200
    assert not RosterImport.objects.exists()
    assert "invalid-feedback" in response.content.decode()


@pytest.mark.django_db
def test_only_staff_who_manage_the_compound_may_import(client, world, role_users):
    compound, staff = world["compound"], world["staff"]
    roster_import = run_import(compound, staff, csv_bytes(BASE_ROWS))
    urls = [
        reverse("roster-compound", args=[compound.pk]),
        reverse("roster-import", args=[roster_import.pk]),
        reverse("roster-import-progress", args=[roster_import.pk]),
    ]
    allowed = [staff, role_users[Role.STREET_STAFF], role_users[Role.DISTRICT_STAFF]]
    refused = [world["other_staff"], world["resident"], role_users[Role.GRID_WORKER],
               role_users[Role.PROPERTY_STAFF], role_users[Role.PARTY_SECRETARY]]
    for user in allowed + refused:
        client.force_login(user)
        expected = 200 if user in allowed else 404
        assert [client.get(url).status_code for url in urls] == [expected] * 3, user
    client.force_login(world["other_staff"])
    assert client.post(reverse("roster-import-apply", args=[roster_import.pk])).status_code == 404
    response = client.post(urls[0], {"file": SimpleUploadedFile("名册.csv", csv_bytes(BASE_ROWS))})
    assert response.status_code == 404 and RosterImport.objects.count() == 1


@pytest.mark.django_db
def test_progress_partial_polls_every_second_until_the_import_finishes(client, world):
    staff, compound = world["staff"], world["compound"]
    roster_import = RosterImport.objects.create(
        compound=compound, uploaded_by=staff, file="rosters/x.csv", original_name="x.csv",
        status=RosterImport.Status.VALIDATING, total_rows=2000, processed_rows=500,
    )
    client.force_login(staff)
    url = reverse("roster-import-progress", args=[roster_import.pk])
    body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}"' in body and 'hx-trigger="every 1s"' in body
    assert 'aria-valuenow="25"' in body and "width: 25%" in body
    page = client.get(reverse("roster-import", args=[roster_import.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<html" in page and "<html" not in body

    roster_import.status = RosterImport.Status.FAILED
    roster_import.errors = [{"row": 7, "column": "业主手机号", "message": "请输入11位手机号"}]
    roster_import.save()
    body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in body
    assert "<td>7</td><td>业主手机号</td><td>请输入11位手机号</td>" in body


@pytest.mark.django_db
def test_result_page_shows_the_counts_and_changes(client, world):
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(BASE_ROWS))
    client.force_login(world["staff"])
    with translation.override("zh-hans"):
        body = client.get(reverse("roster-import", args=[roster_import.pk])).content.decode()
    assert 'id="roster-counts"' in body and 'id="roster-changes"' in body
    assert "东1栋 1单元101" in body and "138****0001" in body and "13800000001" not in body


@pytest.mark.django_db
def test_running_the_task_twice_does_nothing_the_second_time(world):
    roster_import = run_import(world["compound"], world["staff"], csv_bytes(BASE_ROWS))
    assert run_roster_import(roster_import.pk) == "skipped"
    assert run_roster_import(999999) == "skipped"
    assert AuditEvent.objects.filter(action="roster.import").count() == 1


@pytest.mark.django_db
def test_template_file_has_the_headers_and_imports_cleanly(client, world):
    client.force_login(world["staff"])
    response = client.get(reverse("roster-template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    content = response.content
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0] == HEADER and len(lines) == 3
    roster_import = run_import(world["compound"], world["staff"], content)
    assert roster_import.status == RosterImport.Status.APPLIED, roster_import.errors


@pytest.mark.django_db
def test_api_upload_answers_202_then_the_import_can_be_polled(client, world, django_capture_on_commit_callbacks):
    compound, staff = world["compound"], world["staff"]
    client.force_login(staff)
    url = reverse("api:roster-import-list")
    with mock.patch("residents.tasks.run_roster_import.delay") as delay, django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"compound": compound.pk, "file": SimpleUploadedFile("r.csv", csv_bytes(BASE_ROWS)),
                                     "dry_run": "false"})
    assert response.status_code == 202, response.content
    import_id = response.json()["id"]
    delay.assert_called_once_with(import_id)
    detail = reverse("api:roster-import-detail", args=[import_id])
    assert client.get(detail).json()["status"] == "pending"
    run_roster_import(import_id)
    body = client.get(detail).json()
    assert body["status"] == "applied" and body["progress"] == 100 and body["errors"] == []
    assert body["summary"]["counts"]["ownerships_created"] == 4

    client.force_login(world["other_staff"])
    assert client.get(detail).status_code == 404
    response = client.post(url, {"compound": compound.pk, "file": SimpleUploadedFile("r.csv", csv_bytes(BASE_ROWS))})
    assert response.status_code == 404
    client.force_login(world["resident"])
    assert client.get(detail).status_code == 404


@pytest.mark.django_db
def test_api_refuses_a_wrong_file_with_the_error_shape(client, world):
    client.force_login(world["staff"])
    response = client.post(reverse("api:roster-import-list"),
                           {"compound": world["compound"].pk, "file": SimpleUploadedFile("r.csv", b"\x89PNG\x00\x00")})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == ["file"]
    assert not RosterImport.objects.exists()


@pytest.mark.django_db
def test_api_reports_row_errors(client, world):
    client.force_login(world["staff"])
    bad = [["东1栋", "1单元", "101", "1", "89.50", "", "", "张三", "123", "", ""]]
    response = client.post(reverse("api:roster-import-list"),
                           {"compound": world["compound"].pk, "file": SimpleUploadedFile("r.csv", csv_bytes(bad))})
    import_id = response.json()["id"]
    run_roster_import(import_id)
    body = client.get(reverse("api:roster-import-detail", args=[import_id])).json()
    assert body["status"] == "failed"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [(2, "业主手机号")]


@pytest.mark.django_db
def test_openapi_schema_documents_roster_imports(client, world):
    client.force_login(world["staff"])
    schema = client.get(reverse("schema"), HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "/api/v1/roster-imports/" in paths and "/api/v1/roster-imports/{id}/" in paths
    assert "202" in paths["/api/v1/roster-imports/"]["post"]["responses"]

"""The whole whistle-and-report journey in a real browser, in Chinese.

A resident reports with a photo → community staff accept and whistle it to a department → the department
acknowledges, contacts, arrives and resolves with evidence → the community verifies → the resident
confirms and rates → closed; the timeline shows every step with its actor and time.
"""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from complaints.models import Answer, Category, Complaint, Rating, Status

from ..complaints.conftest import case_world  # noqa: F401  (the fixture)
from .helpers import button, open_as, submit, zh

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def photo_file(tmp_path, name="broken-light.jpg"):
    image = Image.new("RGB", (640, 480), (40, 40, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (28.0, 41.0, 0.0), 3: "E", 4: (112.0, 0.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def test_a_case_goes_from_the_residents_report_to_their_rating(
    browser, browser_context_args, live_server, case_world, tmp_path  # noqa: F811
):
    w = case_world
    resident, staff, department_staff = w["resident"], w["community_staff"], w["department_staff"]

    # 1. The resident reports a broken light with a photo.
    home = open_as(browser, browser_context_args, live_server, resident)
    home.get_by_role("link", name="报事", exact=True).click()
    expect(home.get_by_role("heading", name="我的报事")).to_be_visible()
    home.get_by_role("link", name="我要报事").first.click()
    expect(home.get_by_role("heading", name="我要报事")).to_be_visible()
    expect(home.locator("#chosen-compound")).to_contain_text(w["compound"].name)
    home.locator("#field-category label", has_text=zh(Category.FACILITIES.label)).click()
    expect(home.locator("#field-place_kind input[value=unit]")).to_be_checked()  # my home, preselected
    expect(home.get_by_label("不向邻居公开我的名字")).to_be_checked()
    home.get_by_label("用一句话说说是什么事").fill("楼道灯坏了")
    home.get_by_label("详细说说").fill("3栋2单元楼道灯坏了一周，晚上看不见台阶")
    home.locator("#file-form").get_by_label("照片").set_input_files(photo_file(tmp_path))
    submit(home, "提交报事")
    case = Complaint.objects.get()
    expect(home.get_by_role("alert")).to_contain_text(f"报事成功！编号是 {case.number}")
    expect(home.locator("#case-status")).to_have_text(zh(Status.SUBMITTED.label))
    expect(home.locator("#case-summary img")).to_have_count(1)
    assert case.attachments.count() == 1

    # 2. Community staff accept it and whistle it to the department.
    community = open_as(browser, browser_context_args, live_server, staff)
    community.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(community.locator("#case-reporter")).to_contain_text(resident.real_name)
    submit(community, "受理")
    expect(community.locator("#case-status")).to_have_text(zh(Status.ACCEPTED.label))
    community.wait_for_load_state("load")  # Bootstrap's collapse is wired once its script has run
    button(community, "吹哨派单").click()
    expect(community.locator("#dispatch-form")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    community.get_by_label("职能部门").check()
    community.get_by_label("部门", exact=True).select_option(label=w["department"].name)
    submit(community, "派单")
    expect(community.locator("#case-status")).to_have_text(zh(Status.HANDLING.label))

    # 3. The department acknowledges (签收), contacts the resident, arrives and resolves with evidence.
    department = open_as(browser, browser_context_args, live_server, department_staff)
    department.goto(f"{live_server.url}/cases/{case.pk}/")
    submit(department, "签收")
    submit(department, "已联系居民")
    submit(department, "已到现场")
    department.wait_for_load_state("load")
    button(department, "办结").click()
    expect(department.locator("[id^='resolve-']")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    resolve = department.locator("form", has=department.get_by_role("button", name="提交办结"))
    resolve.get_by_label("办理结果").fill("已更换LED灯泡，现场测试正常")
    resolve.get_by_label("照片").set_input_files(photo_file(tmp_path, "fixed.jpg"))
    submit(department, "提交办结")
    expect(department.locator("#case-status")).to_have_text(zh(Status.RESOLVED.label))

    # 4. The community checks on site.
    community.reload()
    submit(community, "核查通过")
    expect(community.locator("#case-status")).to_have_text(zh(Status.AWAITING_CONFIRMATION.label))

    # 5. The resident confirms and rates.
    home.goto(f"{live_server.url}/cases/{case.pk}/")
    confirm = home.locator("#confirm")
    confirm.locator("#field-answer label", has_text=re.compile(f"^{zh(Answer.SOLVED.label)}$")).click()
    confirm.locator("#field-rating label", has_text=re.compile(f"^{zh(Rating.SATISFIED.label)}$")).click()
    confirm.get_by_label("留言").fill("灯亮了，谢谢")
    submit(home, "提交我的回答")
    expect(home.get_by_role("alert")).to_contain_text("谢谢您的回复")
    expect(home.locator("#case-status")).to_have_text(zh(Status.CLOSED.label))
    case.refresh_from_db()
    assert (case.status, case.answer, case.rating) == (Status.CLOSED, "solved", "satisfied")
    assert case.attachments.filter(is_evidence=True).count() == 1

    # 6. The timeline shows every step, with who and when.
    steps = [
        ("报事", "我"),
        ("社区已受理", staff.real_name),
        ("已吹哨派给职能部门", staff.real_name),
        ("处理方已签收", department_staff.real_name),
        ("处理方已联系居民", department_staff.real_name),
        ("处理方已到现场", department_staff.real_name),
        ("处理方已办结", department_staff.real_name),
        ("已办结", department_staff.real_name),
        ("现场核查：已办好", staff.real_name),
        ("居民已确认并评价", "我"),
    ]
    events = home.locator("#timeline .timeline-event")
    expect(events).to_have_count(len(steps))
    for index, (label, actor) in enumerate(steps):
        event = events.nth(index)
        expect(event.locator(".fw-semibold")).to_contain_text(label)
        expect(event.locator(".actor")).to_have_text(actor)
        expect(event.locator("time")).to_have_text(TIME)
    expect(events.nth(6).locator("img")).to_have_count(1)  # the evidence photo
    expect(events.nth(9)).to_contain_text(zh(Status.CLOSED.label))
    expect(events.nth(9)).to_contain_text("灯亮了，谢谢")

"""An owners' assembly from the notice to the published result, in a real browser, in Chinese.

The committee chair convenes an assembly, adds an item (Civil Code matter 4: the rule follows from it),
names two tellers and publishes the notice (once refused: voting must open at least 15 days later).
Owners vote online on their phones and get receipt codes while only participation is shown; two tellers
enter the same paper sheet; after the deadline the chair counts the votes; an owner reads the published
result: participation and yes / no / abstain by owner count and by area, the thresholds, the verdict and
why, and the print view for the notice board.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from committees import explain, selectors
from committees.models import AgendaItem, Ballot, Elector, Matter, Meeting, PaperEntry

from ..committees.conftest import end_now, meeting_world, open_now  # noqa: F401  (meeting_world is the fixture)
from .helpers import button, follow, open_as, submit, zh

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "2026年第一次业主大会"
ITEM = "续聘星光物业服务公司"


def local_input(when) -> str:
    """A time as a phone's date-and-time picker takes it (local time, to the minute)."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def area(value) -> str:
    return f"{value:.2f}"


def vote_online(page: Page, item: AgendaItem, choice_label: str) -> str:
    """An owner opens the notice from 议事, votes on the item and returns the receipt code shown to them."""
    page.locator("#nav-meetings").click()
    expect(page.locator("#voting-now")).to_contain_text(TITLE)
    follow(page, page.locator("#voting-now").get_by_role("link", name=re.compile(TITLE)))
    expect(page.locator("#vote-banner")).to_be_visible()
    ballot = page.locator(f"#vote-{item.pk}")
    ballot.locator("label", has_text=re.compile(f"^{choice_label}$")).click()
    expect(ballot.get_by_role("radio", name=choice_label)).to_be_checked()
    submit(page, "投出我的票")
    expect(page.get_by_role("alert").first).to_contain_text("回执码")
    code = page.locator(f"#item-{item.pk} .receipt-code")
    expect(code).to_have_count(1)
    expect(page.locator(f"#item-{item.pk} .voted")).to_contain_text("您已投票")
    expect(page.locator(f"#vote-{item.pk}")).to_have_count(0)  # no second ballot
    return code.inner_text().strip()


def enter_paper_sheet(page: Page, elector: Elector, item: AgendaItem, choice_label: str) -> None:
    """A teller finds the owner whose signed sheet they hold, reads it in and saves it."""
    follow(page, page.locator("#paper-link"))
    expect(page.get_by_role("heading", name="录入纸质选票")).to_be_visible()
    page.locator("#elector-q").fill(elector.units_label.split("、")[0])
    submit(page, "查找")
    match = page.locator(f".elector-match[data-elector='{elector.pk}']")
    expect(match).to_contain_text(elector.units_label)
    follow(page, match)
    sheet = page.locator("#sheet")
    expect(sheet).to_contain_text(elector.units_label)
    sheet.locator(f"#field-item_{item.pk} label", has_text=re.compile(f"^{choice_label}$")).click()
    submit(page, "保存我的录入")


def test_an_assembly_goes_from_the_notice_to_the_published_result(
    browser, browser_context_args, live_server, meeting_world  # noqa: F811
):
    w = meeting_world
    chair, (teller_a, teller_b), owners = w["chair"], w["tellers"], w["owners"]
    now = timezone.now()

    # 1. The chair convenes an assembly from 议事. Voting opens too early (10 days): kept as a draft for now.
    convener = open_as(browser, browser_context_args, live_server, chair)
    convener.locator("#nav-meetings").click()
    expect(convener.get_by_role("heading", name="议事")).to_be_visible()
    follow(convener, convener.locator("#convene"))
    expect(convener.get_by_role("heading", name="召集会议")).to_be_visible()
    form = convener.locator("#meeting-form")
    form.locator("#field-kind label", has_text=zh(Meeting.Kind.ASSEMBLY.label)).click()
    expect(form.locator("#field-convener input[value=committee]")).to_be_checked()
    expect(form.locator("#notice-rule")).to_contain_text("15")
    form.get_by_label("标题").fill(TITLE)
    form.get_by_label("地点").fill("小区活动室")
    form.get_by_label("开会时间").fill(local_input(now + timedelta(days=20)))
    form.get_by_label("投票开始").fill(local_input(now + timedelta(days=10)))
    form.get_by_label("投票截止").fill(local_input(now + timedelta(days=23)))
    submit(convener, "保存草稿")
    meeting = Meeting.objects.get()
    expect(convener.get_by_role("alert").first).to_contain_text("草稿已保存")
    expect(convener.locator("#meeting-status")).to_have_text(zh(Meeting.Status.DRAFT.label))
    assert (meeting.kind, meeting.convener, meeting.compound) == (Meeting.Kind.ASSEMBLY, "committee", w["compound"])

    # 2. One item, Civil Code matter 4: the rule follows from the matter and is shown, not chosen.
    follow(convener, convener.locator("#add-item"))
    item_form = convener.locator("#item-form")
    item_form.get_by_label("标题").fill(ITEM)
    item_form.get_by_label("具体要决定什么？").fill("续聘星光物业，物业费每月每平方米1.2元不变，合同三年。")
    item_form.locator("#field-proposer label", has_text=zh(AgendaItem.Proposer.COMMITTEE.label)).click()
    expect(item_form.locator("#field-kind input[value=question]")).to_be_checked()
    matter = item_form.get_by_label("属于《民法典》哪一项事项？")
    majority = zh(AgendaItem.Rule.MAJORITY.label)
    expect(matter.locator("option[value='4']")).to_have_text(f"{zh(Matter.PROPERTY_COMPANY.label)} — {majority}")
    matter.select_option("4")
    submit(convener, "添加议题")
    item = AgendaItem.objects.get(meeting=meeting)
    assert (item.matter, item.rule) == (4, "majority")
    expect(convener.get_by_role("alert").first).to_contain_text("第 1 项议题已添加")
    card = convener.locator(f"#item-{item.pk}")
    expect(card).to_contain_text(zh(Matter.PROPERTY_COMPANY.label))
    with translation.override("zh-hans"):
        rule_text = explain.rule_summary(item.rule)
    expect(card.locator(".rule-text")).to_contain_text(rule_text)

    # 3. Two tellers, by their mobile numbers.
    follow(convener, convener.locator("#set-tellers"))
    convener.get_by_label("计票人手机号").fill(f"{teller_a.phone}\n{teller_b.phone}")
    submit(convener, "保存计票人")
    expect(convener.get_by_role("alert").first).to_contain_text("计票人已确定")
    assert set(meeting.tellers.all()) == {teller_a, teller_b}

    # 4. Publishing is refused: an assembly's notice must come at least 15 days before voting opens.
    follow(convener, convener.locator("#publish"))
    expect(convener.locator("#publish-form")).to_contain_text(rule_text)
    submit(convener, "确定，发布通知")
    refusal = convener.locator("#publish-error")
    expect(refusal).to_contain_text("业主大会的通知至少要在投票开始前 15 天发布。请把投票开始时间改到")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.DRAFT
    # The refusal leads to the voting time: move the opening to 16 days from now, then publish.
    follow(convener, refusal.get_by_role("link", name="修改投票时间"))
    convener.get_by_label("投票开始").fill(local_input(now + timedelta(days=16)))
    submit(convener, "保存修改")
    expect(convener.get_by_role("alert").first).to_contain_text("修改已保存")
    follow(convener, convener.locator("#publish"))
    submit(convener, "确定，发布通知")
    expect(convener.get_by_role("alert").first).to_contain_text("通知已发布")
    expect(convener.locator("#meeting-status")).to_have_text(zh(Meeting.Status.NOTICED.label))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.NOTICED
    assert Elector.objects.filter(meeting=meeting).count() == 12  # 10 owners, the owner of two homes, the developer

    # 5. The 15 days of notice pass: the test moves the voting window to now (voting stays open 3 more days).
    open_now(meeting)

    # Seven owners vote online on their own phones: four agree, one disagrees, two abstain. Each gets a receipt
    # code; the participation panel shows how many and how much area, never what they chose.
    voters = [*owners[1:7], w["double_owner"]]
    choices = ["同意", "同意", "同意", "反对", "弃权", "弃权", "同意"]
    for number, (owner, choice) in enumerate(zip(voters, choices, strict=True), start=1):
        page = open_as(browser, browser_context_args, live_server, owner)
        code = vote_online(page, item, choice)
        ballot = Ballot.objects.get(item=item, elector__user=owner)
        assert (ballot.receipt_code, ballot.channel, ballot.status) == (code, "online", "valid")
        taken = selectors.participation(item)
        assert taken.count == number
        panel = page.locator(f"#participation-{item.pk}")
        expect(panel).to_contain_text(f"参与业主：{number} / 12 人")
        expect(panel).to_contain_text(f"参与面积：{area(taken.area)} / 1450.00 ㎡")
        card = page.locator("#participation-card")
        for hidden in ("同意", "反对"):
            expect(card).not_to_contain_text(hidden)
        page.context.close()

    # 6. The developer votes on paper: teller A enters the signed sheet, then teller B, each on their own.
    developer = Elector.objects.get(meeting=meeting, key="developer")
    first = open_as(browser, browser_context_args, live_server, teller_a)
    first.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    enter_paper_sheet(first, developer, item, "同意")
    expect(first.get_by_role("alert").first).to_contain_text("请另一位计票员再录入")
    expect(first.locator("#sheet-state .entry-status")).to_have_text(zh(PaperEntry.Status.WAITING.label))
    expect(first.locator("#paper-counts .text-bg-warning")).to_have_text(re.compile(r"等待第二位计票员\s*[:：]\s*1$"))
    assert not Ballot.objects.filter(item=item, elector=developer).exists()

    second = open_as(browser, browser_context_args, live_server, teller_b)
    second.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    enter_paper_sheet(second, developer, item, "同意")
    expect(second.get_by_role("alert").first).to_contain_text("两位计票员录入一致")
    expect(second.locator("#sheet")).to_contain_text("这张选票已计入")
    expect(second.locator("#sheet-state .entry-status")).to_have_text([zh(PaperEntry.Status.MATCHED.label)] * 2)
    assert set(PaperEntry.objects.filter(meeting=meeting, elector=developer).values_list("teller", "status")) == {
        (teller_a.pk, "matched"), (teller_b.pk, "matched")}
    paper = Ballot.objects.get(item=item, elector=developer, status="valid")
    assert (paper.channel, paper.choice) == ("paper", "yes")

    # While voting is open, the chair has no button to count.
    convener.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    expect(convener.locator("#voting-now")).to_be_visible()
    expect(convener.locator("#close")).to_have_count(0)

    # 7. The deadline passes (the test moves it into the past); the chair counts the votes and publishes.
    end_now(meeting)
    convener.reload()
    close = convener.locator("#close")
    expect(close).to_have_text("计票并公布结果")
    follow(convener, close)
    submit(convener, "计票并公布")
    expect(convener.get_by_role("alert").first).to_contain_text("已计票，结果已公布")
    meeting.refresh_from_db()
    item.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED

    # 8. An owner who did not vote reads the published result.
    outcome = selectors.item_outcome(item)  # counted again from the ballots in the database
    assert item.result["passed"] is outcome.passed is True
    assert (outcome.participation.count, outcome.yes.count, outcome.no.count, outcome.abstain.count) == (8, 5, 1, 2)
    reader = open_as(browser, browser_context_args, live_server, owners[8])
    reader.goto(f"{live_server.url}/meetings/{meeting.pk}/")
    follow(reader, reader.locator("#result-link"))
    expect(reader.get_by_role("heading", name=re.compile("表决结果"))).to_be_visible()
    result = reader.locator(f"#result-{item.pk}")
    expect(result).to_contain_text(ITEM)
    expect(result).to_contain_text(rule_text)
    participation = result.locator(".participation-line")
    for figure in (outcome.participation.count, outcome.total.count, area(outcome.participation.area),
                   area(outcome.total.area), outcome.thresholds.participation_count,
                   area(outcome.thresholds.participation_area)):
        expect(participation).to_contain_text(str(figure))
    expect(result.locator(".verdict")).to_have_text("通过")
    with translation.override("zh-hans"):
        reason = explain.explain(outcome)
    expect(result.locator(".reason")).to_have_text(reason)
    table = result.locator(".result-table")
    expect(table.locator("thead")).to_contain_text("业主人数")
    expect(table.locator("thead")).to_contain_text("面积")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(4)
    for index, (label, votes) in enumerate(
        [("参与", outcome.participation), ("同意", outcome.yes), ("反对", outcome.no), ("弃权", outcome.abstain)]
    ):
        expect(rows.nth(index).locator("th")).to_have_text(label)
        expect(rows.nth(index).locator("td")).to_have_text([str(votes.count), area(votes.area)])
    needed = result.locator("p", has_text="通过需要")
    expect(needed).to_contain_text(str(outcome.thresholds.yes_count))
    expect(needed).to_contain_text(area(outcome.thresholds.yes_area))

    # The print view for the notice board.
    follow(reader, reader.locator("#print-link"))
    expect(reader.get_by_role("heading", name="表决结果公告")).to_be_visible()
    expect(button(reader, "打印")).to_be_visible()
    expect(reader.locator(f"#result-{item.pk} .reason")).to_have_text(reason)
    expect(reader.locator(f"#result-{item.pk} .verdict")).to_have_text("通过")
    expect(reader.locator("nav#nav, #nav")).to_have_count(0)  # no menus on the printed notice

"""A revisit campaign in a real browser: staff launch it for a compound; the resident opens the signed
link on a phone-sized screen without logging in and answers in Chinese; staff see the answer in the results."""

import re

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from playwright.sync_api import expect

from complaints.models import Campaign, Survey
from complaints.surveys import scheduling, tokens

from ..complaints.conftest import case_world  # noqa: F401  (the fixture)
from ..complaints.test_campaign_pages import mixed_template
from ..complaints.test_surveys import survey_templates  # noqa: F401  (autouse: the default templates)
from .helpers import button, open_as, submit, zh

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_resident_answers_a_campaign_survey_on_a_phone_and_staff_see_it_in_the_results(
    browser, browser_context_args, live_server, case_world  # noqa: F811
):
    w = case_world
    staff, resident = w["community_staff"], w["resident"]
    template = mixed_template(staff)

    # 1. Staff create the campaign for their compound and launch it.
    office = open_as(browser, browser_context_args, live_server, staff)
    office.locator("#nav-campaigns").click()
    office.locator("#new-campaign").click()
    office.locator("#id_name").fill("2026年春季小区环境回访")
    office.locator("#id_template").select_option(label=template.name)
    office.locator("#id_place").select_option(label=w["compound"].name)
    expect(office.locator("#id_sample_share")).to_have_value("30")
    submit(office, zh(gettext_lazy("Save the campaign")))
    campaign = Campaign.objects.get()
    expect(office.locator("#campaign-status")).to_have_text(zh(Campaign.Status.DRAFT.label))
    submit(office, zh(gettext_lazy("Launch")))
    expect(office.locator("#campaign-status")).to_have_text(zh(Campaign.Status.RUNNING.label))
    expect(office.locator("#response-asked")).to_have_text("1")  # the compound's one household
    expect(office.locator("#response-answered")).to_have_text("0")

    # The beat sweeper sends the invitations (the SMS carries the signed link).
    assert scheduling.surveys_sweep(now=timezone.now())["invited"] == 1
    survey = Survey.objects.get(campaign=campaign)
    assert survey.recipient == resident and survey.status == "invited"

    # 2. The resident opens the link on the phone, not logged in, and answers in Chinese.
    phone = browser.new_context(**browser_context_args).new_page()
    phone.goto(f"{live_server.url}{tokens.survey_path(survey)}")
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(phone.get_by_role("heading", name=template.name)).to_be_visible()
    expect(phone.locator("#survey-about")).to_have_text(campaign.name)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    phone.locator("#question-overall label", has_text=re.compile("^4$")).click()
    phone.locator("#question-area label", has_text="车库").click()
    phone.locator("#question-topics label", has_text="保洁").click()
    phone.locator("#question-topics label", has_text="停车").click()
    phone.locator("#question-comment textarea").fill("车库灯光太暗，希望尽快修好")
    expect(phone.locator("#q_overall-4")).to_be_checked()
    submit(phone, zh(gettext_lazy("Send my answers")))
    expect(phone.locator("#survey-done")).to_contain_text(zh(gettext_lazy("Thank you! Your answers were received.")))
    survey.refresh_from_db()
    assert survey.status == "answered"
    assert survey.answers == {"overall": 4, "area": "2", "topics": ["a", "c"], "comment": "车库灯光太暗，希望尽快修好"}
    # The link works once.
    phone.goto(f"{live_server.url}{tokens.survey_path(survey)}")
    expect(phone.locator("#survey-refused")).to_be_visible()

    # 3. Staff see the answer in the campaign's results: the numbers, the table and the charts.
    office.reload()
    expect(office.locator("#response-answered")).to_have_text("1")
    expect(office.locator("#response-rate")).to_have_text("100.0%")
    expect(office.locator("#average-overall")).to_have_text("4.0")
    expect(office.locator("#table-overall tr[data-value='4'] td").nth(1)).to_have_text("1")
    expect(office.locator("#table-area tr[data-value='2'] td").nth(1)).to_have_text("1")
    expect(office.locator("#table-topics tr[data-value='c'] td").nth(1)).to_have_text("1")
    expect(office.locator("#table-topics tr[data-value='b'] td").nth(1)).to_have_text("0")
    expect(office.locator("#texts-comment")).to_contain_text("车库灯光太暗，希望尽快修好")
    expect(office.locator("#chart-overall canvas")).to_have_count(1)  # ECharts drew it
    expect(office.locator("#chart-response canvas")).to_have_count(1)
    assert button(office, zh(gettext_lazy("Finish now"))).is_visible()

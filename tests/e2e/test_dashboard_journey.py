"""Street staff read their street's 三率 and drill down to a case and the ledger, in a real browser.

The demo district (tiny scale) with a year of settled history before this year, so the year-on-year change
has something to compare with; the rollups are rebuilt from the cases by seed_demo and generate_history.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from openpyxl import load_workbook
from playwright.sync_api import expect

from complaints.models import Category, Complaint
from governance import demo
from governance.dashboards import query, selectors
from governance.dashboards.forms import default_period
from governance.models import Compound, Street

from .helpers import follow

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

STREET_STAFF = "13800000002"


def zh(text) -> str:
    """The Chinese of a message id or a lazy label, as the catalog has it."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture(autouse=True)
def _own_cache(settings):
    # Households are cached; a cache of this process only, so parallel test workers never share one.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dashboard-e2e"}}


@pytest.fixture
def demo_district():
    call_command("seed_demo", scale="tiny", stdout=io.StringIO())
    today = timezone.localdate()
    from complaints.history import generate_history

    # Last year, settled: generate_history rebuilds the rollups from every case afterwards.
    generate_history(start=date(today.year - 1, 1, 1), end=date(today.year, 1, 1), total=300, seed=7)
    try:
        from governance.dashboards import rollup

        rollup.rebuild()
    except ImportError:  # pragma: no cover - the rollup module ships with the dashboards
        pass
    query.forget_households()
    return {"street": Street.objects.get(name="乐坪街道"), "compound": Compound.objects.get(name="八一新村")}


def log_in(browser, browser_context_args, live_server, phone: str):
    context = browser.new_context(**browser_context_args, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    return page


def test_street_staff_read_the_three_rates_and_drill_down_to_a_case_and_the_ledger(
    browser, browser_context_args, live_server, demo_district
):
    street, compound = demo_district["street"], demo_district["compound"]
    period = default_period()
    expected = selectors.area_dashboard(street, period)
    assert expected.values["cases"] > 0 and expected.last_year_values["cases"] > 0

    page = log_in(browser, browser_context_args, live_server, STREET_STAFF)

    # 1. 数据看板 in the menu leads to the street's own dashboard.
    nav = page.locator("#nav-dashboard")
    expect(nav).to_have_text(zh("Dashboard"))
    follow(page, nav)
    expect(page.locator("#place-name")).to_have_text("乐坪街道")

    # 2. The three rates, each with its year-on-year change in words (not colour alone).
    for row in expected.three_rates:
        card = page.locator(f"#rate-{row['key']}")
        expect(card).to_contain_text(zh(row["kpi"].label))
        expect(card.locator(".rate-value")).to_have_text(row["display"])
        expect(card.locator(".rate-change")).to_contain_text(zh("Year on year"))
        expect(card.locator(".rate-change")).to_contain_text(row["change_text"])
        assert row["change"] is not None  # last year had cases: a real comparison
    expect(page.locator("#cases-value")).to_have_text(str(expected.values["cases"]))
    expect(page.locator("#definitions")).to_be_attached()
    expect(page.locator("#chart-monthly canvas")).to_have_count(1)  # ECharts drew the monthly volume

    # 3. Drill down: street → community → compound.
    follow(page, page.locator("#children-table").get_by_role("link", name=compound.community.name))
    expect(page.locator("#place-name")).to_have_text(compound.community.name)
    follow(page, page.locator("#children-table").get_by_role("link", name="八一新村"))
    expect(page.locator("#place-name")).to_have_text("八一新村")
    expect(page.locator("#breadcrumb")).to_contain_text("乐坪街道")

    # 4. The compound's case ledger, then one case.
    follow(page, page.locator("#ledger-link"))
    rows = page.locator("#ledger tbody tr[id^=case-]")
    expect(rows.first).to_be_visible()
    first = rows.first.get_by_role("link").first
    number = first.inner_text()
    follow(page, first)
    expect(page.locator("#case-number")).to_contain_text(number)
    page.go_back()
    page.wait_for_load_state("load")

    # 5. Filter the ledger by the compound's commonest category this year and download it as Excel.
    lo = timezone.make_aware(datetime.combine(period.start, time.min))
    hi = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    cases = Complaint.objects.filter(compound=compound, created_at__gte=lo, created_at__lt=hi)
    category, _n = Counter(cases.values_list("category", flat=True)).most_common(1)[0]
    numbers = set(cases.filter(category=category).values_list("number", flat=True))
    page.locator("#ledger-filters select[name=category]").select_option(category)
    with page.expect_navigation():
        page.locator("#ledger-filters button[type=submit]").click()
    expect(rows).to_have_count(min(len(numbers), 20))
    with page.expect_download() as download_info:
        page.locator("#export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    sheet = workbook.worksheets[0]
    body = [row for row in sheet.iter_rows(min_row=3, values_only=True) if row and row[0]]
    assert {row[0] for row in body} == numbers
    label = zh(Category(category).label)
    assert {row[3] for row in body} == {label}
    assert {row[2] for row in body} == {"八一新村"}

import re

import pytest
from playwright.sync_api import Page, expect

from governance.models import Role

from ..conftest import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, live_server, phone: str) -> None:
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_resident_logs_in_and_sees_their_compound(page: Page, live_server, two_communities):
    a, b = two_communities["a"], two_communities["b"]
    log_in(page, live_server, a["owner"].phone)

    expect(page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()
    my_compounds = page.locator("#my-compounds")
    expect(my_compounds).to_contain_text("我的小区")
    expect(my_compounds).to_contain_text(a["compound"].name)
    expect(page.locator("body")).not_to_contain_text(b["compound"].name)

    page.get_by_role("link", name=re.compile(a["compound"].name)).click()
    expect(page.get_by_role("heading", name=a["compound"].name)).to_be_visible()
    expect(page.locator("body")).to_contain_text("楼栋")

    # Another compound's page does not exist for this resident.
    response = page.goto(f"{live_server.url}/places/compounds/{b['compound'].pk}/")
    assert response.status == 404


def test_community_staff_sees_only_their_community(page: Page, live_server, two_communities, make_staff):
    a, b = two_communities["a"], two_communities["b"]
    staff = make_staff(Role.COMMUNITY_STAFF, a["community"])
    log_in(page, live_server, staff.phone)

    expect(page.locator("#my-roles")).to_contain_text("社区工作人员")
    page.get_by_role("link", name="地点").first.click()
    expect(page.locator("main")).to_contain_text(a["community"].name)
    expect(page.locator("main")).not_to_contain_text(b["community"].name)

    page.get_by_role("link", name=re.compile(a["community"].name)).click()
    expect(page.locator("main")).to_contain_text(a["compound"].name)
    expect(page.locator("main")).not_to_contain_text(b["compound"].name)

    page.get_by_role("link", name=re.compile(a["compound"].name)).click()
    page.get_by_role("link", name=re.compile(a["building"].name)).click()
    # The owner's phone is shown in full to the staff who verify owners.
    expect(page.locator("main")).to_contain_text(a["owner"].phone)

    response = page.goto(f"{live_server.url}/places/communities/{b['community'].pk}/")
    assert response.status == 404


def test_language_switch_to_english_and_back(page: Page, live_server, two_communities):
    log_in(page, live_server, two_communities["a"]["owner"].phone)
    page.get_by_role("button", name="English").click()
    expect(page.locator("#my-compounds")).to_contain_text("My compound")
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("#my-compounds")).to_contain_text("我的小区")

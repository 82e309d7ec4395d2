"""Small helpers shared by the browser journeys."""

from __future__ import annotations

from django.utils import translation
from playwright.sync_api import Page, expect

from ..conftest import PASSWORD


def zh(text) -> str:
    """The Chinese of a model label or message (its wording is the catalog's)."""
    with translation.override("zh-hans"):
        return str(text)


def open_as(browser, browser_context_args, live_server, user) -> Page:
    """Log the user in, in a browser context of their own (their own cookies)."""
    page = browser.new_context(**browser_context_args).new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("手机号").fill(user.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    return page


def button(page: Page, name: str):
    return page.get_by_role("button", name=name, exact=True)


def submit(page: Page, name: str) -> None:
    """Press a form's button and wait for the next page, so the next step never acts on a stale one."""
    page.wait_for_load_state("load")
    with page.expect_navigation():
        button(page, name).click()


def follow(page: Page, locator) -> None:
    """Click a link and wait for the page it leads to."""
    page.wait_for_load_state("load")
    with page.expect_navigation():
        locator.click()

"""A real browser claims a unit through the htmx-driven selects, and staff verify it with one tap."""

import os

import pytest
from playwright.sync_api import Page, expect

from governance.models import Compound, Role
from residents.models import Ownership
from tests import factories
from tests.conftest import PASSWORD, chromium_path, require

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session", autouse=True)
def _sync_orm_beside_playwright():
    """Playwright's sync API keeps an event loop running in this thread until the session ends,
    so the ORM must be allowed from here on (tests/e2e/conftest.py does the same at import)."""
    require(chromium_path() is not None, "Debian's chromium is not installed (apt-get install chromium)")
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": ["--no-sandbox", "--disable-gpu"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}}


def log_in(page: Page, live_server, phone: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill(phone)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{live_server.url}/")


def test_resident_claims_with_dependent_selects_and_staff_verify_in_place(page: Page, browser, live_server, two_communities, make_staff):
    a = two_communities["a"]
    staff = make_staff(Role.COMMUNITY_STAFF, a["community"])
    person = factories.UserFactory()
    unit = a["units"][1]

    log_in(page, live_server, person.phone)
    page.goto(f"{live_server.url}/homes/claim/")
    page.locator("#id_q").fill(a["compound"].name[:3])
    expect(page.locator(f'#id_compound option[value="{a["compound"].pk}"]')).to_have_count(1)
    page.locator("#id_compound").select_option(str(a["compound"].pk))
    expect(page.locator(f'#id_building option[value="{a["building"].pk}"]')).to_have_count(1)
    page.locator("#id_building").select_option(str(a["building"].pk))
    expect(page.locator(f'#id_unit option[value="{unit.pk}"]')).to_have_count(1)
    page.locator("#id_unit").select_option(str(unit.pk))
    page.locator("#id_evidence").fill("湘(2022)娄底市不动产权第0100号")
    page.locator("#claim-form button[type=submit]:not([name])").click()

    expect(page.locator("#my-ownerships")).to_contain_text(a["compound"].name)
    expect(page.locator("#my-ownerships .text-bg-warning")).to_have_count(1)
    claim = Ownership.objects.get(user=person)
    assert claim.unit_id == unit.pk

    staff_page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(staff_page, live_server, staff.phone)
    staff_page.goto(f"{live_server.url}/homes/verify/")
    card = staff_page.locator(f"#claim-{claim.pk}")
    expect(card).to_contain_text(person.phone)
    card.locator("button.btn-success").click()
    expect(staff_page.locator(f"#claim-{claim.pk} .text-bg-success")).to_have_count(1)
    assert list(Compound.objects.visible_to(person)) == [a["compound"]]

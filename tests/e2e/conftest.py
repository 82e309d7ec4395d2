"""Real-browser journeys: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os

import pytest

from ..conftest import chromium_path, require

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session", autouse=True)
def _chromium_present():
    require(chromium_path() is not None, "Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A phone-sized screen with an English-speaking browser: pages must still come in Chinese.
    return {**browser_context_args, "viewport": {"width": 390, "height": 844}, "locale": "en-US"}

"""Browser tests: Playwright's sync API driving Debian's chromium against
pytest-django's ``live_server``.

Screenshots for the docs are written to docs/screenshots/ only when SCREENSHOTS=1,
so ordinary runs leave the working tree alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop in this thread, and Django refuses
    ORM calls from a thread with a running loop. The test code is synchronous, so
    lift the guard, only while the browser tests of a module run."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test, asking for Simplified Chinese like the
    staff's browsers do, at the resolution of a typical office screen."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=VIEWPORT
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot() -> Callable:
    enabled = os.environ.get("SCREENSHOTS") == "1"

    def take(page, name: str) -> None:
        if enabled:
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=True)

    return take


@pytest.fixture
def home_page(transactional_db):
    """The Wagtail home page, rebuilt when an earlier transactional test flushed it."""
    from tests.factories.pages import home_page_ensure

    return home_page_ensure()

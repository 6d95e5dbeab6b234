"""Browser tests: Playwright driving the system Chromium against pytest-django's live server."""

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.pages import watch_errors

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), f"browser tests need Chromium at {CHROMIUM}"
    # Playwright's sync API runs an event loop in the test thread; Django's ORM calls from
    # the test (reading the outbox, creating fixtures) are still plain synchronous code.
    # Set only while browsers run, so no other test or subprocess inherits it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    """A page in a fresh browser context. A test that leaves the browser reporting an
    error (a script or style refused under the Content Security Policy, an uncaught
    exception, a file that failed to load) fails, whatever else it checked."""
    context = browser.new_context(timezone_id="Europe/Paris", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = watch_errors(page)
    yield page
    context.close()
    assert errors == [], "the browser reported errors:\n" + "\n".join(errors)


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take

"""Browser tests: Debian's Chromium driven by Playwright, skipped with a reason when absent.

Each test launches its own Chromium (about a second): a browser kept for the whole session
starts Playwright's event loop before the database fixtures, and the seed data that
serialized rollback reloads between transactional tests then goes missing.
"""

import os
from pathlib import Path

import pytest
from django.db import connection, connections

from opsdesk.core.testing.peers import peer_marker

CHROMIUM = os.environ.get("OPSDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"not found at {CHROMIUM} (install Debian's chromium or set OPSDESK_CHROMIUM)"
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(peer_marker("Chromium", missing))


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
            # Inside Playwright's greenlet Django sees its own connection; close it here or
            # it outlives the run and blocks dropping the test database. Not on SQLite: there
            # the live server shares the in-memory database, which closing would destroy.
            if connection.vendor != "sqlite":
                connections.close_all()


@pytest.fixture
def new_page(browser):
    """new_page(phone=False): a page in a context of its own, closed after the test."""
    contexts = []
    server_errors = []

    def open_page(*, phone: bool = False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 800}
        context = browser.new_context(viewport=viewport)
        # Fail fast: a missing label should fail in seconds, not after Playwright's 30.
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        # An htmx swap that answers 500 leaves the page as it was; this catches it anyway.
        page.on(
            "response",
            lambda response: (
                server_errors.append(f"{response.status} {response.url}")
                if response.status >= 500
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not server_errors, f"the server failed: {server_errors}"


@pytest.fixture
def page(new_page):
    return new_page()

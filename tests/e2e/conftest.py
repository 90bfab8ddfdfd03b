"""Browser tests: Debian's Chromium driven by Playwright, skipped with a reason when absent."""

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
def page(browser):
    return browser.new_context(viewport={"width": 1280, "height": 800}).new_page()

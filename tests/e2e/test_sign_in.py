"""In a real browser: sign in, see the start page with your name, sign out."""

import os
from pathlib import Path

import pytest
from django.db import connection, connections
from django.urls import reverse

from opsdesk.core.testing.factories import PASSWORD, agent

CHROMIUM = os.environ.get("OPSDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect, sync_playwright = sync_api.expect, sync_api.sync_playwright

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"Chromium not found at {CHROMIUM} (install Debian's chromium or set "
        "OPSDESK_CHROMIUM)",
    ),
]


@pytest.fixture
def page():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            yield context.new_page()
        finally:
            browser.close()
            # Inside Playwright's greenlet Django sees its own connection; close it here or
            # it outlives the run and blocks dropping the test database. Not on SQLite: there
            # the live server shares the in-memory database, which closing would destroy.
            if connection.vendor != "sqlite":
                connections.close_all()


def test_sign_in_see_home_sign_out(
    django_db_serialized_rollback, transactional_db, live_server, page
):
    # transactional_db first: the test database must outlive the session-wide live server.
    user = agent(username="dana.dubois", display_name="Dana Dubois")
    page.goto(live_server.url + reverse("core:home"))
    # Not signed in yet: the start page sends us to sign in, with the cursor in the form.
    assert page.url.startswith(live_server.url + reverse("core:login"))
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    page.wait_for_url(live_server.url + reverse("core:home"))
    assert page.get_by_role("heading", level=1).inner_text() == "Welcome, Dana Dubois"
    assert page.get_by_test_id("user-name").inner_text() == "Dana Dubois"
    screenshot = os.environ.get("OPSDESK_SCREENSHOT")
    if screenshot:
        page.screenshot(path=screenshot, full_page=True)

    page.get_by_test_id("user-name").click()  # opens the user menu
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + reverse("core:login"))
    assert page.get_by_role("heading", name="Sign in to opsdesk").is_visible()

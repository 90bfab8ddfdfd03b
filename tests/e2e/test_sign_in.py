"""In a real browser: sign in, see the start page with your name, sign out."""

import os

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import PASSWORD, agent

expect = pytest.importorskip("playwright.sync_api").expect


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

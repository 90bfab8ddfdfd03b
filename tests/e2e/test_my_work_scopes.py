"""In a real browser: 'My work' is one page, and its scope buttons show which one is chosen."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import PASSWORD, agent

expect = pytest.importorskip("playwright.sync_api").expect


def test_my_work_is_one_page_and_the_chosen_scope_stands_out(
    django_db_serialized_rollback, transactional_db, live_server, page
):
    user = agent(username="dana", display_name="Dana Dubois")
    page.goto(live_server.url + reverse("core:login"))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_text("Service desk", exact=True).click()
    # One menu entry called "My work"; the incidents queue of one's own is named otherwise.
    expect(page.get_by_role("link", name="My work", exact=True)).to_have_count(1)
    page.get_by_role("link", name="My work", exact=True).click()

    scopes = page.get_by_role("navigation", name="Whose work").get_by_role("link")
    chosen = page.locator('nav[aria-label="Whose work"] a[aria-current="page"]')
    expect(chosen).to_have_count(1)
    backgrounds = [s.evaluate("el => getComputedStyle(el).backgroundColor") for s in scopes.all()]
    chosen_background = chosen.evaluate("el => getComputedStyle(el).backgroundColor")
    assert backgrounds.count(chosen_background) == 1, backgrounds

    page.get_by_role("link", name="Assigned to me").click()
    expect(chosen).to_contain_text("Assigned to me")

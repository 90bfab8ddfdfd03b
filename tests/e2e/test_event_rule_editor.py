"""In a real browser, an administrator edits an event rule in the form editor: condition rows,
a team picked by name, and the rule read back in words, never as JSON or ids."""

import pytest

from opsdesk.core.testing.factories import TeamFactory, admin
from opsdesk.events import services as events
from opsdesk.events.models import Rule
from tests.e2e.screens import assert_no_internal_values, confirmed, open_menu, pick, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_admin_edits_an_event_rule_in_the_form_editor(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    TeamFactory(name="Network Operations")
    TeamFactory(name="Database team")
    events.rule_create(
        actor=None,
        name="Critical alerts open incidents",
        conditions=[{"field": "severity", "op": "equals", "value": "critical"}],
        actions={"create_incident": True},
    )
    ada = admin(username="ada", display_name="Ada Admin")

    page = sign_in(new_page(), live_server.url, ada)
    open_menu(page, "Operations", "Alerts")
    page.get_by_role("link", name="Rules", exact=True).click()
    expect(page.get_by_text("Severity is Critical")).to_be_visible()
    assert_no_internal_values(page)
    page.get_by_role("link", name="Critical alerts open incidents", exact=True).click()
    page.get_by_role("link", name="Edit").first.click()
    assert_no_internal_values(page)

    second_row = page.get_by_test_id("condition-row").nth(1)
    second_row.get_by_label("Field").select_option(label="Resource")
    second_row.get_by_label("Operator").select_option(label="contains (regular expression)")
    second_row.get_by_label("Value").fill("db-")
    pick(page, "Assign to team", "Data", "Database team")
    page.get_by_role("button", name="Save").click()

    confirmed(page, "saved")
    expect(page.get_by_text("Resource contains db-")).to_be_visible()
    expect(page.get_by_text("Database team").first).to_be_visible()
    assert_no_internal_values(page)
    rule = Rule.objects.get()
    assert {"field": "resource", "op": "regex", "value": "db-"} in [
        {k: c[k] for k in ("field", "op", "value")} for c in rule.conditions
    ]

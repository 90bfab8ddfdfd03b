"""In a real browser, an administrator changes configuration through the pages: an assignment
rule (in the admin site), an SLA policy and a team."""

from datetime import timedelta

import pytest

from opsdesk.core.testing.factories import TeamFactory, admin, agent
from opsdesk.incidents import demo
from opsdesk.incidents.models import AssignmentRule
from opsdesk.sla import policies
from opsdesk.sla.models import SlaPolicy
from tests.e2e.screens import assert_no_internal_values, open_menu, pick, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_edit_rule_policy_and_team(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    teams = {group: TeamFactory(name=group) for _, group, _ in demo.CATALOGUE.values()}
    demo._rules(demo._categories(progress=lambda text: None), teams)
    always = policies.calendar_create(actor=None, name="Around the clock", always_open=True)
    policies.policy_create(
        actor=None,
        name="Incidents P1-P2",
        record_type="incident",
        conditions={"priority": ["1", "2"]},
        resolution_target=timedelta(hours=8),
        resolution_calendar=always,
        pause_states=["on_hold"],
    )
    ada = admin(username="ada", display_name="Ada Admin", is_staff=True, is_superuser=True)
    omar = agent(username="omar", display_name="Omar Ortiz")

    page = sign_in(new_page(), live_server.url, ada)

    # The demo's VPN rule hands out work round-robin from now on.
    open_menu(page, "Configuration", "Admin")
    page.get_by_role("link", name="Assignment rules").click()
    page.get_by_role("link", name="VPN keywords").click()
    page.get_by_label("Keywords").fill("vpn, tunnel, anyconnect")
    page.get_by_label("Auto assign").select_option(label="Round-robin")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    rule = AssignmentRule.objects.get(name="VPN keywords")
    assert (rule.keywords, rule.auto_assign) == ("vpn, tunnel, anyconnect", "round_robin")

    page.get_by_role("link", name="View site").click()  # back from the admin site
    open_menu(page, "Configuration", "SLA policies")
    page.get_by_role("link", name="Incidents P1-P2").click()
    assert_no_internal_values(page)
    page.get_by_role("link", name="Edit").click()
    # States and hold reasons are ticked by their labels.
    assert_no_internal_values(page)
    expect(page.get_by_role("checkbox", name="On hold", exact=True)).to_be_checked()
    page.get_by_label("Warn at (%)").fill("50, 90")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Policy Incidents P1-P2 is saved.")
    expect(page.get_by_role("definition").filter(has_text="50 %, 90 %")).to_be_visible()
    assert_no_internal_values(page)
    assert SlaPolicy.objects.get().warning_thresholds == [50, 90]

    open_menu(page, "Configuration", "Teams")
    page.get_by_role("link", name="Network Operations").click()
    assert_no_internal_values(page)
    page.get_by_role("link", name="Edit").click()
    assert_no_internal_values(page)
    pick(page, "Lead", "omar", "Omar Ortiz")
    page.get_by_label("Members").select_option(label="Omar Ortiz")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Team Network Operations is saved.")
    expect(page.get_by_role("main")).to_contain_text("Omar Ortiz")
    assert_no_internal_values(page)
    team = teams["Network Operations"]
    team.refresh_from_db()
    assert team.lead == omar and list(team.members.all()) == [omar]

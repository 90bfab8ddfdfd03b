"""In a real browser, a requester's day: report through the portal in words the demo's
assignment rules route, follow the ticket, comment, confirm the fix and rate it."""

import pytest

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.incidents import demo
from opsdesk.incidents import services as incidents
from opsdesk.incidents.models import AssignmentRule, Incident, State
from opsdesk.incidents.testing import IncidentFactory, resolution_code
from opsdesk.servicedesk.models import Survey
from tests.e2e.screens import assert_no_internal_values, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def demo_routing():
    """The demo's teams, categories and assignment rules, made by the demo's own loader."""
    teams = {group: TeamFactory(name=group) for _, group, _ in demo.CATALOGUE.values()}
    tree = demo._categories(progress=lambda text: None)
    demo._rules(tree, teams)
    return teams


def test_report_follow_comment_confirm_and_rate(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    teams = demo_routing()
    network = teams["Network Operations"]
    busy = agent(username="nina", display_name="Nina Novak")
    free = agent(username="omar", display_name="Omar Ortiz")
    network.members.add(busy, free)
    # Nina already works an open call, so the least-loaded rule hands the next one to Omar.
    IncidentFactory(assignment_group=network, assignee=busy, state=State.IN_PROGRESS)
    vpn_rule = AssignmentRule.objects.get(name="VPN keywords")
    alice = requester(username="alice", first_name="Alice", display_name="Alice Archer")

    page = sign_in(new_page(phone=True), live_server.url, alice)
    expect(page.get_by_role("heading", level=1)).to_have_text("How can we help, Alice Archer?")
    page.get_by_role("link", name="Report an issue").first.click()
    assert_no_internal_values(page)
    # Every keyword of the demo's text rule ("vpn, tunnel"), in a requester's own words.
    words = [k.strip() for k in vpn_rule.keywords.split(",")]
    page.get_by_label("What is wrong?").fill(f"The {words[0].upper()} {words[1]} drops hourly")
    page.get_by_label("Tell us more (what you tried, error messages)").fill(
        "Reconnecting works for an hour, then the tunnel drops again."
    )
    page.get_by_label("My team or several people").check()
    page.get_by_label("Only slowly or with a workaround").check()
    page.get_by_role("button", name="Send").click()

    incident = Incident.objects.exclude(assignee=busy).get()
    expect(page.get_by_role("status")).to_contain_text(f"{incident.number} is logged")
    expect(page.get_by_role("heading", level=1)).to_contain_text("VPN tunnel drops hourly")
    expect(page.get_by_text("Network Operations")).to_be_visible()
    expect(page.get_by_test_id("ticket-state")).to_have_text("In progress")
    assert_no_internal_values(page)
    assert (incident.assignment_group, incident.assignee) == (network, free)
    assert (incident.impact, incident.urgency) == (2, 2)

    # Later: back to the ticket from the portal's start page, and a comment.
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="My tickets").click()
    assert_no_internal_values(page)
    page.get_by_role("link", name=incident.number).click()
    assert_no_internal_values(page)
    page.get_by_label("Add a comment").fill("It dropped again at 10:15.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Your comment is added.")
    expect(page.get_by_text("It dropped again at 10:15.")).to_be_visible()
    assert_no_internal_values(page)

    # Omar fixes it (his side has a journey of its own); the worker asks for feedback.
    incidents.incident_transition(
        actor=free,
        incident=Incident.objects.get(pk=incident.pk),
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="The VPN gateway's idle timeout was raised.",
    )
    outbox_deliver_due()

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Service desk").click()
    assert_no_internal_values(page)
    recent = page.get_by_role("region", name="Your recent tickets")
    expect(recent).to_contain_text("Resolved")
    recent.get_by_role("link", name=incident.number).click()
    fixed = page.get_by_role("region", name="We think this is fixed")
    expect(fixed).to_contain_text("The VPN gateway's idle timeout was raised.")
    assert_no_internal_values(page)
    fixed.get_by_role("button", name="Yes, it is fixed").click()
    expect(page.get_by_role("status")).to_contain_text("The ticket is closed.")
    expect(page.get_by_test_id("ticket-state")).to_have_text("Closed")
    assert_no_internal_values(page)

    page.get_by_role("link", name="Tell us how we did").click()
    assert_no_internal_values(page)
    page.get_by_label("4", exact=True).check()
    page.get_by_label("Anything to add? (optional)").fill("Fixed the same day.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_test_id("survey-done")).to_contain_text("4 of 5")
    assert_no_internal_values(page)
    survey = Survey.objects.get(record_type="incident", record_id=incident.pk)
    assert (survey.rating, survey.comment) == (4, "Fixed the same day.")

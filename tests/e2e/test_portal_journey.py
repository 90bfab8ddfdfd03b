"""In a real browser: a requester reports through the portal (a knowledge answer is suggested),
an agent takes it and replies with a canned response, the requester confirms and rates it."""

import pytest
from django.urls import reverse

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.incidents.models import Incident
from opsdesk.servicedesk.models import CannedResponse, KnowledgeArticle, Survey
from tests.e2e.screens import assert_no_internal_values, disclose, open_menu, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_report_reply_confirm_and_rate(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    base = live_server.url
    desk = TeamFactory(name="Service Desk")
    dana = agent(username="dana", display_name="Dana Dubois")
    desk.members.add(dana)
    alice = requester(username="alice", first_name="Alice", display_name="Alice Archer")
    KnowledgeArticle.objects.create(
        number="KB0009001",
        title="VPN disconnects every hour",
        body="Update the VPN client to 5.2.",
        keywords="vpn",
        state="published",
    )
    CannedResponse.objects.create(
        title="Client update", body="Hi {{ caller.first_name }}, please update the VPN client."
    )

    # The requester, on a phone, lands on the portal and reports the issue.
    requester_page = sign_in(new_page(phone=True), base, alice)
    assert requester_page.url == base + reverse("servicedesk:home")
    requester_page.get_by_role("link", name="Report an issue").first.click()
    requester_page.get_by_label("What is wrong?").press_sequentially("VPN keeps dropping")
    expect(requester_page.get_by_test_id("suggestions")).to_contain_text(
        "VPN disconnects every hour"
    )
    requester_page.get_by_label("No, I am blocked").check()
    requester_page.get_by_role("button", name="Send").click()
    expect(requester_page.get_by_test_id("ticket-state")).to_have_text("New")
    incident = Incident.objects.get()
    assert incident.urgency == 1 and incident.caller == alice

    # The agent finds it in the queue, takes it and replies with the canned response.
    agent_page = sign_in(new_page(), base, dana)
    open_menu(agent_page, "Service desk", "Incidents")
    agent_page.get_by_role("link", name=incident.number).click()
    agent_page.get_by_role("button", name="Assign to me").click()
    expect(agent_page.get_by_role("status")).to_have_text("Assigned to you.")
    expect(agent_page.get_by_text("In progress", exact=True)).to_be_visible()
    assert_no_internal_values(agent_page)
    agent_page.get_by_text("Insert a canned response").click()
    agent_page.get_by_role("button", name="Client update").click()
    reply = agent_page.get_by_label("Add to the conversation")
    expect(reply).to_have_value("Hi Alice, please update the VPN client.")
    agent_page.get_by_role("button", name="Post").click()
    expect(agent_page.get_by_role("status")).to_have_text("Posted.")
    timeline = agent_page.get_by_role("region", name="Timeline").get_by_role("listitem")
    expect(timeline.first).to_contain_text("please update")
    assert_no_internal_values(agent_page)
    disclose(agent_page, "Resolve")
    agent_page.get_by_label("Resolution code").select_option(label="Solved permanently")
    agent_page.get_by_label("Resolution notes").fill("Client updated to 5.2")
    agent_page.get_by_role("button", name="Resolve").click()
    expect(agent_page.get_by_role("status")).to_have_text("Resolved.")
    expect(agent_page.get_by_text("Resolved", exact=True).first).to_be_visible()
    assert_no_internal_values(agent_page)
    outbox_deliver_due()  # the worker's step: the resolution asks the caller for feedback
    assert Survey.objects.filter(record_type="incident", record_id=incident.pk).exists()

    # The requester sees the reply, confirms the fix and answers the survey.
    requester_page.reload()
    assert_no_internal_values(requester_page)
    expect(requester_page.get_by_text("Hi Alice, please update the VPN client.")).to_be_visible()
    requester_page.get_by_role("button", name="Yes, it is fixed").click()
    expect(requester_page.get_by_test_id("ticket-state")).to_have_text("Closed")
    requester_page.get_by_role("link", name="Tell us how we did").click()
    requester_page.get_by_label("5 - Very satisfied").check()
    requester_page.get_by_label("Anything to add? (optional)").fill("Fast, thanks")
    requester_page.get_by_role("button", name="Send feedback").click()
    expect(requester_page.get_by_test_id("survey-done")).to_contain_text("5 of 5")
    assert Survey.objects.get().rating == 5

"""In a real browser: a problem manager records a known error; a requester typing the same
failure in the portal is told "we know about this"; an agent applies the known error's
workaround to a call in one step."""

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, agent, requester
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_open
from opsdesk.problems import services
from tests.e2e.screens import assert_no_internal_values, confirmed, open_menu, section, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_a_known_error_from_analysis_to_the_desks_intake(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    network = TeamFactory(name="Network Operations")
    pat = UserFactory(
        username="pat", display_name="Pat Problem", roles=[Role.AGENT, Role.PROBLEM_MANAGER]
    )
    network.members.add(pat)
    dana = agent(username="dana", display_name="Dana Dubois")
    network.members.add(dana)
    alice = requester(username="alice", display_name="Alice Archer")
    problem = services.problem_create(
        actor=pat, short_description="VPN client drops the tunnel hourly", assignment_group=network
    )

    page = sign_in(new_page(), live_server.url, pat)
    open_menu(page, "Service desk", "Problems")
    page.get_by_role("link", name=problem.number).click()
    page.get_by_role("button", name="Assessed").click()
    confirmed(page, "is assessed.")
    page.get_by_role("button", name="Start root cause analysis").click()
    confirmed(page, "is root cause analysis.")
    known = section(page, "Edit the known error")
    known.get_by_label("Symptoms").fill("VPN disconnects every hour.")
    known.get_by_label("Workaround:", exact=True).fill(
        "Install GlobalProtect 6.2 from Software Center."
    )
    known.get_by_label("Requesters may apply the workaround themselves").check()
    known.get_by_role("button", name="Save the known error").click()
    confirmed(page, "is saved.")
    analysis = section(page, "Edit the analysis")
    analysis.get_by_label("Root cause:", exact=True).fill(
        "Client 6.1 drops the tunnel on token renewal."
    )
    analysis.get_by_label("Contributing factors").fill("process: old images keep 6.1")
    analysis.get_by_role("button", name="Save the analysis").click()
    confirmed(page, "is saved.")
    page.get_by_role("button", name="Record as known error").click()
    confirmed(page, "is known error.")
    expect(page.get_by_test_id("problem-state")).to_have_text("Known error")
    assert_no_internal_values(page)

    portal = sign_in(new_page(), live_server.url, alice)
    portal.get_by_role("link", name="Report an issue").first.click()
    portal.get_by_label("What is wrong?").press_sequentially("my vpn disconnects")
    expect(portal.get_by_test_id("known-problems")).to_contain_text(
        "We know about this: VPN client drops the tunnel hourly"
    )
    expect(portal.get_by_test_id("known-problems")).to_contain_text("GlobalProtect 6.2")

    incident = incident_open(
        actor=dana, caller=alice, short_description="VPN disconnects every hour"
    )
    desk = sign_in(new_page(), live_server.url, dana)
    desk.goto(f"{live_server.url}/incidents/{incident.pk}/")
    suggestions = desk.get_by_test_id("known-error-suggestions")
    expect(suggestions).to_contain_text(problem.number)
    suggestions.get_by_role("button", name="Apply the workaround").click()
    confirmed(desk, f"The workaround of {problem.number} is sent")
    expect(desk.get_by_test_id("problem-panel")).to_contain_text(problem.number)
    assert Incident.objects.get(pk=incident.pk).state == "resolved"
    assert_no_internal_values(desk)


def test_a_problem_from_the_queue_published_fixed_and_its_callers_told(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    from opsdesk.core.outbox import outbox_deliver_due
    from opsdesk.notifications.models import Delivery
    from opsdesk.problems.models import Problem

    network = TeamFactory(name="Network Operations")
    pat = UserFactory(
        username="pat", display_name="Pat Problem", roles=[Role.AGENT, Role.PROBLEM_MANAGER]
    )
    network.members.add(pat)
    alice = requester(username="alice", display_name="Alice Archer", email="alice@x.test")
    calls = [
        incident_open(
            actor=pat,
            caller=alice,
            short_description=f"VPN drops every hour ({n})",
            assignment_group=network,
        )
        for n in range(2)
    ]

    page = sign_in(new_page(), live_server.url, pat)
    page.goto(f"{live_server.url}/incidents/")
    for call in calls:
        page.get_by_label(f"Select {call.number}").check()
    page.get_by_role("button", name="Create a problem").click()
    expect(page.get_by_label("Incidents")).to_have_value(f"{calls[0].number} {calls[1].number}")
    page.get_by_label("Title").fill("VPN client drops the tunnel hourly")
    page.get_by_role("button", name="Raise the problem").click()
    confirmed(page, "is raised.")
    problem = Problem.objects.get()
    assert problem.incident_links.count() == 2 and problem.assignment_group == network
    for action in ("assess", "analyse"):
        problem = services.problem_transition(actor=pat, problem=problem, action=action)
    problem = services.problem_update(
        actor=pat,
        problem=problem,
        symptoms="VPN disconnects every hour.",
        root_cause="Client 6.1 drops the tunnel on token renewal.",
        workaround="Install GlobalProtect 6.2 from Software Center.",
        workaround_public=True,
    )
    services.problem_transition(actor=pat, problem=problem, action="known_error")

    page.reload()
    page.get_by_role("button", name="Publish to the knowledge base").click()
    confirmed(page, "is sent to the knowledge base")
    outbox_deliver_due()
    page.reload()
    expect(page.get_by_test_id("known-error-article")).to_contain_text(
        "Known error: VPN client drops the tunnel hourly"
    )

    resolve = section(page, "Resolve")
    resolve.get_by_label("The permanent fix").fill("Every laptop is on GlobalProtect 6.2.")
    resolve.get_by_label("Resolve the 2 linked open incidents").check()
    resolve.get_by_label("Message to their callers").fill("The VPN holds again; thank you.")
    resolve.get_by_role("button", name="Resolve").click()
    confirmed(page, "is resolved.")
    for _ in range(3):
        outbox_deliver_due()
    assert {i.state for i in Incident.objects.filter(pk__in=[c.pk for c in calls])} == {"resolved"}
    mail = Delivery.objects.filter(address="alice@x.test", event="resolved")
    assert mail.count() == 2 and "The VPN holds again" in mail.first().body_text
    page.reload()
    expect(page.get_by_test_id("fixed-at")).to_be_visible()
    assert_no_internal_values(page)

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

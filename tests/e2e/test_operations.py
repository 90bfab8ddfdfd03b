"""In a real browser, operations: add an integration in the events console, have a monitoring
tool send to it over HTTP (a real client, not the browser), see the alert and the incident it
opened, acknowledge it."""

import json
import urllib.request

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import TeamFactory, admin
from opsdesk.events import services as events
from opsdesk.events.models import Alert
from opsdesk.incidents.models import Incident
from tests.e2e.screens import assert_no_internal_values, open_menu, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def send_event(url: str, secret: str, event: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(event).encode(),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_integration_event_alert_incident_acknowledge(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    noc = TeamFactory(name="Network Operations")
    olga = admin(username="olga", display_name="Olga Orlov")
    noc.members.add(olga)
    # The demo's rule: critical and major alerts open incidents.
    events.rule_create(
        actor=None,
        name="Critical and major alerts open incidents",
        order=30,
        conditions=[{"field": "severity", "op": "in", "value": ["critical", "major"]}],
        actions={"create_incident": True, "auto_resolve": "on_clear"},
    )

    page = sign_in(new_page(), live_server.url, olga)
    open_menu(page, "Operations", "Alerts")
    page.get_by_role("navigation", name="Operations console").get_by_role(
        "link", name="Integrations"
    ).click()
    assert_no_internal_values(page)
    page.get_by_role("link", name="New integration").click()
    assert_no_internal_values(page)
    page.get_by_label("Name").fill("Zabbix core network")
    page.get_by_label("Format").select_option(label="Generic JSON")
    page.get_by_label("Team").select_option(label="Network Operations")
    page.get_by_role("button", name="Create integration").click()
    expect(page.get_by_role("status").first).to_contain_text("Integration Zabbix core network")
    secret = page.get_by_role("textbox", name="Secret").input_value()
    assert secret
    assert_no_internal_values(page)

    status = send_event(
        live_server.url + reverse("events-ingest"),
        secret,
        {"summary": "Core switch sw-01 down", "severity": "critical", "resource": "sw-01"},
    )
    assert status == 202

    page.get_by_role("link", name="Back to integrations").click()
    page.get_by_role("navigation", name="Operations console").get_by_role(
        "link", name="Alerts"
    ).click()
    alerts = page.get_by_test_id("alerts")
    expect(alerts).to_contain_text("Core switch sw-01 down")
    assert_no_internal_values(page)
    alerts.get_by_role("link", name="Core switch sw-01 down").click()
    assert_no_internal_values(page)
    incident = Incident.objects.get()
    expect(page.get_by_role("link", name=incident.number)).to_be_visible()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("definition").filter(has_text="Acknowledged")).to_be_visible()
    assert_no_internal_values(page)
    assert Alert.objects.get().status == "acknowledged"

    page.get_by_role("link", name=incident.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Core switch sw-01 down")
    expect(page.get_by_role("region", name="Details")).to_contain_text("Network Operations")
    assert_no_internal_values(page)

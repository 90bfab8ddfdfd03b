"""The operations console: agents watch and act; requesters are kept out."""

import pytest
from django.test import Client

from opsdesk.core.testing.factories import agent, requester
from opsdesk.events.heartbeats import heartbeat_create
from opsdesk.events.models import Alert, AlertStatus
from opsdesk.events.testing import RuleFactory
from tests.events.helpers import send_and_process

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_console_lists_alerts_and_polls_itself(integration):
    send_and_process(integration, {"summary": "Disk full on db-01", "severity": "critical"})
    page = signed_in(agent()).get("/events/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Disk full on db-01" in html
    assert 'hx-trigger="every 10s"' in html
    rows = signed_in(agent()).get("/events/?severity=warning", HTTP_HX_REQUEST="true")
    assert "Disk full" not in rows.content.decode()
    assert "<html" not in rows.content.decode()


def test_requester_cannot_open_the_console(db):
    assert signed_in(requester()).get("/events/").status_code == 403
    assert Client().get("/events/").status_code == 302  # to sign in


def test_alert_page_acknowledges_and_refuses_twice(integration):
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k"})
    alert = Alert.objects.get()
    client = signed_in(agent())
    page = client.get(f"/events/alerts/{alert.pk}/")
    assert "Event history" in page.content.decode()
    client.post(f"/events/alerts/{alert.pk}/act", {"action": "acknowledge"})
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED
    again = client.post(f"/events/alerts/{alert.pk}/act", {"action": "acknowledge"}, follow=True)
    assert "Cannot acknowledge" in again.content.decode()


def test_configuration_pages_render(integration):
    RuleFactory(name="Page DBAs")
    heartbeat_create(actor=None, name="Nightly backup")
    client = signed_in(agent())
    assert integration.token in client.get("/events/integrations/").content.decode()
    assert "Page DBAs" in client.get("/events/rules/").content.decode()
    assert client.get("/events/maintenance/").status_code == 200
    assert "Nightly backup" in client.get("/events/heartbeats/").content.decode()

"""Event text arrives as sent, minus what no database keeps; a resource names its CI."""

import json

import pytest

from opsdesk.events.models import Alert, Event
from opsdesk.events.processing import events_process_all
from opsdesk.events.testing import SECRET, RuleFactory
from tests.cmdb.factories import CIFactory
from tests.events.helpers import send, send_and_process

pytestmark = pytest.mark.django_db
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"}


def post(sender, url, body, **extra):
    return sender.post(url, json.dumps(body), content_type="application/json", **extra)


def test_nul_characters_in_generic_event_text_are_stripped(integration, sender):
    body = {
        "summary": "Disk\x00 full",
        "resource": "db\x00-01",
        "check": "disk\x00",
        "description": "at \x00/var",
        "labels": {"mount\x00": "/var\x00", "env": "prod"},
        "dedup_key": "db-01\x00/disk",
    }
    response = post(sender, "/api/events/ingest", body, **BEARER)
    assert response.status_code == 202
    events_process_all()
    alert = Alert.objects.get()
    assert (alert.summary, alert.resource, alert.check_name, alert.description) == (
        "Disk full",
        "db-01",
        "disk",
        "at /var",
    )
    assert alert.labels == {"mount": "/var", "env": "prod"}
    assert alert.fingerprint == "db-01/disk"
    assert "\x00" not in json.dumps(Event.objects.get().payload)


def test_json_beyond_the_fast_parser_is_still_read_as_sent(integration, sender):
    # Integers past 64 bits and non-ASCII text: valid JSON, kept exactly.
    big = 2**70 + 1
    body = {"summary": "Zähler übergelaufen", "labels": {"counter": big}, "count": big}
    response = post(sender, "/api/events/ingest", body, **BEARER)
    assert response.status_code == 202
    events_process_all()
    event = Event.objects.get()
    assert event.payload["count"] == big
    assert event.summary == "Zähler übergelaufen"
    assert Alert.objects.get().labels == {"counter": str(big)}


def test_a_body_that_is_not_json_is_refused_with_the_reason(integration, sender):
    response = sender.post(
        "/api/events/ingest", b'{"summary": "Disk", ', content_type="application/json", **BEARER
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]
    assert not Event.objects.exists()


def test_nul_characters_in_alertmanager_annotations_and_pagerduty_are_stripped(integration, sender):
    webhook = {
        "version": "4",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "Disk\x00Full", "instance": "db-01:9100"},
                "annotations": {"summary": "Disk\x00 almost full"},
                "startsAt": "2026-11-26T06:00:00Z",
            }
        ],
    }
    url = f"/api/events/integrations/{integration.token}/alertmanager"
    assert post(sender, url, webhook).status_code == 202
    pagerduty = {
        "routing_key": SECRET,
        "event_action": "trigger",
        "dedup_key": "pd\x00",
        "payload": {"summary": "CPU\x00 hot", "source": "app\x00-01", "severity": "critical"},
    }
    assert post(sender, "/v2/enqueue", pagerduty).status_code == 202
    events_process_all()
    assert sorted(Alert.objects.values_list("summary", "check_name", "resource")) == [
        ("CPU hot", "", "app-01"),
        ("Disk almost full", "DiskFull", "db-01"),
    ]


def test_an_event_whose_resource_is_a_ci_name_is_linked_to_that_ci(integration):
    ci = CIFactory(name="payroll-engine")
    send_and_process(integration, {"summary": "Queue stuck", "resource": "Payroll-Engine"})
    assert Alert.objects.get().ci == ci


def test_an_explicit_ci_mapping_wins_over_the_resource_name(integration):
    CIFactory(name="payroll-engine")
    mapped = CIFactory(name="payroll-db")
    RuleFactory(actions={"map_ci": mapped.pk})
    send_and_process(integration, {"summary": "Queue stuck", "resource": "payroll-engine"})
    assert Alert.objects.get().ci == mapped


def test_a_resource_that_names_no_ci_links_none(integration):
    CIFactory(name="payroll-engine")
    send_and_process(integration, {"summary": "Queue stuck", "resource": "web-07"})
    assert Alert.objects.get().ci is None


def test_a_batch_naming_many_resources_links_each_alert_to_its_own_ci(integration):
    # One batch, many hosts: the live CI wins over a test one of the same name, any case.
    web = CIFactory(name="web-01")
    CIFactory(name="DB-01", environment="test")
    live_db = CIFactory(name="db-01", environment="production")
    send(integration, {"summary": "Load", "resource": "WEB-01:9100"})
    send(integration, {"summary": "Disk", "resource": "db-01"})
    send(integration, {"summary": "Down", "resource": "mail-01"})
    events_process_all()
    ci_by_summary = {a.summary: a.ci for a in Alert.objects.all()}
    assert ci_by_summary == {"Load": web, "Disk": live_db, "Down": None}

"""Every ingest endpoint names the true cause of a refusal, and no body makes it fail."""

import json

import pytest

from opsdesk.events.heartbeats import heartbeat_create
from opsdesk.events.models import Event, HeartbeatCheckIn
from opsdesk.events.testing import SECRET

BEARER = {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"}
PAGERDUTY = {
    "routing_key": SECRET,
    "event_action": "trigger",
    "dedup_key": "payroll/db-01/disk",
    "payload": {"summary": "Disk full", "source": "db-01", "severity": "critical"},
}
MULTIPART_BODY = {"summary": "Disk full", "severity": "critical"}


def json_endpoints(integration):
    return [
        ("/api/events/ingest", BEARER),
        (f"/api/events/integrations/{integration.token}/events", {}),
        (f"/api/events/integrations/{integration.token}/alertmanager", {}),
        ("/api/v2/alerts", BEARER),
        ("/v2/enqueue", {}),
    ]


def test_a_form_body_to_a_json_endpoint_gets_415_not_a_server_error(integration, sender):
    for url, headers in json_endpoints(integration):
        response = sender.post(url, MULTIPART_BODY, format="multipart", **headers)
        assert response.status_code == 415, url
        text = json.dumps(response.json())
        assert "application/json" in text, url
        urlencoded = sender.post(
            url,
            "summary=Disk+full",
            content_type="application/x-www-form-urlencoded",
            **headers,
        )
        assert urlencoded.status_code == 415, url
    assert not Event.objects.exists()


def test_a_form_body_without_signing_in_is_refused_cleanly(integration, sender):
    response = sender.post("/api/events/ingest", MULTIPART_BODY, format="multipart")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("path", ["", "/start", "/fail"])
def test_a_heartbeat_check_in_with_a_form_body_is_recorded(db, sender, path):
    heartbeat = heartbeat_create(actor=None, name="Backup", interval_seconds=3600)
    response = sender.post(
        f"/api/heartbeats/{heartbeat.token}{path}", {"m": "done"}, format="multipart"
    )
    assert response.status_code == 200
    assert HeartbeatCheckIn.objects.filter(heartbeat=heartbeat).count() == 1


def test_a_heartbeat_message_with_nul_characters_is_stored_without_them(db, sender):
    heartbeat = heartbeat_create(actor=None, name="Backup", interval_seconds=3600)
    response = sender.post(
        f"/api/heartbeats/{heartbeat.token}/fail", "disk\x00 full", content_type="text/plain"
    )
    assert response.status_code == 200
    assert HeartbeatCheckIn.objects.get(heartbeat=heartbeat).message == "disk full"


def test_pagerduty_malformed_json_is_called_malformed(integration, sender):
    response = sender.post("/v2/enqueue", "{nope", content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert any("not valid JSON" in e for e in errors)
    assert not any("routing_key" in e for e in errors)


def test_pagerduty_unknown_event_action_is_named(integration, sender):
    body = {**PAGERDUTY, "event_action": "explode"}
    response = sender.post("/v2/enqueue", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        "'event_action' must be one of trigger, acknowledge, resolve"
    ]
    missing = {k: v for k, v in PAGERDUTY.items() if k != "event_action"}
    response = sender.post("/v2/enqueue", json.dumps(missing), content_type="application/json")
    assert response.json()["errors"] == ["'event_action' is missing or blank"]


def test_pagerduty_body_that_is_not_an_object_is_invalid_not_missing_a_key(integration, sender):
    response = sender.post("/v2/enqueue", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == ["Event object is invalid"]


def test_a_body_over_the_limit_is_too_large_before_anything_else(integration, sender):
    huge = json.dumps({"payload": {"summary": "x" * (1024 * 1024)}})
    response = sender.post("/v2/enqueue", huge, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["message"] == "Event object is too large"
    # The other endpoints too, even before they know who sent it.
    for url, _headers in json_endpoints(integration)[:-1]:
        response = sender.post(url, huge, content_type="application/json")
        assert response.status_code == 413, url
        assert response.json()["error"]["code"] == "payload_too_large", url
    assert not Event.objects.exists()


def test_malformed_json_is_called_malformed_on_every_endpoint(integration, sender):
    for url, headers in json_endpoints(integration)[:-1]:
        response = sender.post(url, "{nope", content_type="application/json", **headers)
        assert response.status_code == 400, url
        assert "not valid JSON" in response.json()["error"]["message"], url

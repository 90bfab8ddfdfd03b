"""Monitoring tools post events: every format accepted, bad input refused whole and explained."""

import json
from pathlib import Path

import pytest
from django.core.cache import cache

from opsdesk.events.ingest import MAX_INGEST_BYTES
from opsdesk.events.models import Alert, AlertStatus, Event, EventState
from opsdesk.events.processing import events_process_all
from opsdesk.events.testing import SECRET

# Copies of the senders' published samples, kept with the tests so a clone has them.
FORMATS = Path(__file__).resolve().parent / "formats"
SAMPLES = {
    "alertmanager": {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "status": "firing",
        "receiver": "opsdesk",
        "orgId": 1,  # Grafana's extra fields are ignored
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "DiskFull",
                    "instance": "db-01:9100",
                    "severity": "critical",
                },
                "annotations": {"summary": "Disk almost full"},
                "startsAt": "2026-11-26T06:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "c6f2a1b3d4e5f607",
                "dashboardURL": "http://grafana.example/d/1",
            },
            {
                "status": "resolved",
                "labels": {
                    "alertname": "DiskFull",
                    "instance": "db-02:9100",
                    "severity": "critical",
                },
                "annotations": {"summary": "Disk almost full"},
                "startsAt": "2026-11-26T05:40:00Z",
                "endsAt": "2026-11-26T05:58:00Z",
                "fingerprint": "0a1b2c3d4e5f6789",
            },
        ],
    },
    "pagerduty": {
        "routing_key": SECRET,
        "event_action": "trigger",
        "dedup_key": "payroll/db-01/disk",
        "payload": {
            "summary": "Disk /var 97% full on db-01",
            "source": "db-01",
            "severity": "critical",
            "timestamp": "2026-11-26T06:00:00.000+0000",
            "custom_details": {"mountpoint": "/var", "used_pct": 97},
        },
        "client": "Zabbix",
    },
}
BEARER = {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"}


def post(client, url, body, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture(autouse=True)
def fresh_rate_windows():
    cache.clear()


@pytest.fixture
def mid_minute(monkeypatch):
    """Hold the clock the rate limiter reads mid-minute, so no test straddles two windows."""
    monkeypatch.setattr("opsdesk.events.ingest.clock", lambda: 1_800_000_030.0)


def test_generic_array_is_accepted_and_becomes_alerts(integration, sender):
    body = [
        {"summary": "CPU high", "severity": "critical", "dedup_key": "web-01/cpu", "x": 1},
        {"summary": "Disk", "severity": "warning", "resource": "db-01", "labels": {"a": "b"}},
    ]
    response = post(sender, "/api/events/ingest", body, **BEARER)
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 2}
    assert Event.objects.filter(state=EventState.PENDING).count() == 2
    events_process_all()
    assert sorted(Alert.objects.values_list("severity", flat=True)) == ["critical", "warning"]


def test_unlabelled_events_without_a_key_are_told_apart_by_what_they_say(integration, sender):
    body = [
        {"summary": "disk full", "resource": "db-01"},
        {"summary": "cpu high", "resource": "db-01"},
        {"summary": "disk full", "resource": "db-01"},
    ]
    assert post(sender, "/api/events/ingest", body, **BEARER).status_code == 202
    events_process_all()
    assert sorted(Alert.objects.values_list("summary", "count")) == [
        ("cpu high", 1),
        ("disk full", 2),
    ]


def test_generic_to_the_integrations_own_url_needs_no_header(integration, sender):
    response = post(
        sender, f"/api/events/integrations/{integration.token}/events", {"summary": "x"}
    )
    assert response.status_code == 202


def test_wrong_secret_or_token_is_refused_and_nothing_written(integration, sender):
    assert post(sender, "/api/events/ingest", {"summary": "x"}).status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Bearer nope"}
    assert post(sender, "/api/events/ingest", {"summary": "x"}, **bad).status_code == 401
    assert post(sender, "/api/events/integrations/nope/events", {"summary": "x"}).status_code == 401
    assert not Event.objects.exists()


def test_malformed_input_lists_every_problem_and_writes_nothing(integration, sender):
    body = [{"summary": "ok"}, {"severity": "loud"}, "nonsense", {"summary": "x", "action": "boom"}]
    response = post(sender, "/api/events/ingest", body, **BEARER)
    assert response.status_code == 400
    problems = response.json()["error"]["fields"]["body"]
    assert any("[1].summary" in p for p in problems)
    assert any("[1].severity" in p for p in problems)
    assert any("[2]" in p for p in problems)
    assert any("[3].action" in p for p in problems)
    assert not Event.objects.exists()


def test_body_that_is_not_json_gets_400(integration, sender):
    response = sender.post("/api/events/ingest", "{nope", content_type="application/json", **BEARER)
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_body_over_512_kb_is_refused(integration, sender):
    body = [{"summary": "x" * 1000, "labels": {"n": str(i)}} for i in range(600)]
    assert len(json.dumps(body)) > MAX_INGEST_BYTES
    response = post(sender, "/api/events/ingest", body, **BEARER)
    assert response.status_code == 413
    assert not Event.objects.exists()


def test_a_retried_delivery_creates_no_duplicates(integration, sender):
    body = [{"summary": "CPU", "dedup_key": "a"}, {"summary": "Disk", "dedup_key": "b"}]
    for _ in range(3):
        assert post(sender, "/api/events/ingest", body, **BEARER).status_code == 202
    assert Event.objects.count() == 2
    keyed = {"HTTP_IDEMPOTENCY_KEY": "delivery-42", **BEARER}
    post(sender, "/api/events/ingest", [{"summary": "one"}], **keyed)
    post(sender, "/api/events/ingest", [{"summary": "one, re-rendered"}], **keyed)
    assert Event.objects.count() == 3


def test_rate_limit_answers_429_with_retry_after(integration, sender, mid_minute):
    integration.rate_limit_per_minute = 3
    integration.save()
    body = [{"summary": "a"}, {"summary": "b"}]
    assert post(sender, "/api/events/ingest", body, **BEARER).status_code == 202
    response = post(sender, "/api/events/ingest", [{"summary": "c"}, {"summary": "d"}], **BEARER)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert Event.objects.count() == 2
    # What was refused does not count: one more event still fits this minute.
    assert post(sender, "/api/events/ingest", [{"summary": "e"}], **BEARER).status_code == 202


def test_alertmanager_webhook_and_grafana_variant(integration, sender):
    url = f"/api/events/integrations/{integration.token}/alertmanager"
    response = post(sender, url, SAMPLES["alertmanager"])
    assert response.status_code == 202, response.content
    events = {e.fingerprint: e for e in Event.objects.all()}
    firing, resolved = events["c6f2a1b3d4e5f607"], events["0a1b2c3d4e5f6789"]
    assert (firing.action, firing.severity, firing.resource) == ("trigger", "critical", "db-01")
    assert firing.ends_at is None  # 0001-01-01 means unset
    assert {"href": "http://grafana.example/d/1", "text": "Dashboard"} in firing.links
    assert resolved.action == "resolve"


def test_alertmanager_webhook_missing_alertname_is_refused(integration, sender):
    url = f"/api/events/integrations/{integration.token}/alertmanager"
    body = {"version": "4", "alerts": [{"status": "weird", "labels": {}}]}
    response = post(sender, url, body)
    problems = response.json()["error"]["fields"]["body"]
    assert response.status_code == 400
    assert any("alertname" in p for p in problems) and any("status" in p for p in problems)


def test_prometheus_posts_to_the_alertmanager_api_with_a_bearer_token(integration, sender):
    body = [
        {
            "labels": {"alertname": "HighCPU", "instance": "web-03:9100", "severity": "warning"},
            "annotations": {"summary": "CPU above 90%"},
            "startsAt": "2026-11-26T06:10:00Z",
        },
        {
            "labels": {"alertname": "Gone", "instance": "web-04:9100"},
            "endsAt": "2020-01-01T00:00:00Z",
        },
    ]
    response = post(sender, "/api/v2/alerts", body, **BEARER)
    assert response.status_code == 200
    cpu, gone = Event.objects.order_by("id")
    assert cpu.ends_at is not None  # firing until re-sending stops
    assert gone.action == "resolve"
    per_path = f"/api/events/integrations/{integration.token}/api/v2/alerts"
    assert post(sender, per_path, body).status_code == 200
    assert post(sender, "/api/v2/alerts", body).status_code == 401


def test_pagerduty_enqueue_answers_like_pagerduty(integration, sender):
    response = post(sender, "/v2/enqueue", SAMPLES["pagerduty"])
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "payroll/db-01/disk",
    }
    event = Event.objects.get()
    assert (event.severity, event.resource, event.labels["mountpoint"]) == (
        "critical",
        "db-01",
        "/var",
    )


def test_pagerduty_trigger_without_dedup_key_gets_one(integration, sender):
    body = {**SAMPLES["pagerduty"]}
    body.pop("dedup_key")
    response = post(sender, "/v2/enqueue", body)
    key = response.json()["dedup_key"]
    assert response.status_code == 202 and key
    assert Event.objects.get().fingerprint == key


def test_pagerduty_invalid_event_body(integration, sender):
    body = {"routing_key": SECRET, "event_action": "trigger", "payload": {"severity": "loud"}}
    response = post(sender, "/v2/enqueue", body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event"
    assert answer["message"] == "Event object is invalid"
    assert len(answer["errors"]) >= 3  # summary, source, severity
    unknown = post(sender, "/v2/enqueue", {**SAMPLES["pagerduty"], "routing_key": "x" * 32})
    assert unknown.status_code == 400
    assert unknown.json()["status"] == "invalid event"
    resolve = post(sender, "/v2/enqueue", {"routing_key": SECRET, "event_action": "resolve"})
    assert "'dedup_key' is required" in resolve.json()["errors"][0]


def test_pagerduty_rate_limit_answers_429(integration, sender, mid_minute):
    integration.rate_limit_per_minute = 1
    integration.save()
    assert post(sender, "/v2/enqueue", SAMPLES["pagerduty"]).status_code == 202
    body = {**SAMPLES["pagerduty"], "dedup_key": "other"}
    response = post(sender, "/v2/enqueue", body)
    assert response.status_code == 429
    assert response.json()["status"] == "throttle event"


def test_the_shared_samples_are_accepted(integration, sender):
    webhook = json.loads((FORMATS / "alertmanager-webhook-v4.json").read_text())
    api = json.loads((FORMATS / "alertmanager-api-v2-alerts.json").read_text())
    url = f"/api/events/integrations/{integration.token}/alertmanager"
    pagerduty = json.loads((FORMATS / "pagerduty-events-v2.json").read_text())
    assert post(sender, url, webhook).status_code == 202
    assert post(sender, "/api/v2/alerts", api, **BEARER).status_code == 200
    answer = post(sender, "/v2/enqueue", {**pagerduty, "routing_key": SECRET})
    assert answer.status_code == 202 and answer.json()["dedup_key"] == "payroll/db-01/disk"
    events_process_all()
    # HighCPU's endsAt is past; the disk alert from the PagerDuty sample is open.
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 2

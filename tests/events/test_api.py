"""The events API: admins configure, agents operate, requesters see nothing."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape, client_for
from opsdesk.core.testing.factories import admin, agent, requester
from opsdesk.events.models import (
    Alert,
    AlertStatus,
    Heartbeat,
    HeartbeatStatus,
    Integration,
    MaintenanceWindow,
    Rule,
)
from opsdesk.events.testing import IntegrationFactory, MaintenanceWindowFactory, RuleFactory
from tests.events.helpers import send_and_process

pytestmark = pytest.mark.django_db


class TestRuleAPI(APICrudSuite):
    basename = "event-rule"
    factory = RuleFactory
    create_data = {
        "name": "Page the DBAs",
        "conditions": [{"field": "labels.team", "op": "equals", "value": "dba"}],
        "actions": {"create_incident": True},
    }
    update_data = {"order": 5}
    invalid_data = {"conditions": [{"field": "nope", "op": "like"}]}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]


class TestIntegrationAPI(APICrudSuite):
    basename = "integration"
    factory = IntegrationFactory
    create_data = {"name": "Grafana", "format": "alertmanager"}
    update_data = {"description": "Grafana alerting"}
    invalid_data = {"format": "carrier-pigeon"}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]


def test_rules_and_windows_are_deleted_through_the_api_with_an_audit_entry(db):
    starts = timezone.now()
    rule = RuleFactory()
    window = MaintenanceWindowFactory(starts_at=starts, ends_at=starts + timedelta(hours=1))
    refused = client_for(agent()).delete(f"/api/events/rules/{rule.pk}/")
    assert refused.status_code == 403
    assert client_for(admin()).delete(f"/api/events/rules/{rule.pk}/").status_code == 204
    window_url = f"/api/events/maintenance-windows/{window.pk}/"
    assert client_for(agent()).delete(window_url).status_code == 204
    assert not Rule.objects.exists() and not MaintenanceWindow.objects.exists()
    assert AuditEntry.objects.filter(action__endswith=".deleted").count() == 2


def test_integration_secret_is_shown_once_and_works(db):
    cache.clear()
    response = client_for(admin()).post(
        "/api/events/integrations/", {"name": "Zabbix", "format": "pagerduty"}, format="json"
    )
    secret = response.json()["secret"]
    assert len(secret) == 32
    integration = Integration.objects.get(name="Zabbix")
    assert secret not in integration.secret_hash
    again = client_for(agent()).get(f"/api/events/integrations/{integration.pk}/")
    assert again.json()["secret"] is None
    sent = APIClient().post(
        "/v2/enqueue",
        {
            "routing_key": secret,
            "event_action": "trigger",
            "payload": {"summary": "x", "source": "y", "severity": "info"},
        },
        format="json",
    )
    assert sent.status_code == 202


def test_rule_dry_run_shows_what_would_happen_and_writes_nothing(integration):
    RuleFactory(
        name="DBA pages",
        conditions=[{"field": "labels.team", "op": "equals", "value": "dba"}],
        actions={"create_incident": True},
    )
    body = {
        "integration": integration.pk,
        "payload": [{"summary": "Disk", "labels": {"team": "dba"}}, {"summary": "Other"}],
    }
    response = client_for(agent()).post("/api/events/rules/test/", body, format="json")
    assert response.status_code == 200, response.content
    first, second = response.json()["events"]
    assert first["matched_rules"] == ["DBA pages"]
    assert "opens or joins an incident" in first["outcome"]
    assert second["matched_rules"] == []
    assert first["labels"] == {"team": "dba"}


def test_dry_run_adds_up_the_recipients_of_every_matching_rule(integration):
    RuleFactory(name="Ops hears", actions={"notify": ["ops@example.com"]})
    RuleFactory(name="DBA hears", actions={"notify": ["dba@example.com", "ops@example.com"]})
    body = {"integration": integration.pk, "payload": {"summary": "Disk"}}
    response = client_for(agent()).post("/api/events/rules/test/", body, format="json")
    (event,) = response.json()["events"]
    assert event["actions"]["notify"] == ["ops@example.com", "dba@example.com"]
    assert "notifies ops@example.com, dba@example.com" in event["outcome"]
    assert not Alert.objects.exists()
    assert (
        client_for(requester()).post("/api/events/rules/test/", body, format="json").status_code
        == 403
    )


def test_operator_acknowledges_resolves_and_a_refused_move_is_409_free_400(integration):
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k"})
    alert = Alert.objects.get()
    client = client_for(agent())
    url = f"/api/events/alerts/{alert.pk}/act/"
    assert (
        client.post(url, {"action": "acknowledge"}, format="json").json()["status"]
        == "acknowledged"
    )
    refused = client.post(url, {"action": "acknowledge"}, format="json")
    assert_error_shape(refused, 400, field="status")
    assert client.post(url, {"action": "resolve"}, format="json").json()["status"] == "resolved"
    assert (
        client_for(requester()).post(url, {"action": "suppress"}, format="json").status_code == 403
    )


def test_alert_list_filters_by_status(integration):
    send_and_process(
        integration, {"summary": "a", "dedup_key": "a"}, {"summary": "b", "dedup_key": "b"}
    )
    Alert.objects.filter(fingerprint="b").update(status=AlertStatus.RESOLVED)
    rows = client_for(agent()).get("/api/events/alerts/?status=open").json()["results"]
    assert [r["fingerprint"] for r in rows] == ["a"]


def test_heartbeat_check_ins_fail_and_recover(db):
    cache.clear()
    response = client_for(admin()).post(
        "/api/events/heartbeats/",
        {"name": "Nightly backup", "interval_seconds": 3600},
        format="json",
    )
    assert response.status_code == 201, response.content
    heartbeat = Heartbeat.objects.get()
    job = APIClient()
    assert job.post(f"/api/heartbeats/{heartbeat.token}/start").status_code == 200
    assert job.post(f"/api/heartbeats/{heartbeat.token}/fail").status_code == 200
    from opsdesk.events.processing import events_process_all

    events_process_all()
    assert Alert.objects.get(fingerprint=heartbeat.fingerprint).status == AlertStatus.OPEN
    assert job.get(f"/api/heartbeats/{heartbeat.token}").status_code == 200
    events_process_all()
    heartbeat.refresh_from_db()
    assert heartbeat.status == HeartbeatStatus.UP
    assert heartbeat.last_duration_seconds is not None
    assert Alert.objects.get(fingerprint=heartbeat.fingerprint).status == AlertStatus.RESOLVED
    assert job.post("/api/heartbeats/unknown").status_code == 404


def test_missed_heartbeat_raises_an_event(db):
    from datetime import timedelta

    from django.utils import timezone

    from opsdesk.events.heartbeats import heartbeat_create, heartbeats_check_missed
    from opsdesk.events.processing import events_process_all

    heartbeat_create(actor=None, name="Payroll batch", interval_seconds=3600, grace_seconds=600)
    assert heartbeats_check_missed() == 0
    assert heartbeats_check_missed(now=timezone.now() + timedelta(hours=2)) == 1
    assert heartbeats_check_missed(now=timezone.now() + timedelta(hours=3)) == 0
    events_process_all()
    assert Alert.objects.get().summary == "Payroll batch did not check in"

"""Alerts open, join and resolve incidents as the rules say, with the CMDB's help."""

import pytest
from django.core.cache import cache

from opsdesk.core.models import AuditEntry
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.timeline import timeline_for
from opsdesk.events.models import hash_secret
from opsdesk.events.testing import SECRET, IntegrationFactory, RuleFactory
from opsdesk.incidents.models import Incident, IncidentAlert, State
from tests.cmdb.factories import CIFactory, link
from tests.events.helpers import send_and_process

pytestmark = pytest.mark.django_db


@pytest.fixture
def integration(db):
    cache.clear()
    return IntegrationFactory(name="Prometheus", secret_hash=hash_secret(SECRET))


def fire(integration, **event):
    send_and_process(integration, {"summary": "Down", **event})
    outbox_deliver_due()


def test_a_critical_alert_on_a_critical_ci_opens_a_p1_for_its_team(integration):
    ci = CIFactory(name="db-01", criticality=1)
    RuleFactory(actions={"map_ci_from_label": "instance", "create_incident": True})
    fire(integration, severity="critical", dedup_key="db", labels={"instance": "db-01:9100"})
    incident = Incident.objects.get()
    assert (incident.channel, incident.priority, incident.ci) == ("event", 1, ci)
    assert incident.assignment_group == ci.supporting_team
    assert incident.caller.username == "monitoring"
    assert IncidentAlert.objects.get().role == "origin"


def test_without_an_incident_rule_no_incident_is_opened(integration):
    fire(integration, severity="critical", dedup_key="db")
    assert not Incident.objects.exists()


def test_a_fact_whose_alerts_want_no_incident_reads_nothing_back(integration):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsdesk.flows.events_to_incidents import alert_to_incident

    payload = {"alerts": [{"alert_id": 1, "actions": {}}, {"alert_id": 2, "actions": None}]}
    with CaptureQueriesContext(connection) as queries:
        alert_to_incident(event_id=0, topic="alert.opened", payload=payload)
    assert len(queries) == 0


def test_repeats_and_redelivery_open_one_incident(integration):
    RuleFactory(actions={"create_incident": True})
    for _ in range(3):
        fire(integration, severity="critical", dedup_key="db")
    assert Incident.objects.count() == 1


def test_correlation_attaches_to_the_open_incident_of_the_same_group(integration):
    RuleFactory(actions={"create_incident": True, "correlate": {"by": "group_key"}})
    fire(integration, dedup_key="a", group_key="payroll")
    fire(integration, dedup_key="b", group_key="payroll")
    fire(integration, dedup_key="c", group_key="mail")
    assert Incident.objects.count() == 2
    roles = sorted(IncidentAlert.objects.values_list("role", flat=True))
    assert roles == ["correlated", "origin", "origin"]


def test_a_correlated_alert_is_on_the_incident_timeline_and_audited(integration):
    RuleFactory(actions={"create_incident": True, "correlate": {"by": "group_key"}})
    fire(integration, dedup_key="a", group_key="payroll", summary="Payroll API slow")
    fire(integration, dedup_key="b", group_key="payroll", summary="Payroll DB replica lag")
    incident = Incident.objects.get()
    lines = [e.body for e in timeline_for(record=incident)]
    assert "Alert correlated: Payroll DB replica lag." in lines
    assert not any("Payroll API slow" in line and "correlated" in line for line in lines)
    linked = AuditEntry.objects.filter(action="incident.alert_linked", object_id=str(incident.pk))
    assert sorted(e.changes["role"]["to"] for e in linked) == ["correlated", "origin"]


def test_cmdb_inhibition_makes_dependants_symptoms(integration):
    san = CIFactory(name="san-01")
    vm = CIFactory(name="vm-01")
    link(vm, "depends_on", san)
    RuleFactory(actions={"map_ci_from_label": "instance", "create_incident": True})
    fire(integration, severity="critical", dedup_key="san", labels={"instance": "san-01"})
    fire(integration, severity="major", dedup_key="vm", labels={"instance": "vm-01"})
    incident = Incident.objects.get()
    assert incident.ci == san
    assert IncidentAlert.objects.get(alert__fingerprint="vm").role == "symptom"


def test_incident_resolves_when_every_alert_has_cleared(integration):
    RuleFactory(actions={"create_incident": True, "correlate": {"by": "group_key"}})
    fire(integration, dedup_key="a", group_key="g")
    fire(integration, dedup_key="b", group_key="g")
    fire(integration, dedup_key="a", group_key="g", action="resolve")
    assert Incident.objects.get().state == State.NEW
    fire(integration, dedup_key="b", group_key="g", action="resolve")
    incident = Incident.objects.get()
    assert incident.state == State.RESOLVED
    assert "cleared" in incident.resolution_notes


def test_auto_resolve_never_keeps_the_incident_open(integration):
    RuleFactory(actions={"create_incident": True, "auto_resolve": "never"})
    fire(integration, dedup_key="a")
    fire(integration, dedup_key="a", action="resolve")
    assert Incident.objects.get().state == State.NEW


def test_suppressed_alert_opens_no_incident(integration):
    RuleFactory(actions={"create_incident": True, "suppress": True})
    fire(integration, dedup_key="a", severity="critical")
    assert not Incident.objects.exists()


def test_alerts_of_one_batch_each_open_their_incident(integration):
    RuleFactory(actions={"create_incident": True})
    send_and_process(
        integration, *[{"summary": f"Down {i}", "dedup_key": f"k{i}"} for i in range(5)]
    )
    outbox_deliver_due()
    assert Incident.objects.count() == 5
    assert IncidentAlert.objects.filter(role="origin").count() == 5


def test_one_alert_that_fails_does_not_hold_up_the_others_of_its_batch(integration, monkeypatch):
    from opsdesk.core.models import OutboxEvent
    from opsdesk.flows import events_to_incidents

    RuleFactory(actions={"create_incident": True})
    real_open = events_to_incidents._open_incident

    def open_or_fail(alert, options):
        if alert.fingerprint == "bad":
            raise RuntimeError("assignment group lookup failed")
        return real_open(alert, options)

    monkeypatch.setattr(events_to_incidents, "_open_incident", open_or_fail)
    send_and_process(
        integration, *[{"summary": k, "dedup_key": k} for k in ("good-1", "bad", "good-2")]
    )
    outbox_deliver_due()
    assert sorted(Incident.objects.values_list("short_description", flat=True)) == [
        "good-1",
        "good-2",
    ]
    retry = OutboxEvent.objects.get(topic="alert.opened", status="pending")
    assert [a["fingerprint"] for a in retry.payload["alerts"]] == ["bad"]

    monkeypatch.setattr(events_to_incidents, "_open_incident", real_open)
    OutboxEvent.objects.filter(pk=retry.pk).update(next_attempt_at=retry.created_at)
    outbox_deliver_due()
    assert Incident.objects.count() == 3


def _alert_history(alert_id):
    from opsdesk.core.models import AuditEntry

    return list(
        AuditEntry.objects.filter(object_type="events.alert", object_id=str(alert_id))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_an_alert_firing_again_reopens_its_resolved_incident(integration):
    RuleFactory(actions={"create_incident": True})
    fire(integration, dedup_key="a", severity="critical")
    fire(integration, dedup_key="a", action="resolve")
    incident = Incident.objects.get()
    assert incident.state == State.RESOLVED
    fire(integration, dedup_key="a", severity="critical")
    incident = Incident.objects.get()
    assert incident.state == State.IN_PROGRESS
    link = IncidentAlert.objects.get()
    assert link.incident == incident
    assert "alert.incident_reopened" in _alert_history(link.alert_id)
    from django.test import Client

    from opsdesk.core.testing.factories import agent

    client = Client()
    client.force_login(agent())
    html = client.get(f"/events/alerts/{link.alert_id}/").content.decode()
    assert f"Fired again: reopened incident {incident.number}" in html
    assert "<td>Trigger</td><td>Critical</td>" in html  # labels, not stored values


def test_an_alert_firing_again_after_the_reopen_period_opens_a_new_incident(integration, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.OPSDESK_INCIDENT_REOPEN_DAYS = 2
    RuleFactory(actions={"create_incident": True})
    fire(integration, dedup_key="a", severity="critical")
    fire(integration, dedup_key="a", action="resolve")
    first = Incident.objects.get()
    Incident.objects.filter(pk=first.pk).update(resolved_at=timezone.now() - timedelta(days=3))
    fire(integration, dedup_key="a", severity="critical")
    assert Incident.objects.count() == 2
    second = Incident.objects.exclude(pk=first.pk).get()
    assert second.state == State.NEW
    assert Incident.objects.get(pk=first.pk).state == State.RESOLVED
    link = IncidentAlert.objects.get()
    assert (link.incident, link.role) == (second, "origin")
    assert "alert.incident_opened" in _alert_history(link.alert_id)
    from opsdesk.events.selectors import alert_history

    texts = [item["text"] for item in alert_history(alert=link.alert)]
    assert (
        f"Fired again after incident {first.number} could not be reopened: "
        f"opened incident {second.number}"
    ) in texts

"""Processing: events become de-duplicated alerts; rules, CMDB mapping, maintenance, flapping."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.events.models import Alert, AlertStatus, Event, EventState
from opsdesk.events.planning import window_active
from opsdesk.events.processing import alerts_expire, alerts_settle, events_process_pending
from opsdesk.events.testing import MaintenanceWindowFactory, RuleFactory
from tests.cmdb.factories import CIFactory
from tests.events.helpers import send, send_and_process

pytestmark = pytest.mark.django_db


def test_repeats_of_one_alert_deduplicate_into_one_with_a_count(integration):
    for severity in ("warning", "critical", "minor"):
        send(integration, {"summary": "Disk", "dedup_key": "db-01/disk", "severity": severity})
    assert events_process_pending(limit=1000) == 3
    alert = Alert.objects.get()
    assert alert.count == 3
    assert (alert.severity, alert.highest_severity) == ("minor", "critical")
    assert set(Event.objects.values_list("alert", flat=True)) == {alert.pk}
    assert not Event.objects.filter(state=EventState.PENDING).exists()


def test_resolve_clears_and_a_later_trigger_opens_a_new_alert(integration):
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k"})
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k", "action": "resolve"})
    first = Alert.objects.get()
    assert first.status == AlertStatus.RESOLVED and first.resolved_at
    Alert.objects.filter(pk=first.pk).update(resolved_at=timezone.now() - timedelta(hours=1))
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k"})
    assert Alert.objects.filter(status=AlertStatus.OPEN).exclude(pk=first.pk).count() == 1


def test_acknowledge_event_acknowledges(integration):
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k"})
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k", "action": "acknowledge"})
    assert Alert.objects.get().status == AlertStatus.ACKNOWLEDGED


def test_a_batch_is_bounded_and_the_rest_waits(integration):
    send(integration, *[{"summary": f"a{i}", "dedup_key": f"k{i}"} for i in range(5)])
    assert events_process_pending(limit=2) == 2
    assert Event.objects.filter(state=EventState.PENDING).count() == 3


def test_alerts_prometheus_stops_resending_clear_after_their_end(integration):
    send_and_process(integration, {"summary": "CPU", "dedup_key": "cpu"})
    Alert.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert alerts_expire() == 1
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_flapping_alert_is_flagged_and_settles(integration):
    for action in ("trigger", "resolve") * 3:
        send_and_process(integration, {"summary": "Link", "dedup_key": "link", "action": action})
    alert = Alert.objects.get()
    assert alert.flapping
    assert alerts_settle(now=timezone.now() + timedelta(minutes=11)) == 1
    assert not Alert.objects.get().flapping


def test_drop_rule_drops_and_severity_rule_overrides(integration):
    RuleFactory(
        conditions=[{"field": "labels.env", "op": "equals", "value": "dev"}],
        actions={"drop": True},
    )
    RuleFactory(
        conditions=[{"field": "summary", "op": "regex", "value": "^Disk"}],
        actions={"set_severity": "critical", "add_labels": {"team": "dba"}},
    )
    send_and_process(
        integration,
        {"summary": "Disk full", "labels": {"env": "dev"}, "dedup_key": "dev"},
        {"summary": "Disk full", "labels": {"env": "prod"}, "dedup_key": "prod"},
    )
    assert Event.objects.filter(state=EventState.DROPPED).count() == 1
    alert = Alert.objects.get()
    assert alert.severity == "critical"
    assert alert.labels == {"env": "prod", "team": "dba"}


def test_rule_maps_the_instance_label_to_a_ci(integration):
    ci = CIFactory(name="db-01")
    RuleFactory(actions={"map_ci_from_label": "instance"})
    send_and_process(integration, {"summary": "Disk", "labels": {"instance": "DB-01:9100"}})
    assert Alert.objects.get().ci == ci


def test_conditions_on_the_mapped_ci_match(integration):
    ci = CIFactory(name="db-01")
    RuleFactory(order=1, actions={"map_ci_from_label": "instance"})
    RuleFactory(
        order=2,
        conditions=[{"field": "ci", "op": "equals", "value": "db-01"}],
        actions={"route_to_team": ci.supporting_team_id},
    )
    send_and_process(integration, {"summary": "Disk", "labels": {"instance": "db-01:9100"}})
    assert Alert.objects.get().team_id == ci.supporting_team_id


def test_maintenance_window_keeps_events_but_suppresses(integration):
    MaintenanceWindowFactory(
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=timezone.now() + timedelta(hours=1),
        label_matchers={"env": "staging"},
    )
    send_and_process(
        integration,
        {"summary": "Disk", "labels": {"env": "staging"}, "dedup_key": "s"},
        {"summary": "Disk", "labels": {"env": "prod"}, "dedup_key": "p"},
    )
    suppressed = Alert.objects.get(fingerprint="s")
    assert suppressed.status == AlertStatus.SUPPRESSED
    assert "maintenance" in suppressed.suppressed_by
    assert Event.objects.filter(state=EventState.SUPPRESSED).count() == 1
    assert Alert.objects.get(fingerprint="p").status == AlertStatus.OPEN


def test_weekly_window_recurs():
    start = timezone.now() - timedelta(days=14, minutes=30)
    window = MaintenanceWindowFactory.build(
        starts_at=start, ends_at=start + timedelta(hours=1), weekly=True
    )
    assert window_active(window, timezone.now())
    assert not window_active(window, timezone.now() + timedelta(hours=2))


def test_a_processed_event_is_never_processed_again(integration):
    send_and_process(integration, {"summary": "Disk", "dedup_key": "k"})
    assert events_process_pending() == 0
    assert Alert.objects.get().count == 1


def test_a_batch_of_new_alerts_is_announced_in_one_fact_listing_them_all(integration):
    from opsdesk.core.models import OutboxEvent

    send_and_process(integration, *[{"summary": f"a{i}", "dedup_key": f"k{i}"} for i in range(150)])
    fact = OutboxEvent.objects.get(topic="alert.opened")
    alerts = fact.payload["alerts"]
    assert len(alerts) == 150
    assert {a["alert_id"] for a in alerts} == set(Alert.objects.values_list("id", flat=True))
    assert alerts[0]["summary"] == "a0"


def test_repeats_in_later_batches_update_the_alert_they_belong_to(integration):
    send_and_process(integration, *[{"summary": f"a{i}", "dedup_key": f"k{i}"} for i in range(50)])
    for _ in range(2):
        send_and_process(
            integration,
            *[
                {"summary": f"a{i} again", "dedup_key": f"k{i}", "labels": {"n": "2"}}
                for i in range(50)
            ],
        )
    assert Alert.objects.count() == 50
    alert = Alert.objects.get(fingerprint="k7")
    assert (alert.count, alert.summary, alert.labels) == (3, "a7 again", {"n": "2"})
    assert set(Event.objects.values_list("state", flat=True)) == {EventState.PROCESSED}

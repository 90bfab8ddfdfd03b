"""Demo event management: integrations, rules, a maintenance window, heartbeats, alerts."""

import random
from datetime import timedelta

from django.utils import timezone

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.models import Team
from opsdesk.events import services
from opsdesk.events.heartbeats import heartbeat_create
from opsdesk.events.ingest import events_accept
from opsdesk.events.models import Alert, Format, Heartbeat, Integration, MaintenanceWindow, Rule
from opsdesk.events.normalise import read_generic
from opsdesk.events.processing import events_process_all

INTEGRATIONS = [
    ("Prometheus", Format.PROMETHEUS),
    ("Alertmanager", Format.ALERTMANAGER),
    ("Zabbix (PagerDuty)", Format.PAGERDUTY),
    ("Custom scripts", Format.GENERIC),
]
CHECKS = [
    ("DiskFull", "Disk almost full", "critical"),
    ("HighCPU", "CPU above 90% for 10 minutes", "warning"),
    ("HighMemory", "Memory above 95%", "major"),
    ("ServiceDown", "Service not responding", "critical"),
    ("CertExpiry", "Certificate expires in 14 days", "minor"),
    ("SlowQueries", "Slow queries above threshold", "warning"),
]
HEARTBEATS = [
    ("Nightly database backup", 86400, 3600),
    ("Payroll batch run", 86400, 1800),
    ("SFTP transfer to bank", 3600, 600),
    ("Weekly tape rotation", 7 * 86400, 6 * 3600),
]


def load(*, progress) -> None:
    for name, fmt in INTEGRATIONS:
        if not Integration.objects.filter(name=name).exists():
            services.integration_create(actor=None, name=name, format=fmt)
    progress("events: integrations ready")
    if not Rule.objects.exists():
        ops = Team.objects.filter(name="IT Operations Centre").first()
        services.rule_create(
            actor=None,
            name="Map the instance label to its CI",
            order=10,
            actions={"map_ci_from_label": "instance"},
        )
        services.rule_create(
            actor=None,
            name="Drop info noise from test systems",
            order=20,
            conditions=[
                {"field": "severity", "op": "equals", "value": "info"},
                {"field": "labels.env", "op": "in", "value": ["test", "dev"]},
            ],
            actions={"drop": True},
            stop=True,
        )
        services.rule_create(
            actor=None,
            name="Critical and major alerts open incidents, correlated per service",
            order=30,
            conditions=[{"field": "severity", "op": "in", "value": ["critical", "major"]}],
            actions={
                "create_incident": True,
                "correlate": {"by": "group_key", "window_minutes": 60},
                "auto_resolve": "on_clear",
                **({"route_to_team": ops.pk} if ops else {}),
            },
        )
        progress("events: rules added")
    if not MaintenanceWindow.objects.exists():
        start = timezone.now().replace(minute=0, second=0, microsecond=0)
        services.window_create(
            actor=None,
            name="Weekly patching of staging",
            starts_at=start - timedelta(hours=1),
            ends_at=start + timedelta(hours=3),
            weekly=True,
            label_matchers={"env": "staging"},
        )
    for name, interval, grace in HEARTBEATS:
        if not Heartbeat.objects.filter(name=name).exists():
            heartbeat_create(actor=None, name=name, interval_seconds=interval, grace_seconds=grace)
    progress("events: maintenance window and heartbeats ready")
    if Alert.objects.exists():
        return
    rng = random.Random(5)
    hosts = list(
        ConfigurationItem.objects.exclude(ci_class__key="business_service").values_list(
            "name", flat=True
        )[:40]
    ) or [f"srv-{n:02d}" for n in range(40)]
    integration = Integration.objects.get(name="Custom scripts")
    raw = []
    for n in range(300):
        check, summary, severity = rng.choice(CHECKS)
        host = rng.choice(hosts)
        raw.append(
            {
                "summary": f"{summary} on {host}",
                "severity": severity,
                "resource": host,
                "check": check,
                "dedup_key": f"{host}/{check}",
                "group_key": host,
                "action": "resolve" if n % 7 == 0 else "trigger",
                "labels": {
                    "instance": f"{host}:9100",
                    "alertname": check,
                    "env": rng.choice(["production", "production", "staging", "test"]),
                },
            }
        )
    events, _ = read_generic(raw)
    events_accept(integration=integration, events=events, body=b"demo")
    events_process_all()
    progress(f"events: {Alert.objects.count()} alerts from {len(raw)} events")

"""Demo event management: integrations, rules, a maintenance window, heartbeats, alerts.

Monitoring watches the CMDB's infrastructure, each CI for what can go wrong with its class
(disks on servers, replication on databases, toner on printers), and each alert names its CI.
Most checks fired and cleared; the ones still firing are part of the week's story (see
``opsdesk.core.demo``). Staging and test systems outside the CMDB send the rest: staging is in
its patching window, test's info noise is dropped.
"""

import random
from datetime import timedelta

from django.utils import timezone

from opsdesk.cmdb.models import ConfigurationItem
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
# What monitoring watches on each class of CI: (check, what the alert says, severity).
CHECKS = {
    "server": [
        ("HostDown", "Host not responding", "critical"),
        ("HighCPU", "CPU above 90% for 10 minutes", "warning"),
        ("HighMemory", "Memory above 95%", "major"),
        ("DiskFull", "Disk almost full", "major"),
    ],
    "virtual_machine": [
        ("InstanceDown", "Not responding", "critical"),
        ("HighCPU", "CPU above 90% for 10 minutes", "warning"),
        ("HighMemory", "Memory above 95%", "major"),
        ("DiskFull", "Disk almost full", "major"),
    ],
    "database": [
        ("SlowQueries", "Slow queries above threshold", "warning"),
        ("ReplicationLag", "Replication lag above 60 seconds", "major"),
        ("TablespaceFull", "Tablespace almost full", "major"),
        ("BackupFailed", "Nightly backup failed", "major"),
    ],
    "application": [
        ("HealthCheckFailed", "Health check failing", "critical"),
        ("HighErrorRate", "Error rate above 5%", "major"),
        ("HighLatency", "Response time above 2 seconds", "warning"),
        ("CertExpiry", "Certificate expires in 14 days", "minor"),
    ],
    "network_device": [
        ("InterfaceDown", "Uplink interface down", "critical"),
        ("PacketLoss", "Packet loss above 2%", "warning"),
        ("HighCPU", "CPU above 90% for 10 minutes", "warning"),
    ],
    "storage": [
        ("VolumeFull", "Volume almost full", "major"),
        ("DiskPredictedFailure", "A disk is predicted to fail", "minor"),
    ],
    "container_platform": [
        ("NodeNotReady", "A node is not ready", "major"),
        ("PodCrashLooping", "Pods restarting repeatedly", "warning"),
    ],
    "other": [("OnBattery", "Running on battery", "critical")],  # the UPS
    "endpoint": [("TonerLow", "Toner low", "minor")],  # printers report over SNMP
}
# Alerts still firing this week (see the story in opsdesk.core.demo): the major incident at the
# store's checkout, a mail server filling up, month end on the ERP database, the small stuff.
STILL_FIRING = [
    ("payment-gateway-adapter", "HighErrorRate"),
    ("store-checkout", "HighLatency"),
    ("vm-mail-02", "DiskFull"),
    ("db-erp", "SlowQueries"),
    ("esx-lon-03", "HighCPU"),
    ("san-man-01", "DiskPredictedFailure"),
    ("lon-print-3f", "TonerLow"),
]
KEYS = 60  # distinct checks that fired and cleared
# Systems outside the CMDB: staging, quiet while it is patched; test, whose info noise is dropped.
STAGING = ["stg-store-01", "stg-erp-01"]
TEST = ["test-runner-01"]
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
            # No team named: the incident goes to the group that supports the alert's CI.
            name="Critical and major alerts open incidents, correlated per system",
            order=30,
            conditions=[{"field": "severity", "op": "in", "value": ["critical", "major"]}],
            actions={
                "create_incident": True,
                "correlate": {"by": "group_key", "window_minutes": 60},
                "auto_resolve": "on_clear",
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
    raw = _events(random.Random(5), _monitored())
    integration = Integration.objects.get(name="Custom scripts")
    events, _ = read_generic(raw)
    events_accept(integration=integration, events=events, body=b"demo")
    events_process_all()
    progress(f"events: {Alert.objects.count()} alerts from {len(raw)} events")


def _monitored() -> dict[str, str]:
    """CI name -> class key, for every CI monitoring watches (printers, not the kiosk)."""
    rows = ConfigurationItem.objects.filter(ci_class__key__in=list(CHECKS)).values_list(
        "name", "ci_class__key"
    )
    return {name: key for name, key in sorted(rows) if key != "endpoint" or "-print-" in name}


def _event(host, check, severity, summary, action, env="production") -> dict:
    return {
        "summary": f"{summary} on {host}",
        "severity": severity,
        "resource": host,
        "check": check,
        "dedup_key": f"{host}/{check}",
        "group_key": host,
        "action": action,
        "labels": {"instance": host, "alertname": check, "env": env},
    }


def _events(rng, monitored: dict[str, str]) -> list[dict]:
    """Checks that fired, repeated while they lasted and mostly cleared, in the order sent."""
    checks = {
        check: (summary, severity) for rows in CHECKS.values() for check, summary, severity in rows
    }
    keys: dict[tuple[str, str], bool] = {}
    for host, check in STILL_FIRING:
        if host in monitored:
            keys[(host, check)] = False
    names = list(monitored)
    while names and len(keys) < KEYS + len(STILL_FIRING):
        host = rng.choice(names)
        check = rng.choice(CHECKS[monitored[host]])[0]
        keys.setdefault((host, check), True)
    timed = []
    for (host, check), clears in keys.items():
        summary, severity = checks[check]
        moment = rng.uniform(0, 100)
        for _ in range(rng.randint(1, 6)):
            timed.append((moment, _event(host, check, severity, summary, "trigger")))
            moment += rng.uniform(1, 5)
        if clears:
            timed.append(
                (moment + rng.uniform(1, 30), _event(host, check, severity, summary, "resolve"))
            )
    for host in STAGING:
        for check in ("HighCPU", "InstanceDown"):
            summary, severity = checks[check]
            for _ in range(rng.randint(3, 6)):
                event = _event(host, check, severity, summary, "trigger", env="staging")
                timed.append((rng.uniform(0, 100), event))
    for host in TEST:
        for _ in range(8):
            event = _event(
                host, "HighCPU", "info", "CPU busy during a test run", "trigger", env="test"
            )
            timed.append((rng.uniform(0, 100), event))
    timed.sort(key=lambda pair: pair[0])
    return [event for _, event in timed]

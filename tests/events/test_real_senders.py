"""The real Prometheus and Alertmanager, unchanged, send to opsdesk (when they are installed).

Each test starts the program on 127.0.0.1 with a configuration that points at opsdesk's live
server, makes it fire (and clear) an alert, and waits for opsdesk to have the alert. Debian's
packages: prometheus and prometheus-alertmanager.
"""

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opsdesk.core.testing.peers import peer_marker
from opsdesk.events.models import Alert, AlertStatus, Event, Format, hash_secret
from opsdesk.events.testing import IntegrationFactory

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
PROMETHEUS = shutil.which("prometheus")
WAIT = 60  # seconds a real sender may take to deliver; a pass takes a few


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, check, proc: subprocess.Popen, log: Path):
    """Poll opsdesk until ``check()`` is truthy: the sender works on its own clock."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if result := check():
            return result
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[0]} exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    pytest.fail(f"{what} did not arrive within {WAIT} s; sender log: {log.read_text()[-2000:]}")


@pytest.fixture
def run(tmp_path):
    """Start a program in the background, stopped at the end of the test."""
    procs = []

    def start(args: list[str], ready_url: str) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{Path(args[0]).name}.log"
        proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        procs.append(proc)
        wait_for("readiness", lambda: _answers(ready_url), proc, log)
        return proc, log

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _post_json(url: str, body) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def _alert(**filters):
    def check():
        return Alert.objects.filter(**filters).first()

    return check


@peer_marker("Alertmanager", None if ALERTMANAGER else "apt install prometheus-alertmanager")
def test_alertmanager_webhook_opens_and_clears_an_alert(
    django_db_serialized_rollback, transactional_db, live_server, tmp_path, run
):
    integration = IntegrationFactory(
        name="Alertmanager", format=Format.ALERTMANAGER, secret_hash=hash_secret("am")
    )
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        json.dumps(  # YAML is a superset of JSON
            {
                "route": {
                    "receiver": "opsdesk",
                    "group_by": ["alertname"],
                    "group_wait": "0s",
                    "group_interval": "1s",
                    "repeat_interval": "1h",
                },
                "receivers": [
                    {
                        "name": "opsdesk",
                        "webhook_configs": [
                            {
                                "url": f"{live_server.url}/api/events/integrations/"
                                f"{integration.token}/alertmanager",
                                "send_resolved": True,
                            }
                        ],
                    }
                ],
            }
        )
    )
    base = f"http://127.0.0.1:{port}"
    proc, log = run(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        f"{base}/-/ready",
    )
    labels = {"alertname": "DiskFull", "instance": "db-01:9100", "severity": "critical"}
    firing = {
        "labels": labels,
        "annotations": {"summary": "Disk almost full on db-01"},
        "startsAt": datetime.now(UTC).isoformat(),
        "generatorURL": "http://prometheus.example/graph",
    }
    assert _post_json(f"{base}/api/v2/alerts", [firing]) == 200

    alert = wait_for("the firing alert", _alert(check_name="DiskFull"), proc, log)
    assert (alert.severity, alert.resource, alert.status) == ("critical", "db-01", "open")
    assert alert.summary == "Disk almost full on db-01"
    assert alert.labels == labels
    # Alertmanager's own fingerprint identifies it, so its resolve finds the same alert.
    event = Event.objects.filter(alert=alert).first()
    assert event.payload["fingerprint"] == alert.fingerprint

    cleared = {**firing, "endsAt": datetime.now(UTC).isoformat()}
    assert _post_json(f"{base}/api/v2/alerts", [cleared]) == 200
    wait_for("the resolve", _alert(pk=alert.pk, status=AlertStatus.RESOLVED), proc, log)
    assert Alert.objects.count() == 1


@peer_marker("Prometheus", None if PROMETHEUS else "apt install prometheus")
def test_prometheus_sends_its_alerts_straight_to_opsdesk(
    django_db_serialized_rollback, transactional_db, live_server, tmp_path, run
):
    integration = IntegrationFactory(
        name="Prometheus", format=Format.PROMETHEUS, secret_hash=hash_secret("prom")
    )
    live_port = live_server.url.rsplit(":", 1)[1]
    rules = tmp_path / "rules.yml"
    rules.write_text(
        json.dumps(
            {
                "groups": [
                    {
                        "name": "opsdesk",
                        "interval": "1s",
                        "rules": [
                            {
                                "alert": "InstanceDown",
                                "expr": "vector(1)",
                                "labels": {"severity": "major", "instance": "web-07:9100"},
                                "annotations": {"summary": "web-07 stopped answering"},
                            }
                        ],
                    }
                ]
            }
        )
    )
    config = tmp_path / "prometheus.yml"
    config.write_text(
        json.dumps(
            {
                "global": {"evaluation_interval": "1s"},
                "rule_files": [str(rules)],
                "alerting": {
                    "alertmanagers": [
                        {
                            # Prometheus posts to <path_prefix>/api/v2/alerts, unchanged.
                            "static_configs": [{"targets": [f"127.0.0.1:{live_port}"]}],
                            "path_prefix": f"/api/events/integrations/{integration.token}",
                            "api_version": "v2",
                        }
                    ]
                },
            }
        )
    )
    port = free_port()
    proc, log = run(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            # Its first send can come before it has found the receiver, and is dropped; the
            # next one waits for the resend delay (a minute by default).
            "--rules.alert.resend-delay=1s",
        ],
        f"http://127.0.0.1:{port}/-/ready",
    )
    alert = wait_for("the alert", _alert(check_name="InstanceDown"), proc, log)
    assert (alert.severity, alert.resource, alert.status) == ("major", "web-07", "open")
    assert alert.summary == "web-07 stopped answering"
    # Prometheus re-sends while the rule fires; without news the alert clears by itself later.
    assert alert.expires_at is not None
    assert alert.integration == integration

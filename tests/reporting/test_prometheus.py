"""``/metrics``: opsdesk's own gauges in Prometheus' text format, behind a bearer token, and
the real Prometheus scraping them (when it is installed)."""

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from opsdesk.core.models import OutboxEvent
from opsdesk.core.models.outbox import OutboxStatus
from opsdesk.core.services import token_create, token_revoke
from opsdesk.core.testing.factories import TeamFactory, admin, agent
from opsdesk.core.testing.peers import peer_marker
from opsdesk.events.models import Alert, AlertStatus, Classification, Severity
from opsdesk.events.testing import IntegrationFactory
from opsdesk.notifications.models import Delivery, DeliveryState
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import Filters
from opsdesk.reporting.models import RecordFact
from opsdesk.sla.models import SlaTimer, TimerKind, TimerState
from tests.sla.factories import PolicyFactory

PROMETHEUS = shutil.which("prometheus")
TOKEN = "scrape-me-4b1d"
WAIT = 60  # seconds Prometheus may take to scrape for the first time; a pass takes a few
OPENED = datetime(2026, 3, 2, 9, tzinfo=UTC)


def open_fact(n, *, team, priority, record_type="incident", is_open=True):
    return RecordFact(
        record_type=record_type,
        record_id=n,
        number=f"X{n:07}",
        team=team,
        priority=priority,
        state="new" if is_open else "closed",
        is_open=is_open,
        opened_at=OPENED,
        opened_on=OPENED.date(),
        refreshed_at=OPENED,
    )


@pytest.fixture
def installation(db):
    """Open backlog: 2 Service Desk P2 incidents, 1 incident with no team or priority, 1
    Network P3 problem (a closed Service Desk incident is not counted). Alerts: 2 critical
    open, 1 major acknowledged (a resolved critical one is not counted). Clocks: a resolution
    due in 30 min (at risk), one due in 2 h (not yet), one response breached 10 min ago and
    still running, a paused and a met one (neither). Outbox: 3 pending, 1 dead, 1 delivered.
    Mail: 1 waiting, 1 retrying after a failure, 2 given up, 1 sent."""
    desk, network = TeamFactory(name="Service Desk"), TeamFactory(name="Network")
    RecordFact.objects.bulk_create(
        [
            open_fact(1, team=desk, priority=2),
            open_fact(2, team=desk, priority=2),
            open_fact(3, team=None, priority=None),
            open_fact(4, team=network, priority=3, record_type="problem"),
            open_fact(5, team=desk, priority=2, is_open=False),
        ]
    )
    now = timezone.now()
    integration = IntegrationFactory()
    for n, (severity, status) in enumerate(
        [
            (Severity.CRITICAL, AlertStatus.OPEN),
            (Severity.CRITICAL, AlertStatus.OPEN),
            (Severity.MAJOR, AlertStatus.ACKNOWLEDGED),
            (Severity.CRITICAL, AlertStatus.RESOLVED),
        ]
    ):
        Alert.objects.create(
            integration=integration,
            fingerprint=f"f{n}",
            status=status,
            severity=severity,
            highest_severity=severity,
            classification=Classification.EXCEPTION,
            first_seen=now,
            last_seen=now,
        )
    policy = PolicyFactory()
    content_type = ContentType.objects.get_for_model(RecordFact)
    for n, (kind, state, due, breached) in enumerate(
        [
            (TimerKind.RESOLUTION, TimerState.RUNNING, now + timedelta(minutes=30), None),
            (TimerKind.RESOLUTION, TimerState.RUNNING, now + timedelta(hours=2), None),
            (TimerKind.RESPONSE, TimerState.RUNNING, now - timedelta(minutes=10), now),
            (TimerKind.RESPONSE, TimerState.PAUSED, None, None),
            (TimerKind.OLA, TimerState.MET, now + timedelta(minutes=5), None),
        ]
    ):
        SlaTimer.objects.create(
            content_type=content_type,
            object_id=str(n),
            record_type="incident",
            kind=kind,
            policy=policy,
            calendar=policy.response_calendar,
            state=state,
            started_at=now - timedelta(hours=1),
            elapsed=timedelta(0),
            elapsed_at=now,
            due_at=due,
            breached_at=breached,
        )
    statuses = [OutboxStatus.PENDING] * 3 + [OutboxStatus.DEAD, OutboxStatus.DELIVERED]
    OutboxEvent.objects.bulk_create(
        OutboxEvent(topic="incident.opened", status=status, next_attempt_at=now)
        for status in statuses
    )
    for n, (state, attempts) in enumerate(
        [
            (DeliveryState.PENDING, 0),
            (DeliveryState.PENDING, 2),
            (DeliveryState.DEAD, 5),
            (DeliveryState.DEAD, 5),
            (DeliveryState.SENT, 1),
        ]
    ):
        Delivery.objects.create(
            source_event_id=n,
            event="opened",
            address=f"p{n}@example.org",
            subject="Ticket opened",
            body_text="…",
            message_id=f"<m{n}@opsdesk>",
            state=state,
            attempts=attempts,
            next_attempt_at=now,
        )


EXPECTED = """\
opsdesk_backlog_open{priority="2",record_type="incident",team="Service Desk"} 2.0
opsdesk_backlog_open{priority="none",record_type="incident",team="none"} 1.0
opsdesk_backlog_open{priority="3",record_type="problem",team="Network"} 1.0
opsdesk_alerts_open{severity="critical",status="open"} 2.0
opsdesk_alerts_open{severity="critical",status="acknowledged"} 0.0
opsdesk_alerts_open{severity="major",status="acknowledged"} 1.0
opsdesk_alerts_open{severity="warning",status="suppressed"} 0.0
opsdesk_sla_timers_at_risk{kind="resolution"} 1.0
opsdesk_sla_timers_at_risk{kind="response"} 0.0
opsdesk_sla_timers_at_risk{kind="ola"} 0.0
opsdesk_sla_timers_breached_running{kind="response"} 1.0
opsdesk_sla_timers_breached_running{kind="resolution"} 0.0
opsdesk_outbox_events{status="pending"} 3.0
opsdesk_outbox_events{status="dead"} 1.0
opsdesk_worker_queue_up 1.0
opsdesk_mail_deliveries_pending 2.0
opsdesk_mail_deliveries_failed{state="retrying"} 1.0
opsdesk_mail_deliveries_failed{state="dead"} 2.0
"""


def scrape(authorization: str | None = f"Bearer {TOKEN}"):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    return Client().get("/metrics", **headers)


def samples(text: str) -> set[str]:
    """The sample lines, each with its labels in name order (as EXPECTED writes them)."""
    out = set()
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        name, _, value = line.rpartition(" ")
        if "{" in name:
            metric, labels = name[:-1].split("{", 1)
            name = metric + "{" + ",".join(sorted(labels.split(","))) + "}"
        out.add(f"{name} {value}")
    return out


def test_the_gauges_show_the_installation(installation, settings):
    settings.OPSDESK_METRICS_TOKEN = TOKEN
    response = scrape()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.content.decode()
    assert samples(EXPECTED) <= samples(text), sorted(samples(EXPECTED) - samples(text))
    # The closed incident and the resolved alert are not counted anywhere.
    assert 'team="Service Desk"} 3.0' not in text
    assert "# TYPE opsdesk_backlog_open gauge" in text
    assert "# HELP opsdesk_backlog_open Records open now" in text


def test_the_backlog_gauge_agrees_with_the_backlog_metric(installation, settings):
    settings.OPSDESK_METRICS_TOKEN = TOKEN
    total = sum(
        float(line.rsplit(" ", 1)[1])
        for line in scrape().content.decode().splitlines()
        if line.startswith("opsdesk_backlog_open{")
    )
    assert total == metrics.compute("backlog", Filters.default()).total["count"] == 4


def test_each_family_is_one_query(installation, settings, django_assert_num_queries):
    settings.OPSDESK_METRICS_TOKEN = TOKEN
    # Backlog, alerts, SLA clocks, outbox, mail: five aggregate queries, no rows loaded.
    with django_assert_num_queries(5):
        assert scrape().status_code == 200


@pytest.mark.django_db
def test_a_queue_that_does_not_answer_shows_as_down(settings, monkeypatch):
    settings.OPSDESK_METRICS_TOKEN = TOKEN

    def refused():
        raise ConnectionError("Redis is not answering")

    monkeypatch.setattr(HUEY, "pending_count", refused)
    text = scrape().content.decode()
    assert "opsdesk_worker_queue_up 0.0" in text.splitlines()
    assert "opsdesk_worker_queue_pending" not in text
    # The other families are still there.
    assert 'opsdesk_outbox_events{status="pending"} 0.0' in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "configured, authorization, status, says",
    [
        # (scrape token set, Authorization header sent) -> answer
        (TOKEN, f"Bearer {TOKEN}", 200, "opsdesk_backlog_open"),
        (TOKEN, f"bearer {TOKEN}", 200, "opsdesk_backlog_open"),
        (TOKEN, None, 401, "Authorization: Bearer"),
        (TOKEN, "Bearer wrong", 401, "not valid"),
        (TOKEN, f"Bearer {TOKEN}x", 401, "not valid"),
        (TOKEN, f"Basic {TOKEN}", 401, "Authorization: Bearer"),
        (TOKEN, f"Bearer {TOKEN} {TOKEN}", 401, "Authorization: Bearer"),
        ("", None, 403, "Metrics are not enabled: set OPSDESK_METRICS_TOKEN"),
        ("", "Bearer anything", 401, "not valid"),
        ("", "Bearer ", 403, "Metrics are not enabled"),
    ],
)
def test_the_token_decides(settings, configured, authorization, status, says):
    settings.OPSDESK_METRICS_TOKEN = configured
    response = scrape(authorization)
    assert response.status_code == status
    assert says in response.content.decode()
    if status == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="opsdesk metrics"'


@pytest.mark.django_db
def test_an_administrators_api_token_also_opens_it_until_revoked(settings):
    settings.OPSDESK_METRICS_TOKEN = ""
    owner = admin()
    token, raw = token_create(actor=None, user=owner, name="prometheus", read_only=True)
    assert scrape(f"Bearer {raw}").status_code == 200
    token_revoke(actor=owner, token=token)
    assert scrape(f"Bearer {raw}").status_code == 401


@pytest.mark.django_db
def test_an_agents_api_token_is_not_enough(settings):
    settings.OPSDESK_METRICS_TOKEN = TOKEN
    _, raw = token_create(actor=None, user=agent(), name="mine")
    response = scrape(f"Bearer {raw}")
    assert response.status_code == 403
    assert "administrator" in response.content.decode()


@pytest.mark.django_db
def test_only_get(settings):
    settings.OPSDESK_METRICS_TOKEN = TOKEN
    response = Client().post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


# --- the real Prometheus ----------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _query(base: str, expr: str) -> list[dict]:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)["data"]["result"]
    except OSError:
        return []


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(what: str, check, proc: subprocess.Popen, log: Path):
    """Poll until ``check()`` is truthy: Prometheus scrapes on its own clock."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if result := check():
            return result
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    pytest.fail(f"{what} within {WAIT} s; prometheus log: {log.read_text()[-2000:]}")


@pytest.fixture
def prometheus(tmp_path):
    """Start Prometheus with a configuration; stopped at the end of the test."""
    procs = []

    def start(config: dict) -> tuple[str, subprocess.Popen, Path]:
        path = tmp_path / "prometheus.yml"
        path.write_text(json.dumps(config))  # YAML is a superset of JSON
        port = free_port()
        log = tmp_path / "prometheus.log"
        proc = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={path}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        wait_for("Prometheus was not ready", lambda: _ready(f"{base}/-/ready"), proc, log)
        return base, proc, log

    yield start
    for proc in procs:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@peer_marker("Prometheus", None if PROMETHEUS else "apt install prometheus")
def test_prometheus_scrapes_the_backlog_with_the_token(
    django_db_serialized_rollback, transactional_db, live_server, settings, prometheus
):
    settings.OPSDESK_METRICS_TOKEN = TOKEN
    desk = TeamFactory(name="Service Desk")
    RecordFact.objects.bulk_create(
        [open_fact(1, team=desk, priority=2), open_fact(2, team=desk, priority=2)]
    )
    target = live_server.url.removeprefix("http://")
    base, proc, log = prometheus(
        {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [
                {
                    "job_name": "opsdesk",
                    "metrics_path": "/metrics",
                    "authorization": {"type": "Bearer", "credentials": TOKEN},
                    "static_configs": [{"targets": [target]}],
                },
                {
                    # The same target without the token: Prometheus sees it refused.
                    "job_name": "opsdesk-no-token",
                    "metrics_path": "/metrics",
                    "static_configs": [{"targets": [target]}],
                },
            ],
        }
    )
    found = wait_for(
        "no opsdesk_backlog_open was scraped",
        lambda: _query(base, 'opsdesk_backlog_open{job="opsdesk"}'),
        proc,
        log,
    )
    assert [(r["metric"]["team"], r["metric"]["priority"], r["value"][1]) for r in found] == [
        ("Service Desk", "2", "2")
    ]
    assert found[0]["metric"]["record_type"] == "incident"
    refused = wait_for(
        "the target without a token was never scraped",
        lambda: _query(base, 'up{job="opsdesk-no-token"}'),
        proc,
        log,
    )
    assert refused[0]["value"][1] == "0"
    assert _query(base, 'up{job="opsdesk"}')[0]["value"][1] == "1"

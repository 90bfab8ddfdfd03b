"""Several workers on PostgreSQL split one backlog: every event once, no lost count (PostgreSQL)."""

import os
import subprocess
import sys
import textwrap
import time

import pytest
from django.db import connection
from django.db.models import Sum

from opsdesk.events.models import Alert, AlertStatus, Event, EventState, hash_secret
from opsdesk.events.testing import SECRET, IntegrationFactory
from tests.events.helpers import send
from tests.events.test_crash_safety import database_url

# Each worker blocks on a shared advisory lock the test holds, so that all of them start
# claiming at the same moment; then it drains the backlog in small batches.
WORKER = textwrap.dedent(
    """
    import django
    django.setup()
    from django.db import connection
    from opsdesk.events import processing

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock_shared(4711)")
    total = processing.events_process_all(limit=25)
    print(total)
    """
)

WORKERS = 3
ALERTS = 60
ROUNDS = 10
# How long the workers may take to start and line up on the lock (they import Django first).
WAIT_SECONDS = 120


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_competing_workers_process_each_event_once(postgres_only, monkeypatch):
    monkeypatch.setattr("opsdesk.events.ingest._after_accept_hooks", [])
    integration = IntegrationFactory(name="Prometheus", secret_hash=hash_secret(SECRET))
    # Every alert is re-sent in every round, so workers meet on the same alerts all the time.
    for round_ in range(ROUNDS):
        send(
            integration,
            *[
                {"summary": f"disk {i}", "dedup_key": f"k{i}", "severity": "warning"}
                for i in range(ALERTS)
            ],
        )
        if round_ == ROUNDS // 2:
            send(
                integration,
                *[
                    {"summary": f"disk {i}", "dedup_key": f"k{i}", "action": "resolve"}
                    for i in range(5)
                ],
            )
    pending = Event.objects.filter(state=EventState.PENDING).count()
    assert pending == ALERTS * ROUNDS + 5

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "OPSDESK_DATABASE_URL": database_url(),
        "OPSDESK_TEST_DB_NAME": "",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(4711)")
    try:
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE, text=True
            )
            for _ in range(WORKERS)
        ]
        # Release them together once all are waiting on the lock; a worker that never gets
        # there fails the test instead of hanging the suite.
        deadline = time.monotonic() + WAIT_SECONDS
        with connection.cursor() as cursor:
            while True:
                if time.monotonic() > deadline:
                    pytest.fail(f"the workers did not all wait on the lock in {WAIT_SECONDS} s")
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4711 "
                    "AND NOT granted"
                )
                if cursor.fetchone()[0] == WORKERS:
                    break
                for worker in workers:
                    assert worker.poll() is None, "a worker exited before it started"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(4711)")
    counts = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        counts.append(int(out.strip().splitlines()[-1]))

    assert sum(counts) == pending, counts  # every event claimed by exactly one worker
    assert not Event.objects.filter(state=EventState.PENDING).exists()
    # No lost update: every trigger and resolve counted once on its alert.
    assert Alert.objects.aggregate(total=Sum("count"))["total"] == pending
    # Each alert's events applied in order: the five resolved mid-way fired again afterwards.
    assert Alert.objects.count() == ALERTS
    assert not Alert.objects.filter(status=AlertStatus.RESOLVED).exists()
    assert set(Alert.objects.filter(count=ROUNDS + 1).values_list("fingerprint", flat=True)) == {
        f"k{i}" for i in range(5)
    }

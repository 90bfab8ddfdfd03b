"""A worker killed with SIGKILL mid-batch loses nothing and processes nothing twice (PostgreSQL)."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from django.db import connection
from django.db.models import Sum

from opsdesk.events.models import Alert, Event, EventState, hash_secret
from opsdesk.events.processing import events_process_all
from opsdesk.events.testing import SECRET, IntegrationFactory
from tests.events.helpers import send

WORKER = textwrap.dedent(
    """
    import os, signal, django
    django.setup()
    from opsdesk.events import processing

    real_save = processing.Batch.save

    def save_then_die(self, events):
        real_save(self, events)  # alerts and events written, transaction not committed
        os.kill(os.getpid(), signal.SIGKILL)

    processing.Batch.save = save_then_die
    processing.events_process_pending(limit=int(os.environ["BATCH"]))
    """
)


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_killed_worker_loses_nothing_and_restart_processes_once(postgres_only, monkeypatch):
    # No in-process wake-up: the worker subprocess must find the backlog untouched.
    monkeypatch.setattr("opsdesk.events.ingest._after_accept_hooks", [])
    integration = IntegrationFactory(name="Prometheus", secret_hash=hash_secret(SECRET))
    # 300 events on 100 alerts, each alert re-sent three times.
    for _ in range(3):
        send(integration, *[{"summary": f"a{i}", "dedup_key": f"k{i}"} for i in range(100)])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "OPSDESK_DATABASE_URL": database_url(),
        "OPSDESK_TEST_DB_NAME": "",
        "BATCH": "150",
    }
    result = subprocess.run([sys.executable, "-c", WORKER], env=env, timeout=120)
    assert result.returncode == -signal.SIGKILL

    assert Event.objects.filter(state=EventState.PENDING).count() == 300
    assert not Alert.objects.exists()

    assert events_process_all(limit=120) == 300
    assert Alert.objects.count() == 100
    assert Alert.objects.aggregate(total=Sum("count"))["total"] == 300
    assert not Event.objects.filter(state=EventState.PENDING).exists()
    assert events_process_all() == 0

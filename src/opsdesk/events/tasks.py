"""Background work for events: process the backlog, expire, settle, check heartbeats, prune."""

import threading
import time

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from opsdesk.core.context import action_context
from opsdesk.events import heartbeats, ingest, maintenance, processing
from opsdesk.events.ingest import on_accepted

# A web process wakes the worker at most this often; a woken worker keeps looking for new
# events for LINGER seconds after the backlog empties, longer than WAKE_EVERY, so an event
# whose wake-up was skipped is always seen by the worker the previous wake-up started.
WAKE_EVERY = 0.25
LINGER = 1.0
POLL = 0.02

_wake = threading.Lock()
_last_wake = 0.0


@db_task()
def events_process():
    """Woken after events are accepted: drain the backlog in batches, then linger a little."""
    with action_context(source="worker"):
        idle_since = None
        while True:
            if processing.events_process_all():
                idle_since = None
                continue
            if HUEY.immediate:
                return  # tests run tasks inline, one wake-up per accepted delivery
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > LINGER:
                return
            time.sleep(POLL)


@db_periodic_task(crontab(minute="*"))
def events_sweep():
    """Catch up on anything a lost wake-up left behind, then time-driven work."""
    with action_context(source="worker"):
        now = timezone.now()
        heartbeats.heartbeats_check_missed(now=now)
        processing.events_process_all()
        processing.alerts_expire(now=now)
        processing.alerts_settle(now=now)
        maintenance.windows_remind(now=now)
        ingest.rate_windows_prune()


@db_periodic_task(crontab(minute="17", hour="3"))
def events_prune():
    with action_context(source="worker"):
        processing.events_prune()


def _wake_worker():
    global _last_wake
    if not HUEY.immediate:
        with _wake:
            now = time.monotonic()
            if now - _last_wake < WAKE_EVERY:
                return
            _last_wake = now
    events_process()


on_accepted(_wake_worker)

"""Background work for events: process the backlog, expire, settle, check heartbeats, prune."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.core.context import action_context
from opsdesk.events import heartbeats, maintenance, processing
from opsdesk.events.ingest import on_accepted


@db_task()
def events_process():
    """Woken after events are accepted: drain the backlog in batches."""
    with action_context(source="worker"):
        processing.events_process_all()


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


@db_periodic_task(crontab(minute="17", hour="3"))
def events_prune():
    with action_context(source="worker"):
        processing.events_prune()


def _wake_worker():
    events_process()


on_accepted(_wake_worker)

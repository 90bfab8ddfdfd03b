"""Background work for core: deliver the outbox. Tasks take ids and call services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.core.context import action_context
from opsdesk.core.outbox import on_published, outbox_deliver_due


@db_task()
def outbox_deliver():
    with action_context(source="worker"):
        outbox_deliver_due()


@db_periodic_task(crontab(minute="*"))
def outbox_sweep():
    """Retries whose back-off has passed, and events whose worker died mid-delivery."""
    with action_context(source="worker"):
        outbox_deliver_due()


def _wake_worker():
    outbox_deliver()


on_published(_wake_worker)

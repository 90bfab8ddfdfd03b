"""Background work: send the mail and webhook POSTs that are due."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from opsdesk.core.context import action_context
from opsdesk.notifications.mailer import deliveries_send_due
from opsdesk.notifications.wakeup import register_waker
from opsdesk.notifications.webhooks import webhooks_send_due


def send_due(now=None) -> dict[str, dict[str, int]]:
    """Counts per channel: {"mail": {"sent", "failed"}, "webhooks": {"delivered", "failed"}}."""
    with action_context(source="worker"):
        return {"mail": deliveries_send_due(now=now), "webhooks": webhooks_send_due(now=now)}


@db_task()
def notifications_send():
    send_due()


@db_periodic_task(crontab(minute="*"))
def notifications_sweep():
    """Retries whose back-off has passed and digests whose window has closed."""
    send_due()


def wake_sender():
    notifications_send()


register_waker(wake_sender)

"""Background work for approvals: reminders, timeouts and escalations, every five minutes."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.approvals.services import approval_sweep
from opsdesk.core.context import action_context


@db_periodic_task(crontab(minute="*/5"))
def approvals_sweep():
    # The worker acts as the system: audit entries name no user and the worker source.
    with action_context(source="worker"):
        approval_sweep(now=timezone.now())

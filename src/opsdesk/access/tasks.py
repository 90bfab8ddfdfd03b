"""Background work for access: grants start and end to the minute, failed provisioning is
retried, leavers and joiners are processed on their day, and duties are scanned nightly."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.access import services
from opsdesk.access.services import reviews
from opsdesk.core.context import action_context


@db_periodic_task(crontab(minute="*"))
def access_minute():
    # The worker acts as the system: audit entries name no user and the worker source.
    with action_context(source="worker"):
        now = timezone.now()
        services.grants_sweep(now=now)
        services.lifecycle_process_due(now=now)
        services.provisioning_run_due(now=now)
        reviews.campaigns_sweep(now=now)


@db_periodic_task(crontab(minute="30", hour="2"))
def access_nightly():
    with action_context(source="worker"):
        services.sod_scan(now=timezone.now())
        services.reconcile_all(now=timezone.now())

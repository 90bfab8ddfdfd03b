"""Background work for SLAs: the every-minute check for warnings and breaches."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core.context import action_context
from opsdesk.sla.services import sla_check_due


@db_periodic_task(crontab(minute="*"))
def sla_check():
    with action_context(source="worker"):
        sla_check_due(now=timezone.now())

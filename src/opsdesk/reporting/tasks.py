"""Worker jobs of reporting: the nightly backlog snapshot."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.reporting.models import BacklogSnapshot
from opsdesk.reporting.periods import local_day, organisation_zone
from opsdesk.reporting.services import backlog_snapshot_take


@db_periodic_task(crontab(minute="5"))
def backlog_snapshot_nightly():
    """Yesterday's backlog, just after the organisation's midnight (whatever its zone and
    the daylight-saving time, the job wakes every hour), so the trend can be drawn. A
    worker that was down at midnight takes the missing day at its next hour."""
    now = timezone.now()
    yesterday = local_day(now) - timedelta(days=1)
    if now.astimezone(organisation_zone()).hour == 0 or not (
        BacklogSnapshot.objects.filter(day=yesterday).exists()
    ):
        backlog_snapshot_take(day=yesterday)

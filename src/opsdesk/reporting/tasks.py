"""Worker jobs of reporting: the nightly backlog snapshot."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.reporting.services import backlog_snapshot_take


@db_periodic_task(crontab(minute="5", hour="0"))
def backlog_snapshot_nightly():
    """Just after midnight (UTC), yesterday's backlog, so the trend can be drawn."""
    backlog_snapshot_take()


@db_periodic_task(crontab(minute="0"))
def report_subscriptions_hourly():
    """On the hour, every scheduled report that is due (sent at the subscriber's local hour)."""
    from opsdesk.reporting.services.reports import subscriptions_run_due

    subscriptions_run_due()

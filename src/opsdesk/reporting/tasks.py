"""Worker jobs of reporting: the nightly backlog snapshot and scheduled report mail."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.reporting.services import backlog_snapshot_due


@db_periodic_task(crontab(minute="5"))
def backlog_snapshot_nightly():
    """Yesterday's backlog just after the organisation's midnight, so the trend can be
    drawn. The job wakes every hour, since that midnight is not at a fixed hour of UTC (the
    zone, daylight-saving time), and takes a day the worker missed at its next hour."""
    backlog_snapshot_due()


@db_periodic_task(crontab(minute="0"))
def report_subscriptions_hourly():
    """On the hour, every scheduled report that is due (sent at the subscriber's local hour)."""
    from opsdesk.reporting.services.reports import subscriptions_run_due

    subscriptions_run_due()


@db_periodic_task(crontab(minute="*"))
def event_counts_minutely():
    """Every minute, the events processed since into the daily counts event noise reads."""
    from opsdesk.reporting.services.event_counts import event_counts_catch_up

    event_counts_catch_up()

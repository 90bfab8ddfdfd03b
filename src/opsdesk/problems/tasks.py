"""Background work for problems: trend detection over the recent incidents, every night."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core.context import action_context
from opsdesk.problems.trends.services import trend_detect

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="40", hour="2"))
def problems_trends():
    # The worker acts as the system: audit entries name no user and the worker source.
    with action_context(source="worker"):
        run = trend_detect()
    log.info(
        "trend detection: %d incidents, %d new candidates, %d updated, %d dismissed before",
        run.looked_at,
        len(run.found),
        len(run.updated),
        run.dismissed_before,
    )

"""Background work for incidents: auto-close and major-incident update reminders."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core.context import action_context
from opsdesk.incidents import auto_close, major, paging


@db_periodic_task(crontab(minute="*/15"))
def incidents_auto_close():
    """Resolved incidents nobody disputed close after N business days of their calendar."""
    with action_context(source="worker"):
        auto_close.incident_auto_close_due(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def incidents_update_reminders():
    with action_context(source="worker"):
        major.incident_major_updates_due(now=timezone.now())


@db_periodic_task(crontab(minute="*"))
def incidents_page_escalation():
    """Nobody acknowledged in time: page the next step of the escalation policy."""
    with action_context(source="worker"):
        paging.pages_escalate_due(now=timezone.now())

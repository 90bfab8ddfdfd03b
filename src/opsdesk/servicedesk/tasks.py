"""Background work of the service desk: polling IMAP mailboxes."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from opsdesk.core.context import action_context
from opsdesk.servicedesk.inbound.imap import mailboxes_poll


@db_periodic_task(crontab(minute="*"))
def servicedesk_poll_mailboxes():
    with action_context(source="worker"):
        mailboxes_poll()

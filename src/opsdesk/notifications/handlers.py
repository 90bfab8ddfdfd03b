"""Outbox handlers: every fact may become mail, in-app notifications and webhook POSTs.

Each handler runs in the transaction that marks it done for the event, and the rows it
writes are unique per event, so a handler that runs twice queues nothing twice.
"""

from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbox import outbox_handler
from opsdesk.core.tickets.registry import on_register
from opsdesk.notifications.recipients import ACCESS_EVENTS, OTHER_EVENTS, topics_of
from opsdesk.notifications.services import (
    notify_access,
    notify_alerts_fired,
    notify_approval,
    notify_fact,
)
from opsdesk.notifications.trends import notify_trend_found
from opsdesk.notifications.webhooks import webhook_fan_out


def notify(*, event_id: int, topic: str, payload: dict) -> None:
    notify_fact(event=OutboxEvent.objects.get(pk=event_id))


for _topic in OTHER_EVENTS:
    outbox_handler(_topic)(notify)


def _listen_to(ticket_type) -> None:
    """Every registered record type's ticket facts may become notifications."""
    for topic in topics_of(ticket_type):
        outbox_handler(topic)(notify)


on_register(_listen_to)


@outbox_handler("alert.opened")
def alert_fired(*, event_id: int, topic: str, payload: dict) -> None:
    notify_alerts_fired(event=OutboxEvent.objects.get(pk=event_id))


@outbox_handler("approval.requested")
@outbox_handler("approval.reminder")
@outbox_handler("approval.rejected")
@outbox_handler("approval.reply_refused")
def approval_mail(*, event_id: int, topic: str, payload: dict) -> None:
    notify_approval(event=OutboxEvent.objects.get(pk=event_id))


@outbox_handler("problem.candidate_found")
def trend_found(*, event_id: int, topic: str, payload: dict) -> None:
    notify_trend_found(event=OutboxEvent.objects.get(pk=event_id))


def access_mail(*, event_id: int, topic: str, payload: dict) -> None:
    notify_access(event=OutboxEvent.objects.get(pk=event_id))


for _topic in ACCESS_EVENTS:
    outbox_handler(_topic)(access_mail)


@outbox_handler("*")
def webhooks(*, event_id: int, topic: str, payload: dict) -> None:
    webhook_fan_out(event=OutboxEvent.objects.get(pk=event_id))

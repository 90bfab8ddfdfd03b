"""Outbox handlers: every fact may become mail, in-app notifications and webhook POSTs.

Each handler runs in the transaction that marks it done for the event, and the rows it
writes are unique per event, so a handler that runs twice queues nothing twice.
"""

from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbox import outbox_handler
from opsdesk.notifications.recipients import TOPIC_EVENTS
from opsdesk.notifications.services import notify_alerts_fired, notify_fact
from opsdesk.notifications.webhooks import webhook_fan_out


def notify(*, event_id: int, topic: str, payload: dict) -> None:
    notify_fact(event=OutboxEvent.objects.get(pk=event_id))


for _topic in TOPIC_EVENTS:
    outbox_handler(_topic)(notify)


@outbox_handler("alert.opened")
def alert_fired(*, event_id: int, topic: str, payload: dict) -> None:
    notify_alerts_fired(event=OutboxEvent.objects.get(pk=event_id))


@outbox_handler("*")
def webhooks(*, event_id: int, topic: str, payload: dict) -> None:
    webhook_fan_out(event=OutboxEvent.objects.get(pk=event_id))

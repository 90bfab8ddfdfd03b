"""Reporting's reactions to outbox facts: a ticket fact refreshes the ticket's fact row; a
subscription that fell due is mailed."""

from opsdesk.core.outbox import outbox_handler
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.reporting.services import record_fact_refresh
from opsdesk.reporting.services.reports import SUBSCRIPTION_TOPIC, subscription_due_handle


@outbox_handler("*")
def ticket_changed(*, topic: str, payload: dict, **_) -> None:
    record_type = topic.split(".", 1)[0]
    if record_type not in {tt.key for tt in ticket_types()}:
        return
    record_id = payload.get("record_id") or payload.get(f"{record_type}_id")
    if record_id is None:
        return
    record_fact_refresh(record_type=record_type, record_id=int(record_id))


@outbox_handler(SUBSCRIPTION_TOPIC)
def subscription_due(*, event_id: int, payload: dict, **_) -> None:
    """A subscription fell due: its report is rendered and mailed through the delivery queue."""
    subscription_due_handle(event_id=event_id, payload=payload)

"""Reporting's reactions to outbox facts: a ticket fact refreshes the ticket's fact row."""

from opsdesk.core.outbox import outbox_handler
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.reporting.services import record_fact_refresh


@outbox_handler("*")
def ticket_changed(*, topic: str, payload: dict, **_) -> None:
    record_type = topic.split(".", 1)[0]
    if record_type not in {tt.key for tt in ticket_types()}:
        return
    record_id = payload.get("record_id") or payload.get(f"{record_type}_id")
    if record_id is None:
        return
    record_fact_refresh(record_type=record_type, record_id=int(record_id))

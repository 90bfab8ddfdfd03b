"""Saved filters of the incident queue: core's saved filters, for record type "incident"."""

from opsdesk.core.tickets import queues
from opsdesk.incidents.selectors import QUEUES


def saved_filter_create(*, actor, name: str, queue: str, query: str):
    """Keep the current queue, filters and sort under a name; the same name replaces it."""
    return queues.saved_filter_create(
        actor=actor, record_type="incident", name=name, queue=queue, query=query, queues=QUEUES
    )


def saved_filter_delete(*, actor, saved_filter) -> None:
    queues.saved_filter_delete(actor=actor, saved_filter=saved_filter)

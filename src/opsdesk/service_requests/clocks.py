"""A request item's SLA clock: fulfilment is timed from approval, not from ordering.

Waiting for approvers is not the fulfilment team's time, so the clocks start when the item is
approved (at once for an item that needs no approval); they pause while information is needed
from the requester when the item's SLA policy lists ``info_needed`` among its pause states.
The policy is the first ``request_item`` policy whose conditions hold for the item: name the
catalog item (``{"catalog_item": ["new-laptop"]}``) or its category to give it its own.
"""

from opsdesk.service_requests.models import ItemState
from opsdesk.service_requests.workflow import ITEM_WORKFLOW
from opsdesk.sla.tickets import TicketClocks

BEFORE_APPROVAL = frozenset({ItemState.SUBMITTED, ItemState.AWAITING_APPROVAL})


def item_attributes(item) -> dict:
    """What request-item SLA policies may match on."""
    catalog_item = item.catalog_item
    return {
        "priority": f"P{item.priority}",
        "catalog_item": catalog_item.slug,
        "category": catalog_item.category.slug,
        "department": item.requested_for.department if item.requested_for_id else "",
    }


class ItemClocks(TicketClocks):
    def opened(self, record, *, at) -> None:
        return None  # the clocks start at approval

    def state_changed(self, record, *, from_state, to_state, at, responded=False) -> None:
        if to_state == ItemState.APPROVED:
            super().opened(record, at=at)
        elif to_state not in BEFORE_APPROVAL and from_state not in BEFORE_APPROVAL:
            super().state_changed(
                record, from_state=from_state, to_state=to_state, at=at, responded=responded
            )


ITEM_CLOCKS = ItemClocks(
    record_type="request_item", workflow=ITEM_WORKFLOW, attributes=item_attributes
)

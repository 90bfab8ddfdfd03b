from django.apps import AppConfig


class ServiceRequestsConfig(AppConfig):
    name = "opsdesk.service_requests"
    label = "service_requests"
    verbose_name = "Request fulfilment"
    nav_items = [
        ("Requested items", "service_requests:item-queue", "agent"),
        ("Service catalog", "service_requests:catalog-manage", "agent"),
    ]
    portal_nav_items = [
        (30, "Request something", "service_requests:catalog"),
        (50, "My requests", "service_requests:my-requests"),
    ]

    def ready(self):
        # Outbox reactions: a plan task closing moves the plan on; webhooks are called.
        from opsdesk.service_requests import handlers  # noqa: F401

        _register_ticket_types()
        _add_panels()
        _hear_approvals()


def _register_ticket_types():
    from django.urls import reverse

    from opsdesk.core.tickets.registry import Queue, TicketType, register
    from opsdesk.service_requests.clocks import ITEM_CLOCKS
    from opsdesk.service_requests.models import ItemState, RequestItem, ServiceRequest
    from opsdesk.service_requests.workflow import ITEM_WORKFLOW, REQUEST_WORKFLOW
    from opsdesk.sla.hold_reasons import register_states

    register(
        TicketType(
            key="service_request",
            label="Request",
            model=ServiceRequest,
            prefix=ServiceRequest.NUMBER_PREFIX,
            workflow=REQUEST_WORKFLOW,
            url=lambda record: reverse("service_requests:request-detail", args=[record.number]),
            portal_url=lambda record: reverse(
                "service_requests:portal-request", args=[record.number]
            ),
            search_fields={"short_description": "A", "description": "C"},
        )
    )
    register(
        TicketType(
            key="request_item",
            label="Requested item",
            model=RequestItem,
            prefix=RequestItem.NUMBER_PREFIX,
            workflow=ITEM_WORKFLOW,
            url=lambda record: reverse("service_requests:item-detail", args=[record.number]),
            # The request's own "opened" mail confirms the order; an item tells what needs the
            # requester and when it is delivered.
            notification_events={
                "opened": "",
                "info_needed": "waiting_for_you",
                "fulfilled": "resolved",
            },
            portal_url=lambda record: reverse(
                "service_requests:portal-request", args=[record.request.number]
            ),
            search_fields={"short_description": "A", "description": "C"},
            clocks=ITEM_CLOCKS,
            # The workspace queue at /work/request_item/, with these beside open, mine and
            # unassigned; bulk actions and saved filters come with it.
            queues=(
                Queue(
                    "teams",
                    "My teams' items",
                    lambda qs, viewer: qs.filter(assignment_group__in=viewer.teams.all()),
                ),
                Queue(
                    "approval",
                    "Awaiting approval",
                    lambda qs, viewer: qs.filter(state=ItemState.AWAITING_APPROVAL),
                ),
                Queue(
                    "info",
                    "Waiting for the requester",
                    lambda qs, viewer: qs.filter(state=ItemState.INFO_NEEDED),
                ),
            ),
            # Delivered: the requester is asked how it went.
            survey_states=frozenset({ItemState.FULFILLED}),
        )
    )
    register_states(record_type="request_item", choices=ITEM_WORKFLOW.states.items())
    # Request-item policies may name the catalog item or its category (see clocks.py).
    from opsdesk.sla.models.policies import register_condition

    register_condition("catalog_item", str)
    register_condition("category", str)


def _add_panels():
    from opsdesk.core.tickets.registry import add_panel

    add_panel("request_item", slot="after_details", template="core/tasks/_panel.html", order=10)
    # A plan task shows the item it fulfils and the answers it works from.
    add_panel("task", slot="details", template="service_requests/_task_item_panel.html", order=20)


def _hear_approvals():
    """An item's approval ends in the approvers' transaction: approved or rejected, at once."""
    from opsdesk.approvals.hooks import on_outcome
    from opsdesk.service_requests.services import approval_outcome

    on_outcome("request_item", approval_outcome)

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "opsdesk.access"
    label = "access"
    verbose_name = "Access management"
    nav_items = [
        ("Access", "access:home", "agent"),
    ]
    portal_nav_items = [
        (40, "Request access", "access:portal-packages"),
        (55, "My access", "access:my-access"),
    ]

    def ready(self):
        from opsdesk.access import handlers  # noqa: F401

        _register_ticket_type()
        _hear_approvals()


def _register_ticket_type():
    from django.urls import reverse

    from opsdesk.access.models import AccessRequest, AccessRequestState
    from opsdesk.access.workflow import REQUEST_WORKFLOW
    from opsdesk.core.tickets.registry import Queue, TicketType, register

    register(
        TicketType(
            key="access_request",
            label="Access request",
            model=AccessRequest,
            prefix=AccessRequest.NUMBER_PREFIX,
            workflow=REQUEST_WORKFLOW,
            url=lambda record: reverse("access:request-detail", args=[record.number]),
            portal_url=lambda record: reverse("access:portal-request", args=[record.number]),
            notification_events={"opened": "", "rejected": "", "granted": "resolved"},
            search_fields={"short_description": "A", "justification": "C"},
            queues=(
                Queue(
                    "approval",
                    "Awaiting approval",
                    lambda qs, viewer: qs.filter(state=AccessRequestState.AWAITING_APPROVAL),
                ),
                Queue(
                    "provisioning",
                    "Being granted",
                    lambda qs, viewer: qs.filter(state=AccessRequestState.PROVISIONING),
                ),
            ),
        )
    )


def _hear_approvals():
    from opsdesk.access.services import approval_outcome
    from opsdesk.approvals.hooks import on_outcome

    on_outcome("access_request", approval_outcome)

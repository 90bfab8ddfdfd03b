"""The single point of contact: self-service portal, inbound email, knowledge base, CSAT."""

from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "opsdesk.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"
    nav_items = [
        ("My work", "servicedesk:my-work", "agent"),
        ("Knowledge", "servicedesk:kb-manage", "agent"),
        ("Canned responses", "servicedesk:canned-list", "agent"),
        ("Unprocessed mail", "servicedesk:unprocessed", "agent"),
        ("Portal", "servicedesk:home", "all"),
    ]

    def ready(self):
        # Outbox handlers: a resolved incident asks its caller for feedback.
        from opsdesk.incidents.views import use_resolve_form
        from opsdesk.servicedesk import handlers  # noqa: F401

        # The incident page's resolve form also links the knowledge article that solved it.
        use_resolve_form("servicedesk/_resolve_form.html")

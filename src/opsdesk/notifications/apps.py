from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "opsdesk.notifications"
    label = "notifications"
    nav_items = [
        ("Notifications", "notifications:inbox", "agent"),
        ("Sent mail", "notifications:sent-mail-list", "admin"),
    ]

    def ready(self):
        # Imported for their side effects: outbox handlers and worker tasks register here.
        from opsdesk.core.tickets.registry import add_panel
        from opsdesk.notifications import handlers, tasks  # noqa: F401

        # Agents see the mail the development sink kept about an incident on its page.
        add_panel("incident", slot="after_details", template="notifications/_mail_log_panel.html")

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
        from opsdesk.notifications import handlers, tasks  # noqa: F401

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "opsdesk.events"
    label = "events"
    nav_items = []

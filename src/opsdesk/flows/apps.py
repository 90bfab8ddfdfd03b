from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "opsdesk.flows"
    label = "flows"
    nav_items = []

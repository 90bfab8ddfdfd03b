from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "opsdesk.oncall"
    label = "oncall"
    nav_items = [("On call", "oncall:index", "agent")]

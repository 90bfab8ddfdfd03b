from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "opsdesk.servicedesk"
    label = "servicedesk"
    nav_items = []

from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "opsdesk.access"
    label = "access"
    verbose_name = "Access management"

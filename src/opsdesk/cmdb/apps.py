from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "opsdesk.cmdb"
    label = "cmdb"
    nav_items = []

from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "opsdesk.cmdb"
    label = "cmdb"
    verbose_name = "CMDB"
    # Everyone: requesters see the business services, staff the whole CMDB.
    nav_items = [("Services & CIs", "cmdb:ci-list", "all")]

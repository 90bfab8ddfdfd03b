from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "opsdesk.cmdb"
    label = "cmdb"
    verbose_name = "CMDB"
    # Everyone: requesters see the business services, staff the whole CMDB.
    nav_items = [("Services & CIs", "cmdb:ci-list", "all")]

    def ready(self):
        _register_search()


def _register_search():
    from django.urls import reverse

    from opsdesk.cmdb.models import ConfigurationItem
    from opsdesk.cmdb.selectors import ci_list
    from opsdesk.core.search import RecordType, register

    register(
        RecordType(
            key="ci",
            label="Configuration item",
            model=ConfigurationItem,
            prefix="",  # found by name, not by number
            # As migration 0004's FullTextIndex has them: change both together.
            fields={"name": "A", "description": "C"},
            visible=lambda viewer: ci_list(viewer=viewer),
            url=lambda record, viewer: reverse("cmdb:ci-detail", args=[record.pk]),
            title=lambda record: record.name,
            state_label=lambda record: record.get_status_display(),
        )
    )

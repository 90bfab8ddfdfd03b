from django.apps import AppConfig


class CmdbConfig(AppConfig):
    name = "opsdesk.cmdb"
    label = "cmdb"
    verbose_name = "CMDB"
    # Everyone: requesters see the business services, staff the whole CMDB.
    nav_items = [("Services & CIs", "cmdb:ci-list", "all")]

    def ready(self):
        _register_search()
        _register_form_references()


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


def _register_form_references():
    """Form fields of type "ci" and "service" choose from the CMDB, as the viewer may see it."""
    from opsdesk.cmdb.models import BUSINESS_SERVICE, ConfigurationItem
    from opsdesk.cmdb.selectors import ci_list
    from opsdesk.core.formschema import register_reference

    def cis(viewer):
        if viewer is None:  # the system, resolving a stored answer
            return ConfigurationItem.objects.select_related("ci_class")
        return ci_list(viewer=viewer)

    register_reference(
        "ci",
        queryset=cis,
        label=lambda ci: ci.name,
        search_fields=("name", "description"),
        noun="configuration items",
    )
    register_reference(
        "service",
        queryset=lambda viewer: cis(viewer).filter(ci_class__key=BUSINESS_SERVICE),
        label=lambda ci: ci.name,
        search_fields=("name", "description"),
        noun="services",
    )

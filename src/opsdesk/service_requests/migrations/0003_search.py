"""Full-text search over requests and items, as their record types register their fields."""

from django.db import migrations

from opsdesk.core.search_index import FullTextIndex


class Migration(migrations.Migration):
    dependencies = [("service_requests", "0002_catalog_manager_role")]

    operations = [
        # As apps.py registers the search fields: change both together.
        FullTextIndex(
            table="service_requests_servicerequest",
            fields={"short_description": "A", "description": "C"},
            name="service_request_search_vector",
        ),
        FullTextIndex(
            table="service_requests_requestitem",
            fields={"short_description": "A", "description": "C"},
            name="request_item_search_vector",
        ),
    ]

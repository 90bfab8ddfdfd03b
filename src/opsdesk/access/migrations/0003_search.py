"""Full-text search over access requests, as the record type registers its fields."""

from django.db import migrations

from opsdesk.core.search_index import FullTextIndex


class Migration(migrations.Migration):
    dependencies = [("access", "0002_scim")]

    operations = [
        # As apps.py registers the search fields: change both together.
        FullTextIndex(
            table="access_accessrequest",
            fields={"short_description": "A", "justification": "C"},
            name="access_request_search_vector",
        ),
    ]

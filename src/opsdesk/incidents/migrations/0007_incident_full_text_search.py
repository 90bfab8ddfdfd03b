"""Global search over incidents: what the record type in ``apps.py`` declares as its fields."""

from django.db import migrations

from opsdesk.core.search_index import FullTextIndex


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_saved_filters")]

    operations = [
        FullTextIndex(
            table="incidents_incident",
            fields={"short_description": "A", "description": "C", "resolution_notes": "C"},
            name="incident_search_vector",
        )
    ]

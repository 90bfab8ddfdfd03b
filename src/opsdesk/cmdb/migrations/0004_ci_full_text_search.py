"""Global search over configuration items: what the record type in ``apps.py`` declares."""

from django.db import migrations

from opsdesk.core.search_index import FullTextIndex


class Migration(migrations.Migration):
    dependencies = [("cmdb", "0003_service_users")]

    operations = [
        FullTextIndex(
            table="cmdb_configurationitem",
            fields={"name": "A", "description": "C"},
            name="ci_search_vector",
        )
    ]

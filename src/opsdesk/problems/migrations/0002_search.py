"""Full-text search over problems, as the record type registers its fields."""

from django.db import migrations

from opsdesk.core.search_index import FullTextIndex


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_initial")]

    operations = [
        # As apps.py registers the search fields: change both together.
        FullTextIndex(
            table="problems_problem",
            fields={
                "short_description": "A",
                "symptoms": "B",
                "description": "C",
                "root_cause": "C",
                "workaround": "C",
            },
            name="problem_search_vector",
        ),
    ]

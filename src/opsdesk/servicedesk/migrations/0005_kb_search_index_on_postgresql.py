"""PostgreSQL only: a GIN index over the weighted tsvector that knowledge search filters on.

The expression is the one ``servicedesk.search`` builds (title A, keywords B, body C, English
stemming), character for character as Django writes it: the planner uses an expression index
only for an identical expression, so a change to the search's vector needs a new index here
(``tests/servicedesk/test_kb_index.py`` fails until it has one). SQLite searches its FTS5
table from migration 0004 and needs nothing here.
"""

from django.db import migrations

TABLE = "servicedesk_knowledgearticle"
INDEX = "kb_article_search_vector"


def _weighted(column: str, weight: str) -> str:
    return f"setweight(to_tsvector('english'::regconfig, COALESCE({column}, '')), '{weight}')"


VECTOR = (
    f"(({_weighted('title', 'A')} || {_weighted('keywords', 'B')}) || {_weighted('body', 'C')})"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({VECTOR})")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0004_kb_full_text_search_on_sqlite")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

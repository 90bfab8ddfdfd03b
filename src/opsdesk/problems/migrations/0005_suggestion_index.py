"""PostgreSQL only: the weighted tsvector of each problem, stored, for suggestions at intake.

The known-error suggestion ranks every known error that shares any word with what the caller
typed, often thousands of rows. Ranking over migration 0002's expression index recomputes the
vector from the texts for every such row (0.4 s over 10,000 known errors); over a stored
vector it reads it (10 ms). The column is kept by a trigger rather than being a generated
column, so that later migrations may still change the texts' columns (PostgreSQL refuses to
alter the type of a column a generated column reads). Django's model does not know the column:
only ``problems.selectors`` reads it. SQLite ranks with its FTS5 table from 0002 and needs
nothing here.

The fields and weights are those ``apps.py`` registers for search: change all three together.
"""

from django.db import migrations

from opsdesk.core.search_index import pg_vector

TABLE = "problems_problem"
COLUMN = "suggestion_vector"
INDEX = "problem_suggestion_vector"
FUNCTION = "problems_problem_suggestion_vector"
FIELDS = {
    "short_description": "A",
    "symptoms": "B",
    "description": "C",
    "root_cause": "C",
    "workaround": "C",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    new_vector = pg_vector({f"NEW.{name}": weight for name, weight in FIELDS.items()})
    for sql in (
        f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector",
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN NEW.{COLUMN} := {new_vector}; RETURN NEW; END $$",
        f"DROP TRIGGER IF EXISTS {FUNCTION} ON {TABLE}",
        f"CREATE TRIGGER {FUNCTION} BEFORE INSERT OR UPDATE OF {', '.join(FIELDS)} "
        f"ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()",
        f"UPDATE {TABLE} SET {COLUMN} = {pg_vector(FIELDS)}",
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON {TABLE} USING gin ({COLUMN})",
    ):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in (
        f"DROP INDEX IF EXISTS {INDEX}",
        f"DROP TRIGGER IF EXISTS {FUNCTION} ON {TABLE}",
        f"DROP FUNCTION IF EXISTS {FUNCTION}()",
        f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS {COLUMN}",
    ):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("problems", "0004_trend_candidates")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

"""The full-text index a record type's global search reads, as one migration operation.

Why an index per record table rather than one core table of every record's text: each type
keeps its own column weights, the visibility filter joins the index on the record's own
primary key, and PostgreSQL needs no copy of the text at all (an expression index over the
record table answers ``@@``). SQLite has no such index, so there an FTS5 table beside the
record table is kept in step by triggers, so records written any way (services, admin,
fixtures, bulk updates) are found.

A later migration that rebuilds the record table on SQLite (most ``AlterField`` operations
do) drops the triggers with the old table: it must end with the same ``FullTextIndex`` again,
which is safe to repeat and refills the index. ``tests/core/test_search.py`` notices if not.
"""

from django.db.migrations.operations.base import Operation

FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"


def pg_vector(fields: dict[str, str], config: str = "english") -> str:
    """The SQL Django writes for ``core.search.search_vector(fields)``: PostgreSQL uses an
    expression index only for a query with the identical expression."""
    parts = [
        f"setweight(to_tsvector('{config}'::regconfig, COALESCE({name}, '')), '{weight}')"
        for name, weight in fields.items()
    ]
    vector = parts[0]
    for part in parts[1:]:
        vector = f"({vector} || {part})"
    return vector


class FullTextIndex(Operation):
    """Index ``fields`` (column -> weight A-D) of ``table`` for search; reversible.

    SQLite: the FTS5 table ``<table>_fts`` and its triggers. PostgreSQL: the GIN index
    ``name`` over the weighted vector. Other databases: nothing.
    """

    reduces_to_sql = False
    reversible = True

    def __init__(self, table: str, fields: dict[str, str], name: str):
        self.table = table
        self.fields = dict(fields)
        self.name = name

    def deconstruct(self):
        kwargs = {"table": self.table, "fields": self.fields, "name": self.name}
        return (type(self).__name__, [], kwargs)

    def state_forwards(self, app_label, state):
        pass  # nothing Django's model state knows about

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for sql in self.create_sql(schema_editor.connection.vendor):
            schema_editor.execute(sql)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for sql in self.drop_sql(schema_editor.connection.vendor):
            schema_editor.execute(sql)

    def describe(self):
        return f"Full-text index of {self.table} ({', '.join(self.fields)})"

    @property
    def migration_name_fragment(self):
        return f"search_{self.table}"

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"

    def create_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            vector = pg_vector(self.fields)
            return [f"CREATE INDEX IF NOT EXISTS {self.name} ON {self.table} USING gin ({vector})"]
        if vendor != "sqlite":
            return []
        fts, table = self.fts, self.table
        columns = ", ".join(self.fields)
        new = ", ".join(f"new.{name}" for name in self.fields)
        # NULL text would be indexed as nothing anyway; COALESCE keeps FTS5 from storing NULLs.
        selected = ", ".join(f"COALESCE({name}, '')" for name in self.fields)
        return [
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({columns}, "
            f"tokenize = '{FTS_TOKENIZE}')",
            f"DELETE FROM {fts}",
            f"INSERT INTO {fts}(rowid, {columns}) SELECT id, {selected} FROM {table}",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF {columns} ON {table} "
            f"BEGIN DELETE FROM {fts} WHERE rowid = old.id; "
            f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new}); END",
            f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM {fts} WHERE rowid = old.id; END",
        ]

    def drop_sql(self, vendor: str) -> list[str]:
        if vendor == "postgresql":
            return [f"DROP INDEX IF EXISTS {self.name}"]
        if vendor != "sqlite":
            return []
        return [
            f"DROP TRIGGER IF EXISTS {self.fts}_insert",
            f"DROP TRIGGER IF EXISTS {self.fts}_update",
            f"DROP TRIGGER IF EXISTS {self.fts}_delete",
            f"DROP TABLE IF EXISTS {self.fts}",
        ]

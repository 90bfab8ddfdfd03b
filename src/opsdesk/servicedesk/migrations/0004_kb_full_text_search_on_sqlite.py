"""SQLite only: an FTS5 index of knowledge articles, kept in step by triggers.

Triggers rather than service calls, so articles written any way (admin, fixtures, imports)
are found. PostgreSQL computes its tsvector in the query and needs nothing here.
A later migration that rebuilds the article table on SQLite drops these triggers with the
old table; it must run ``create_index`` again (the search tests notice if it does not).
"""

from django.db import migrations

TABLE = "servicedesk_knowledgearticle"
FTS = "servicedesk_kb_fts"

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS} USING fts5("
    "title, keywords, body, tokenize = 'porter unicode61 remove_diacritics 2')",
    f"DELETE FROM {FTS}",
    f"INSERT INTO {FTS}(rowid, title, keywords, body) SELECT id, title, keywords, body FROM {TABLE}",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_insert AFTER INSERT ON {TABLE} BEGIN "
    f"INSERT INTO {FTS}(rowid, title, keywords, body) "
    "VALUES (new.id, new.title, new.keywords, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_update AFTER UPDATE OF title, keywords, body ON {TABLE} "
    f"BEGIN DELETE FROM {FTS} WHERE rowid = old.id; "
    f"INSERT INTO {FTS}(rowid, title, keywords, body) "
    "VALUES (new.id, new.title, new.keywords, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS}_delete AFTER DELETE ON {TABLE} BEGIN "
    f"DELETE FROM {FTS} WHERE rowid = old.id; END",
]
DROP = [
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TABLE IF EXISTS {FTS}",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


create_index = _run(CREATE)
drop_index = _run(DROP)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0003_kb_review_categories_links")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

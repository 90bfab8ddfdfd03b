"""Knowledge search on PostgreSQL filters through a stored GIN index, not a scan of every
article; SQLite keeps its FTS5 table and gets no such index."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection

from opsdesk.servicedesk import knowledge, search
from opsdesk.servicedesk.models import KnowledgeArticle
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db

migration = import_module("opsdesk.servicedesk.migrations.0005_kb_search_index_on_postgresql")


def index_exists() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [migration.INDEX])
        else:
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [migration.INDEX]
            )
        return cursor.fetchone() is not None


def plan_without_seqscan(queryset) -> str:
    # On a handful of rows a scan is cheaper and the planner rightly prefers it; forbidding
    # scans for this transaction asks the question that matters: can the index answer?
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {KnowledgeArticle._meta.db_table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


@pytest.fixture
def shelf(db):
    # Enough articles that reading them all costs more than asking the index.
    KnowledgeArticle.objects.bulk_create(
        KnowledgeArticle(
            number=f"KB8{n:06d}",
            title=f"Laptop dock model {n}",
            body="Plug it in again.",
            state="published",
        )
        for n in range(500)
    )
    return ArticleFactory(title="VPN client setup", keywords="vpn, remote", body="Install it.")


def test_index_exists_only_on_postgresql():
    assert index_exists() is (connection.vendor == "postgresql")


def test_search_filters_through_the_index(postgres_only, shelf, alice, desk_agent):
    plan = plan_without_seqscan(search.ranked(KnowledgeArticle.objects.all(), ["vpn"]))
    assert migration.INDEX in plan, plan
    # The searches the portal and the agent pages run, with permission filters and counts.
    for viewer in (alice, desk_agent):
        found = knowledge.article_search(viewer=viewer, text="remote vpn")
        plan = plan_without_seqscan(found)
        assert migration.INDEX in plan, plan
        assert [a.title for a in found] == ["VPN client setup"]


def test_index_answers_prefixes_and_follows_edits(postgres_only, shelf, desk_agent):
    knowledge.article_update(actor=desk_agent, article=shelf, title="Wireless setup")
    found = search.ranked(KnowledgeArticle.objects.all(), ["wirel"])
    assert migration.INDEX in plan_without_seqscan(found)
    assert [a.pk for a in found] == [shelf.pk]


def test_migration_is_reversible(postgres_only):
    state_apps = apps  # the functions touch no models
    with connection.schema_editor() as editor:
        migration.drop_index(state_apps, editor)
    assert not index_exists()
    with connection.schema_editor() as editor:
        migration.create_index(state_apps, editor)
    assert index_exists()


class RecordingEditor:
    """Stands in for a schema editor: what would run, without running it."""

    def __init__(self, vendor):
        self.connection = type("Connection", (), {"vendor": vendor})()
        self.statements = []

    def execute(self, sql, params=()):
        self.statements.append(sql)


def test_migration_does_nothing_on_other_databases():
    for step in (migration.create_index, migration.drop_index):
        editor = RecordingEditor("sqlite")
        step(apps, editor)
        assert editor.statements == []
    editor = RecordingEditor("postgresql")
    migration.create_index(apps, editor)
    migration.drop_index(apps, editor)
    assert [sql.split(" ON ")[0] for sql in editor.statements] == [
        f"CREATE INDEX IF NOT EXISTS {migration.INDEX}",
        f"DROP INDEX IF EXISTS {migration.INDEX}",
    ]

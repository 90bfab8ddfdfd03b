"""Audit entries sealed with a key (key_id, seq), and the audit table append-only on SQLite.

PostgreSQL's guard is in 0002. SQLite gets BEFORE UPDATE and BEFORE DELETE triggers. The
DELETE trigger asks ``opsdesk_audit_unlocked()``, a function opsdesk registers on its own
connections (core/audit.py) that answers "no" except while the test suite flushes the
database; a connection without it (the sqlite3 shell, another program) cannot even prepare a
DELETE on the table. Anyone who can write the database file can still drop the triggers:
the keyed chain and the checkpoint are what catch that.
"""

from django.db import migrations, models

SQLITE_GUARD = [
    """
    CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
    BEGIN
        SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused on core_auditentry');
    END
    """,
    """
    CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
    WHEN NOT opsdesk_audit_unlocked()
    BEGIN
        SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused on core_auditentry');
    END
    """,
]
SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
]


def guard_audit_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_GUARD:
            schema_editor.execute(sql)


def unguard_audit_sqlite(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_UNGUARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_related_records"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        # After the fields: adding key_id rebuilds the table on SQLite, which would drop them.
        migrations.RunPython(guard_audit_sqlite, unguard_audit_sqlite),
    ]

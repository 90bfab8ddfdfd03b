"""The SLA configuration stamp, and the triggers that change it with every policy or calendar.

Triggers rather than service calls, so every writer (services, the admin, bulk updates, raw
SQL, another process) moves the stamp in its own transaction. On SQLite a later migration that
rebuilds ``sla_slapolicy`` or ``sla_businesscalendar`` drops their triggers with the old table
and must run ``create_triggers`` again.
"""

import random

from django.db import migrations, models

STAMP = "sla_configstamp"
TABLES = ["sla_slapolicy", "sla_businesscalendar"]

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_stamp_{op.lower()} AFTER {op} ON {table} BEGIN "
    f"INSERT OR REPLACE INTO {STAMP} (id, stamp) VALUES (1, random()); END"
    for table in TABLES
    for op in ("INSERT", "UPDATE", "DELETE")
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_stamp_{op.lower()}"
    for table in TABLES
    for op in ("INSERT", "UPDATE", "DELETE")
]
POSTGRES_CREATE = [
    f"""
    CREATE OR REPLACE FUNCTION {STAMP}_touch() RETURNS trigger AS $$
    BEGIN
        INSERT INTO {STAMP} (id, stamp) VALUES (1, floor(random() * 9007199254740991)::bigint)
        ON CONFLICT (id) DO UPDATE SET stamp = EXCLUDED.stamp;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        f"CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {STAMP}_touch()"
        for table in TABLES
    ),
]
POSTGRES_DROP = [
    *(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table}" for table in TABLES),
    f"DROP FUNCTION IF EXISTS {STAMP}_touch()",
]


def _run(by_vendor):
    def run(apps, schema_editor):
        for sql in by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


create_triggers = _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE})
drop_triggers = _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


def first_stamp(apps, schema_editor):
    stamp = random.getrandbits(53)
    apps.get_model("sla", "ConfigStamp").objects.update_or_create(id=1, defaults={"stamp": stamp})


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConfigStamp",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("stamp", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(first_stamp, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]

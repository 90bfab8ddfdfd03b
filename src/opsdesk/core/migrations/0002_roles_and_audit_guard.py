"""Seed the roles as groups, and make the audit table append-only on PostgreSQL."""

from django.db import migrations

ROLES = [
    "requester", "agent", "team lead", "major incident manager", "problem manager",
    "service owner", "approver", "administrator",
]
# Core permissions per role; later domains' migrations add theirs to the same groups.
CORE_PERMISSIONS = {
    "agent": ["view_user", "view_team"],
    "team lead": ["view_user", "view_team", "change_team"],
    "major incident manager": ["view_user", "view_team"],
    "problem manager": ["view_user", "view_team"],
    "service owner": ["view_user", "view_team"],
    "administrator": [
        "view_user", "add_user", "change_user", "view_team", "add_team", "change_team",
        "delete_team", "view_apitoken", "add_apitoken", "change_apitoken", "view_auditentry",
        "view_outboxevent", "change_outboxevent",
    ],
}

GUARD_SQL = """
CREATE OR REPLACE FUNCTION opsdesk_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: %% refused on core_auditentry', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditentry_append_only
    BEFORE UPDATE OR DELETE ON core_auditentry
    FOR EACH ROW EXECUTE FUNCTION opsdesk_audit_append_only();
"""
UNGUARD_SQL = """
DROP TRIGGER IF EXISTS core_auditentry_append_only ON core_auditentry;
DROP FUNCTION IF EXISTS opsdesk_audit_append_only();
"""


def seed_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally made after all migrations; make core's now to attach them.
    config = apps.get_app_config("core")
    config.models_module = True  # historical app configs lack it; create_permissions asks
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        codenames = CORE_PERMISSIONS.get(name, [])
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="core", codename__in=codenames)
        )


def unseed_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


def guard_audit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD_SQL)


def unguard_audit(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(seed_roles, unseed_roles),
        migrations.RunPython(guard_audit, unguard_audit),
    ]

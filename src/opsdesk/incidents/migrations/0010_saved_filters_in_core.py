"""Saved filters move to core, keyed by record type, so every record type's queue has them."""

from django.db import migrations


def forwards(apps, schema_editor):
    Old = apps.get_model("incidents", "SavedFilter")
    New = apps.get_model("core", "SavedFilter")
    New.objects.bulk_create(
        New(
            owner_id=old.owner_id,
            record_type="incident",
            name=old.name,
            queue=old.queue,
            query=old.query,
            created_at=old.created_at,
        )
        for old in Old.objects.all()
    )


def backwards(apps, schema_editor):
    Old = apps.get_model("incidents", "SavedFilter")
    New = apps.get_model("core", "SavedFilter")
    Old.objects.bulk_create(
        Old(
            owner_id=new.owner_id,
            name=new.name,
            queue=new.queue,
            query=new.query,
            created_at=new.created_at,
        )
        for new in New.objects.filter(record_type="incident")
    )
    New.objects.filter(record_type="incident").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_backfill_ticket_history"),
        ("core", "0009_saved_filters"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.DeleteModel(name="SavedFilter"),
    ]

"""Surveys name their ticket by record type and id, so any registered record type has them."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Survey = apps.get_model("servicedesk", "Survey")
    Incident = apps.get_model("incidents", "Incident")
    numbers = dict(Incident.objects.values_list("pk", "number"))
    for survey in Survey.objects.all():
        survey.record_type = "incident"
        survey.record_id = survey.incident_id
        survey.number = numbers.get(survey.incident_id, "")
        survey.save(update_fields=["record_type", "record_id", "number"])


def backwards(apps, schema_editor):
    Survey = apps.get_model("servicedesk", "Survey")
    # Only incidents had surveys before; the others have nowhere to go back to.
    Survey.objects.exclude(record_type="incident").delete()
    for survey in Survey.objects.all():
        survey.incident_id = survey.record_id
        survey.save(update_fields=["incident"])


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0009_backfill_ticket_history"),
        ("servicedesk", "0005_kb_search_index_on_postgresql"),
    ]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="record_type",
            field=models.CharField(default="incident", max_length=40),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="survey",
            name="record_id",
            field=models.PositiveBigIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="survey",
            name="number",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.AlterField(
            model_name="survey",
            name="incident",
            field=models.OneToOneField(
                null=True,
                on_delete=models.deletion.CASCADE,
                related_name="survey",
                to="incidents.incident",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="survey", name="incident"),
        migrations.AlterField(
            model_name="survey",
            name="record_id",
            field=models.PositiveBigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="survey",
            constraint=models.UniqueConstraint(
                fields=("record_type", "record_id"), name="survey_once_per_ticket"
            ),
        ),
    ]

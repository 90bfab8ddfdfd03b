"""Back-fill the typed ticket history from what incidents kept until now.

The timeline's change entries (state, group, assignee, priority) become history rows, with
the group, assignee and priority the incident had just after each change; milestones come from
the incident's timestamps and state changes, SLA pauses and resumes from the clocks' events
(``core.tickets.backfill``). Reversing deletes the incident rows again.
"""

from django.db import migrations

from opsdesk.core.tickets.backfill import history_rebuild


def backfill(apps, schema_editor):
    history_rebuild(record_type="incident", app_label="incidents", model_name="incident", apps=apps)


def forget(apps, schema_editor):
    apps.get_model("core", "TicketHistory").objects.filter(record_type="incident").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0008_incident_on_ticket_platform"),
        ("core", "0007_ticket_platform"),
        ("sla", "0003_policy_pause_reasons"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(backfill, forget)]

"""Which hold reasons pause each clock of a policy.

Until now every hold paused the clocks. Existing incident policies keep pausing while the
desk waits for the caller and no longer pause while it waits for a vendor, a change or a
problem fix: that time is the desk's to manage. Policies of other record types pause on their
state alone, as before, until their domain registers hold reasons.

Adding the columns rebuilds ``sla_slapolicy`` on SQLite, which drops its configuration stamp
triggers (see 0002); they are created again right after.
"""

from importlib import import_module

from django.db import migrations, models

import opsdesk.sla.hold_reasons

stamp = import_module("opsdesk.sla.migrations.0002_config_stamp")
# The PostgreSQL triggers live on through ALTER TABLE; only SQLite loses them.
recreate_sqlite_triggers = stamp._run({"sqlite": stamp.SQLITE_CREATE})

INCIDENT_DEFAULT = ["awaiting_caller"]


def fill_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    for record_type, reasons in (("incident", INCIDENT_DEFAULT),):
        SlaPolicy.objects.filter(record_type=record_type).update(
            response_pause_reasons=reasons, resolution_pause_reasons=reasons
        )
    SlaPolicy.objects.exclude(record_type="incident").update(
        response_pause_reasons=[], resolution_pause_reasons=[]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0002_config_stamp"),
    ]

    operations = [
        # Undoing the columns rebuilds the table again: this step, last when reversing, puts
        # the triggers back.
        migrations.RunPython(migrations.RunPython.noop, recreate_sqlite_triggers),
        migrations.AddField(
            model_name="slapolicy",
            name="response_pause_reasons",
            field=models.JSONField(
                blank=True,
                default=opsdesk.sla.hold_reasons.default_pause_reasons,
                help_text='Hold reasons that pause the response clock, e.g. ["awaiting_caller"].',
            ),
        ),
        migrations.AddField(
            model_name="slapolicy",
            name="resolution_pause_reasons",
            field=models.JSONField(
                blank=True,
                default=opsdesk.sla.hold_reasons.default_pause_reasons,
                help_text=(
                    'Hold reasons that pause the resolution and OLA clocks, e.g. ["awaiting_caller"].'
                ),
            ),
        ),
        migrations.RunPython(recreate_sqlite_triggers, migrations.RunPython.noop),
        migrations.RunPython(fill_defaults, migrations.RunPython.noop),
    ]

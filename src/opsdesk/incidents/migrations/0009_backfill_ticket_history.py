"""Back-fill the typed ticket history from what incidents kept until now.

The timeline's change entries (state, group, assignee, priority) become history rows, with
the group, assignee and priority the incident had just after each change, replayed from the
entries' own from/to values. Milestones come from the incident's timestamps (acknowledged,
first response) and its state changes (resolved, reopened); SLA pauses and resumes from the
clocks' own events. Reversing deletes the incident rows again.
"""

from django.db import migrations

BATCH = 2000
FIELDS = ("state", "assignment_group", "assignee", "priority")


def _as_int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value) -> str:
    return "" if value is None else str(value)[:64]


def backfill(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    TimelineEntry = apps.get_model("core", "TimelineEntry")
    TicketHistory = apps.get_model("core", "TicketHistory")
    ContentType = apps.get_model("contenttypes", "ContentType")
    TimerEvent = apps.get_model("sla", "TimerEvent")
    content_type = ContentType.objects.filter(app_label="incidents", model="incident").first()
    if content_type is None:
        return  # a fresh database: no incidents, nothing to back-fill
    ids = list(Incident.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        incidents = {
            row["pk"]: row
            for row in Incident.objects.filter(pk__in=chunk).values(
                "pk",
                "assignment_group_id",
                "assignee_id",
                "priority",
                "acknowledged_at",
                "first_response_at",
            )
        }
        entries: dict[int, list] = {}
        for entry in (
            TimelineEntry.objects.filter(content_type=content_type, object_id__in=map(str, chunk))
            .order_by("created_at", "id")
            .values("object_id", "kind", "author_id", "created_at", "data")
        ):
            if isinstance(entry["data"], dict) and entry["data"].get("field") in FIELDS:
                entries.setdefault(int(entry["object_id"]), []).append(entry)
        rows = []
        for pk, incident in incidents.items():
            rows.extend(_replay(TicketHistory, incident, entries.get(pk, [])))
        TicketHistory.objects.bulk_create(rows, batch_size=1000)
    pauses = TimerEvent.objects.filter(
        timer__content_type=content_type, kind__in=("paused", "resumed")
    ).values("timer__object_id", "timer__kind", "kind", "at")
    TicketHistory.objects.bulk_create(
        (
            TicketHistory(
                record_type="incident",
                record_id=int(event["timer__object_id"]),
                change="sla_paused" if event["kind"] == "paused" else "sla_resumed",
                to_value=event["timer__kind"],
                at=event["at"],
            )
            for event in pauses.iterator()
            if str(event["timer__object_id"]).isdigit()
        ),
        batch_size=1000,
    )


def _replay(TicketHistory, incident, entries):
    """History rows for one incident, each carrying the values just after its change."""
    # Walk back from today's values to what the incident had when it was opened.
    now = {
        "assignment_group": incident["assignment_group_id"],
        "assignee": incident["assignee_id"],
        "priority": incident["priority"],
    }
    for entry in reversed(entries):
        field = entry["data"]["field"]
        if field in now:
            now[field] = _as_int(entry["data"].get("from"))
    rows = []
    for entry in entries:
        data = entry["data"]
        field, old, new = data["field"], data.get("from"), data.get("to")
        if field in now:
            now[field] = _as_int(new)
        change = field
        if field == "state" and old is None:
            change = "opened"
        common = {
            "record_type": "incident",
            "record_id": incident["pk"],
            "at": entry["created_at"],
            "actor_id": entry["author_id"],
            "group_id": now["assignment_group"],
            "assignee_id": now["assignee"],
            "priority": now["priority"],
        }
        rows.append(
            TicketHistory(change=change, from_value=_text(old), to_value=_text(new), **common)
        )
        if field == "state" and new == "resolved":
            rows.append(TicketHistory(change="resolved", **common))
        if field == "state" and old == "resolved" and new == "in_progress":
            rows.append(TicketHistory(change="reopened", **common))
    for change, at in (
        ("acknowledged", incident["acknowledged_at"]),
        ("first_public_reply", incident["first_response_at"]),
    ):
        if at is not None and not (
            change == "first_public_reply" and at == incident["acknowledged_at"]
        ):
            rows.append(
                TicketHistory(
                    record_type="incident",
                    record_id=incident["pk"],
                    change=change,
                    at=at,
                    group_id=incident["assignment_group_id"],
                    assignee_id=incident["assignee_id"],
                    priority=incident["priority"],
                )
            )
    return rows


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

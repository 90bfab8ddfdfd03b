"""Rebuild a record type's typed history from what it kept before the platform: its timeline.

Used by the migration that back-filled incidents and by demo data written in bulk. The
timeline's change entries (state, group, assignee, priority) become history rows, with the
group, assignee and priority the record had just after each change, replayed from the
entries' own from/to values. Milestones come from the record's timestamps (acknowledged, first
response) and its state changes (into the resolved states, and out of them: reopened); SLA
pauses and resumes from the clocks' own events. Model classes come from ``apps``, so a
migration passes its historical ones.
"""

from django.apps import apps as django_apps

BATCH = 2000
FIELDS = ("state", "assignment_group", "assignee", "priority")


def _as_int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value) -> str:
    return "" if value is None else str(value)[:64]


def history_rebuild(
    *,
    record_type: str,
    app_label: str,
    model_name: str,
    resolved=("resolved",),
    reopened_to="in_progress",
    ids=None,
    apps=django_apps,
) -> int:
    """Write the history rows of ``app_label.model_name`` (all records, or ``ids``); returns
    how many. Records that have history rows already are left alone."""
    Model = apps.get_model(app_label, model_name)
    TimelineEntry = apps.get_model("core", "TimelineEntry")
    TicketHistory = apps.get_model("core", "TicketHistory")
    ContentType = apps.get_model("contenttypes", "ContentType")
    TimerEvent = apps.get_model("sla", "TimerEvent")
    content_type = ContentType.objects.filter(app_label=app_label, model=model_name).first()
    if content_type is None:
        return 0  # a fresh database: nothing kept, nothing to rebuild
    records = Model.objects.order_by("pk")
    if ids is not None:
        records = records.filter(pk__in=list(ids))
    done = set(
        TicketHistory.objects.filter(record_type=record_type).values_list("record_id", flat=True)
    )
    pks = [pk for pk in records.values_list("pk", flat=True) if pk not in done]
    written = 0
    for start in range(0, len(pks), BATCH):
        chunk = pks[start : start + BATCH]
        rows = []
        entries: dict[int, list] = {}
        for entry in (
            TimelineEntry.objects.filter(content_type=content_type, object_id__in=map(str, chunk))
            .order_by("created_at", "id")
            .values("object_id", "kind", "author_id", "created_at", "data")
        ):
            if isinstance(entry["data"], dict) and entry["data"].get("field") in FIELDS:
                entries.setdefault(int(entry["object_id"]), []).append(entry)
        for record in Model.objects.filter(pk__in=chunk).values(
            "pk",
            "assignment_group_id",
            "assignee_id",
            "priority",
            "acknowledged_at",
            "first_response_at",
        ):
            rows.extend(
                _replay(
                    TicketHistory,
                    record_type,
                    record,
                    entries.get(record["pk"], []),
                    resolved=set(resolved),
                    reopened_to=reopened_to,
                )
            )
        pauses = TimerEvent.objects.filter(
            timer__content_type=content_type,
            timer__object_id__in=map(str, chunk),
            kind__in=("paused", "resumed"),
        ).values("timer__object_id", "timer__kind", "kind", "at")
        rows.extend(
            TicketHistory(
                record_type=record_type,
                record_id=int(event["timer__object_id"]),
                change="sla_paused" if event["kind"] == "paused" else "sla_resumed",
                to_value=event["timer__kind"],
                at=event["at"],
            )
            for event in pauses
        )
        TicketHistory.objects.bulk_create(rows, batch_size=1000)
        written += len(rows)
    return written


def _replay(TicketHistory, record_type, record, entries, *, resolved, reopened_to):
    """History rows for one record, each carrying the values just after its change."""
    # Walk back from today's values to what the record had when it was opened.
    now = {
        "assignment_group": record["assignment_group_id"],
        "assignee": record["assignee_id"],
        "priority": record["priority"],
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
        change = "opened" if field == "state" and old is None else field
        common = {
            "record_type": record_type,
            "record_id": record["pk"],
            "at": entry["created_at"],
            "actor_id": entry["author_id"],
            "group_id": now["assignment_group"],
            "assignee_id": now["assignee"],
            "priority": now["priority"],
        }
        rows.append(
            TicketHistory(change=change, from_value=_text(old), to_value=_text(new), **common)
        )
        if field == "state" and new in resolved:
            rows.append(TicketHistory(change="resolved", **common))
        if field == "state" and old in resolved and new == reopened_to:
            rows.append(TicketHistory(change="reopened", **common))
    for change, at in (
        ("acknowledged", record["acknowledged_at"]),
        ("first_public_reply", record["first_response_at"]),
    ):
        if at is not None and not (
            change == "first_public_reply" and at == record["acknowledged_at"]
        ):
            rows.append(
                TicketHistory(
                    record_type=record_type,
                    record_id=record["pk"],
                    change=change,
                    at=at,
                    group_id=record["assignment_group_id"],
                    assignee_id=record["assignee_id"],
                    priority=record["priority"],
                )
            )
    return rows

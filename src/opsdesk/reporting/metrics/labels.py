"""The words a group's key is shown with: team and service names, priority labels, days."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model

from opsdesk.access.models import ReviewCampaign
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.models import Team
from opsdesk.core.models.tickets import TicketPriority
from opsdesk.core.tickets.registry import ticket_types
from opsdesk.incidents.models import Channel

CHANNEL_LABELS = dict(Channel.choices)
NONE_LABELS = {
    "team": "No team",
    "person": "Unassigned",
    "service": "No service",
    "ci": "No configuration item",
    "priority": "No priority",
    "category": "Uncategorised",
    "channel": "No channel",
    "stage": "No stage",
    "campaign": "No campaign",
}


def _names(model, keys, field: str = "name") -> dict:
    ids = [key for key in keys if key is not None]
    return dict(model.objects.filter(pk__in=ids).values_list("pk", field)) if ids else {}


def _people(keys) -> dict:
    ids = [key for key in keys if key is not None]
    users = get_user_model().objects.filter(pk__in=ids)
    return {user.pk: str(user) for user in users}  # the display name people know


def _day(text: str, group_by: str) -> str:
    day = date.fromisoformat(str(text)[:10])
    if group_by == "month":
        return day.strftime("%B %Y")
    if group_by == "week":
        return f"Week of {day.day} {day:%b %Y}"
    return f"{day.day} {day:%b %Y}"


def label_rows(rows: list[dict], group_by: str) -> list[dict]:
    """Give every row a ``label`` for its ``group`` key, with one query per grouping. A row
    its metric labelled already (a grouping of its own, such as per integration) keeps it."""
    keys = [row["group"] for row in rows]
    names: dict = {}
    if group_by == "team":
        names = _names(Team, keys)
    elif group_by == "person":
        names = _people(keys)
    elif group_by in ("service", "ci"):
        names = _names(ConfigurationItem, keys)
    elif group_by == "priority":
        names = dict(TicketPriority.choices)
    elif group_by == "channel":
        names = CHANNEL_LABELS
    elif group_by == "record_type":
        names = {tt.key: tt.label for tt in ticket_types()}
    elif group_by == "campaign":
        names = _names(ReviewCampaign, keys)
    for row in rows:
        key = row["group"]
        if row.get("label"):
            continue  # the metric named its own rows (per policy and target, per bucket)
        if key in (None, ""):
            row["label"] = NONE_LABELS.get(group_by, "None")
        elif group_by in ("day", "week", "month"):
            row["label"] = _day(key, group_by)
        else:
            row["label"] = str(names.get(key, key))
    return rows

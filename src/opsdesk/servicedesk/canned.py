"""Canned responses: the replies agents reuse, with placeholders filled in safely.

Placeholders are looked up in a fixed list, never evaluated as a template, so a response
written by one agent cannot read anything else about the ticket or the system.
"""

import re

from django.db import transaction
from django.db.models import Q, QuerySet

from opsdesk.core.errors import NotPermitted
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import is_admin, is_agent
from opsdesk.servicedesk.models import CannedResponse

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def _first_name(user) -> str:
    if user is None:
        return ""
    if user.first_name:
        return user.first_name
    return (str(user).split() or [""])[0]


def placeholder_values(*, incident, agent) -> dict[str, str]:
    caller = incident.caller if incident is not None else None
    return {
        "caller.first_name": _first_name(caller),
        "caller.name": str(caller or ""),
        "incident.number": incident.number if incident is not None else "",
        "incident.short_description": incident.short_description if incident is not None else "",
        "agent.name": str(agent or ""),
        "agent.first_name": _first_name(agent),
    }


def canned_render(*, response: CannedResponse, incident, agent) -> str:
    """The response's text with known placeholders filled; unknown ones stay as written."""
    values = placeholder_values(incident=incident, agent=agent)
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), response.body)


def canned_list(*, viewer) -> QuerySet[CannedResponse]:
    """Global responses and those of the viewer's teams."""
    if not is_agent(viewer):
        return CannedResponse.objects.none()
    qs = CannedResponse.objects.select_related("team")
    if is_admin(viewer):
        return qs
    return qs.filter(Q(team__isnull=True) | Q(team__in=viewer.teams.values("pk")))


def _may_edit(actor, team) -> None:
    if actor is None or is_admin(actor):
        return
    if not is_agent(actor):
        raise NotPermitted("Only service-desk staff may write canned responses.")
    if team is None or not actor.teams.filter(pk=team.pk).exists():
        raise NotPermitted("Agents edit their own teams' responses; global ones are for admins.")


@transaction.atomic
def canned_create(*, actor, title: str, body: str, team=None, active: bool = True):
    _may_edit(actor, team)
    values = {"title": title, "body": body, "team": team, "active": active}
    return record_create(CannedResponse, values=values, actor=actor, action="canned.created")


@transaction.atomic
def canned_update(*, actor, response, expected_version=None, **fields):
    _may_edit(actor, response.team)
    if "team" in fields:
        _may_edit(actor, fields["team"])
    return record_update(
        response,
        values=fields,
        actor=actor,
        expected_version=expected_version,
        action="canned.updated",
    )

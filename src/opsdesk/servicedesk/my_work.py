"""An agent's work in one list: assigned to me, or unassigned in my teams, soonest due first.

Each record type contributes through a source function registered in ``SOURCES``; service
requests and problems add theirs when they arrive, and the page needs no change.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from opsdesk.incidents.models import OPEN_STATES
from opsdesk.incidents.selectors import incident_list
from opsdesk.sla.selectors import sla_breaching_soon

SCOPES = {"all": "Mine and my teams'", "mine": "Assigned to me", "team": "Unassigned in my teams"}
# Every running clock, however far away: the selector's window, wide open.
ANY_DUE = timedelta(days=36500)


@dataclass(frozen=True)
class WorkItem:
    kind: str
    number: str
    title: str
    url: str
    state: str
    priority: int | None
    group: str
    assignee_id: int | None
    opened_at: datetime
    due_at: datetime | None

    @property
    def assigned(self) -> bool:
        return self.assignee_id is not None

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


Source = Callable[..., Iterable[WorkItem]]


def incident_work(*, viewer, scope: str, now: datetime) -> Iterable[WorkItem]:
    teams = viewer.teams.values("pk")
    wanted = {
        "mine": Q(assignee=viewer),
        "team": Q(assignee=None, assignment_group__in=teams),
    }.get(scope, Q(assignee=viewer) | Q(assignee=None, assignment_group__in=teams))
    incidents = (
        incident_list(viewer=viewer)
        .filter(wanted, state__in=OPEN_STATES)
        .select_related("assignment_group")
    )
    due = dict(
        sla_breaching_soon(queryset=incidents, within=ANY_DUE, now=now).values_list(
            "pk", "sla_next_due"
        )
    )
    for incident in incidents:
        yield WorkItem(
            kind="Incident",
            number=incident.number,
            title=incident.short_description,
            url=reverse("incidents:detail", args=[incident.pk]),
            state=incident.get_state_display(),
            priority=incident.priority,
            group=str(incident.assignment_group or ""),
            assignee_id=incident.assignee_id,
            opened_at=incident.opened_at,
            due_at=due.get(incident.pk),
        )


SOURCES: list[Source] = [incident_work]


def my_work(*, viewer, scope: str = "all", now: datetime | None = None) -> list[WorkItem]:
    """Everything from every source, due soonest first, then by priority and age."""
    now = now or timezone.now()
    scope = scope if scope in SCOPES else "all"
    items = [item for source in SOURCES for item in source(viewer=viewer, scope=scope, now=now)]
    never = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (i.due_at or never, i.priority or 99, i.opened_at))

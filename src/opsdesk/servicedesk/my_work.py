"""An agent's work in one list: assigned to me, or unassigned in my teams, soonest due first.

Every record type registered with the ticket platform contributes its open tickets (incidents,
tasks, and requests and problems once they register); the page needs no change for a new one.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from opsdesk.core.tickets.registry import TicketType, ticket_types
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


def ticket_work(kind: TicketType, *, viewer, scope: str, now: datetime) -> Iterable[WorkItem]:
    """One record type's open tickets assigned to the viewer or unassigned in their teams."""
    teams = viewer.teams.values("pk")
    wanted = {
        "mine": Q(assignee=viewer),
        "team": Q(assignee=None, assignment_group__in=teams),
    }.get(scope, Q(assignee=viewer) | Q(assignee=None, assignment_group__in=teams))
    records = (
        kind.visible(viewer)
        .filter(wanted, state__in=list(kind.open_states))
        .select_related("assignment_group")
    )
    due = dict(
        sla_breaching_soon(queryset=records, within=ANY_DUE, now=now).values_list(
            "pk", "sla_next_due"
        )
    )
    for record in records:
        yield WorkItem(
            kind=kind.label,
            number=record.number,
            title=record.short_description,
            url=kind.url(record),
            state=record.get_state_display(),
            priority=record.priority,
            group=str(record.assignment_group or ""),
            assignee_id=record.assignee_id,
            opened_at=record.opened_at,
            due_at=due.get(record.pk),
        )


def my_work(*, viewer, scope: str = "all", now: datetime | None = None) -> list[WorkItem]:
    """Everything from every source, due soonest first, then by priority and age."""
    now = now or timezone.now()
    scope = scope if scope in SCOPES else "all"
    items = [
        item
        for kind in ticket_types()
        for item in ticket_work(kind, viewer=viewer, scope=scope, now=now)
    ]
    never = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (i.due_at or never, i.priority or 99, i.opened_at))

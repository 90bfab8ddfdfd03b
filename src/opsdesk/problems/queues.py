"""The problem queues, shared by the problems page and the platform's workspace queue."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.problems.models import KNOWN_ERROR_STATES, ProblemState
from opsdesk.problems.selectors import overdue_root_cause

# key -> (label, filter(queryset of open problems, viewer)); in the order the tabs show.
QUEUES = {
    "mine": (
        "My problems",
        lambda qs, viewer: qs.filter(Q(problem_manager=viewer) | Q(assignee=viewer)),
    ),
    "unassigned": ("Unassigned", lambda qs, viewer: qs.filter(assignee__isnull=True)),
    "known": (
        "Known errors",
        lambda qs, viewer: qs.filter(state__in=list(KNOWN_ERROR_STATES)),
    ),
    "fix": (
        "Awaiting fix",
        lambda qs, viewer: qs.filter(
            state__in=[ProblemState.KNOWN_ERROR, ProblemState.FIX_IN_PROGRESS]
        ),
    ),
    "overdue": (
        "Overdue root cause",
        lambda qs, viewer: overdue_root_cause(qs, now=timezone.now()),
    ),
    "open": ("All open", lambda qs, viewer: qs),
}


def queue_filter(name: str, queryset: QuerySet, viewer) -> QuerySet:
    return QUEUES[name][1](queryset, viewer)


def workspace_queues() -> tuple:
    from opsdesk.core.tickets.registry import Queue

    return tuple(
        Queue(key, label, filter) for key, (label, filter) in QUEUES.items() if key != "open"
    )

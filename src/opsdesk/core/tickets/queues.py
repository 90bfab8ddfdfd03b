"""Workspace queues of any registered record type, their bulk actions and saved filters.

Every record type gets three queues (all open, assigned to me, unassigned in my teams) and
adds its own through ``TicketType.queues`` (a queue with the same key replaces the built-in
one). The queue page (``core.views.queues``) and the saved filters read this module, so a new
record type has its queue by registering. Bulk changes run through the ticket services, one
record at a time and each all or nothing (``core.bulk``).
"""

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.db.models import QuerySet

from opsdesk.core.bulk import BulkReport, bulk_apply
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import SavedFilter
from opsdesk.core.records import record_delete
from opsdesk.core.tickets.registry import Queue, TicketType
from opsdesk.core.tickets.services import require_agent, ticket_assign, ticket_transition

DEFAULT_QUEUES = (
    Queue("open", "All open", lambda qs, viewer: qs),
    Queue("mine", "Assigned to me", lambda qs, viewer: qs.filter(assignee=viewer)),
    Queue(
        "unassigned",
        "Unassigned in my teams",
        lambda qs, viewer: qs.filter(assignee=None, assignment_group__in=viewer.teams.values("pk")),
    ),
)

# Sort key -> (order, label); the id breaks ties newest first.
SORTS = {
    "opened": ("-opened_at", "Newest first"),
    "oldest": ("opened_at", "Oldest first"),
    "priority": ("priority", "Priority, most urgent first"),
    "number": ("number", "Number"),
    "state": ("state", "State"),
    "group": ("assignment_group__name", "Group"),
    "assignee": ("assignee__username", "Assignee"),
}
DEFAULT_SORT = "opened"


def queues_of(kind: TicketType) -> dict[str, Queue]:
    """The record type's queues by key, the built-in ones first."""
    found = {queue.key: queue for queue in DEFAULT_QUEUES}
    found.update({queue.key: queue for queue in kind.queues})
    return found


def queue_records(
    kind: TicketType, *, viewer, queue: str, states=None, sort: str = DEFAULT_SORT
) -> QuerySet:
    """One queue's records the viewer may see: open ones, or those in ``states`` (a state
    filter shows finished records too), in ``sort`` order."""
    assert kind.visible is not None
    chosen = queues_of(kind)[queue]
    records = kind.visible(viewer).select_related("assignment_group", "assignee", "caller")
    records = records.filter(state__in=list(states or kind.open_states))
    order = SORTS.get(sort, SORTS[DEFAULT_SORT])[0]
    return chosen.filter(records, viewer).order_by(order, "-id")


def ticket_bulk_update(
    kind: TicketType,
    *,
    actor,
    ids,
    assignment_group=None,
    assignee=None,
    action: str = "",
    reason: str = "",
) -> BulkReport:
    """Assign and/or move many tickets of one record type, each all or nothing.

    The report names the tickets that changed and, by number, why the others did not: a
    ticket whose move is refused keeps its old assignment too.
    """
    require_agent(actor)
    if action and action not in {t.name for t in kind.workflow.transitions}:
        raise ValidationFailed("Unknown action.", fields={"action": ["Pick an action."]})
    assert kind.visible is not None

    def change(record):
        if assignment_group is not None or assignee is not None:
            record = ticket_assign(
                actor=actor,
                record=record,
                assignment_group=assignment_group or record.assignment_group,
                assignee=assignee,
            )
        if action:
            ticket_transition(
                actor=actor, record=record, action=action, reason=reason or "Bulk update"
            )

    records = kind.visible(actor).filter(pk__in=list(ids)).order_by("number")
    return bulk_apply(records, change)


# --- saved filters ----------------------------------------------------------------------------
def saved_filter_list(*, viewer, record_type: str) -> QuerySet[SavedFilter]:
    """An agent's own saved filters of one record type; nobody sees anyone else's."""
    return SavedFilter.objects.filter(owner_id=viewer.pk, record_type=record_type)


def saved_filter_create(*, actor, record_type: str, name: str, queue: str, query: str, queues):
    """Keep the current queue, filters and sort under a name; the same name replaces it.
    ``queues`` are the record type's queue keys."""
    require_agent(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Name the filter.", fields={"name": ["This field is required."]})
    if queue not in queues:
        raise ValidationFailed("Unknown queue.", fields={"queue": [f"Pick one of {list(queues)}."]})
    # Paging position is not part of a filter.
    kept = [(k, v) for k, v in parse_qsl(query or "") if k not in ("after", "page")]
    saved, _ = SavedFilter.objects.update_or_create(
        owner=actor,
        record_type=record_type,
        name=name[:60],
        defaults={"queue": queue, "query": urlencode(kept)[:1000]},
    )
    return saved


@transaction.atomic
def saved_filter_delete(*, actor, saved_filter) -> None:
    if saved_filter.owner_id != actor.pk:
        raise NotPermitted("You may only delete your own saved filters.")
    record_delete(saved_filter, actor=actor)

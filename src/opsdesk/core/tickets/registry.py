"""Record types declare themselves here; the platform and the apps above it read the registry.

A record type names its model, number prefix, workflow, URLs, audience, notification topics,
queues, search fields, survey states and SLA clocks. Notifications, the portal, surveys,
inbound mail, workspace queues, search and SLA clocks look a ticket's type up here instead of
importing its model, so a new record type gets them by registering
(``tests/core/test_ticket_platform.py`` proves it with a type built from the registry alone).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from django.db import models
from django.db.models import QuerySet

from opsdesk.core.roles import is_admin, is_agent
from opsdesk.core.workflow import Workflow


class Clocks(Protocol):
    """The points where a ticket's SLA clocks move; ``sla.tickets.TicketClocks`` implements
    them over the SLA engine. Each is called in the transaction of the change, after saving."""

    def opened(self, record, *, at) -> None: ...
    def state_changed(self, record, *, from_state, to_state, at, responded=False) -> None: ...
    def priority_changed(self, record, *, from_priority, to_priority, at) -> None: ...
    def group_changed(self, record, *, from_group_id, to_group_id, at) -> None: ...
    def responded(self, record, *, at) -> None: ...
    def moment(self, record, name: str, *, at) -> None: ...


class NoClocks:
    """A record type without SLA targets: nothing to move."""

    def opened(self, record, *, at) -> None:
        return None

    def state_changed(self, record, *, from_state, to_state, at, responded=False) -> None:
        return None

    def priority_changed(self, record, *, from_priority, to_priority, at) -> None:
        return None

    def group_changed(self, record, *, from_group_id, to_group_id, at) -> None:
        return None

    def responded(self, record, *, at) -> None:
        return None

    def moment(self, record, name: str, *, at) -> None:
        return None


def default_visible_to(record, user) -> bool:
    """Requesters see what they raised, are it for, or watch; agents all but confidential
    tickets, which only administrators, the group, the assignee and the caller see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if is_admin(user) or user.pk in (record.caller_id, record.assignee_id):
        return True
    if getattr(record, "requested_for_id", None) == user.pk:
        return True
    if record.confidential:
        return (
            is_agent(user)
            and record.assignment_group_id is not None
            and record.assignment_group.members.filter(pk=user.pk).exists()
        )
    if record.watchers.filter(pk=user.pk).exists():
        return True
    return is_agent(user)


def default_visible(model: type[models.Model]) -> Callable[..., QuerySet]:
    """The queryset form of ``default_visible_to``: what ``viewer`` may list."""
    from django.db.models import Q

    watchers = model._meta.get_field("watchers").remote_field.through
    own_column = f"{model._meta.model_name}_id"
    has_requested_for = any(f.name == "requested_for" for f in model._meta.fields)

    def visible(viewer) -> QuerySet:
        qs = model._default_manager.all()
        if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
            return qs.none()
        if is_admin(viewer):
            return qs
        own = Q(caller=viewer) | Q(assignee=viewer)
        if has_requested_for:
            own |= Q(requested_for=viewer)
        # Watching opens only tickets that are not confidential.
        watched_ids = watchers.objects.filter(user_id=viewer.pk).values(own_column)
        watched = Q(confidential=False, pk__in=watched_ids)
        if not is_agent(viewer):
            return qs.filter(own | watched)
        my_groups = viewer.teams.values("pk")
        return qs.filter(Q(confidential=False) | Q(assignment_group__in=my_groups) | own)

    return visible


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    # filter(queryset, viewer) -> the queue's records, in the record type's order.
    filter: Callable[[QuerySet, object], QuerySet]


@dataclass
class TicketType:
    key: str  # "incident": in topics ("incident.opened"), history rows and SLA policies
    label: str  # "Incident"
    model: type[models.Model]
    prefix: str  # "INC"
    workflow: Workflow
    # url(record) -> the agent's page; portal_url(record) -> where a requester follows it.
    url: Callable[[models.Model], str]
    portal_url: Callable[[models.Model], str] | None = None
    visible_to: Callable[[models.Model, object], bool] = default_visible_to
    visible: Callable[..., QuerySet] | None = None  # visible(viewer) -> queryset
    # Outbox topic suffix -> notification event key ("opened" -> "opened").
    notification_events: dict[str, str] = field(default_factory=dict)
    queues: tuple[Queue, ...] = ()
    # queue_url() -> a queue page of the type's own (incidents); None: the platform's
    # workspace queue at /work/<key>/, built from ``queues``.
    queue_url: Callable[[], str] | None = None
    search_fields: dict[str, str] = field(default_factory=dict)  # field -> weight A..D
    open_states: frozenset[str] = frozenset()  # by default the workflow's open states
    # Hold reasons that mean "waiting for you": the caller is told (Awaiting caller).
    caller_hold_reasons: frozenset[str] = frozenset()
    # States whose arrival asks the caller how it went (the service desk's satisfaction
    # survey, once per ticket); empty: the record type asks nobody.
    survey_states: frozenset[str] = frozenset()
    clocks: Clocks = field(default_factory=NoClocks)
    # Where reporting reads a dimension that is not on the record under its usual name
    # (service_id, ci_id, category, channel): {"service": "catalog_item.service_id"}.
    report_dimensions: dict[str, str] = field(default_factory=dict)
    # Room for the request issue: an approvals definition and a form schema (None: none).
    approvals: object | None = None
    form: object | None = None

    def __post_init__(self):
        if self.visible is None:
            self.visible = default_visible(self.model)
        if not self.open_states:
            self.open_states = self.workflow.open_states

    def topic(self, suffix: str) -> str:
        return f"{self.key}.{suffix}"


_TYPES: dict[str, TicketType] = {}
_LISTENERS: list[Callable[[TicketType], None]] = []


def on_register(listener: Callable[[TicketType], None]) -> None:
    """Call ``listener`` for every record type registered so far and every one to come: an
    app above core (notifications) subscribes to the topics of types it cannot import."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
        for known in list(_TYPES.values()):
            listener(known)


def register(ticket_type: TicketType) -> TicketType:
    """Declare a record type; registering the same key again replaces it (tests, reloads)."""
    _TYPES[ticket_type.key] = ticket_type
    for listener in _LISTENERS:
        listener(ticket_type)
    if ticket_type.search_fields:
        from opsdesk.core import search

        search.register(
            search.RecordType(
                key=ticket_type.key,
                label=ticket_type.label,
                model=ticket_type.model,
                prefix=ticket_type.prefix,
                fields=ticket_type.search_fields,
                visible=ticket_type.visible,
                # Agents open the record page; requesters follow their tickets on the portal.
                url=lambda record, viewer, tt=ticket_type: (
                    tt.url(record)
                    if tt.portal_url is None or is_agent(viewer)
                    else tt.portal_url(record)
                ),
                title=lambda record: record.short_description,
            )
        )
    return ticket_type


def ticket_types() -> list[TicketType]:
    return list(_TYPES.values())


def ticket_type(key: str) -> TicketType:
    return _TYPES[key]


def ticket_type_of(record: models.Model) -> TicketType:
    for candidate in _TYPES.values():
        if type(record) is candidate.model:
            return candidate
    raise LookupError(f"{type(record).__name__} is not a registered record type")


def ticket_type_for_number(number: str) -> TicketType | None:
    """The record type whose prefix starts ``number`` (the longest prefix wins: RITM, REQ)."""
    number = (number or "").upper()
    matches = [t for t in _TYPES.values() if t.prefix and number.startswith(t.prefix)]
    rest = [t for t in matches if number[len(t.prefix) :].isdigit()]
    return max(rest, key=lambda t: len(t.prefix), default=None)


def ticket_by_number(number: str) -> models.Model | None:
    """The ticket with this number, of whichever registered type, or None."""
    found = ticket_type_for_number(number)
    if found is None:
        return None
    return found.model._default_manager.filter(number=number.upper()).first()


# Panels by record type and slot: kept apart from the types, since the apps that declare them
# may be ready before or after the record type's own app.
_PANELS: dict[str, dict[str, list[tuple[int, str]]]] = {}


def add_panel(key: str, *, slot: str, template: str, order: int = 100) -> None:
    """Show ``template`` in ``slot`` of record type ``key``'s page ("details", "reply",
    "after_details"). An app above the record type's app declares it, so the record type
    never imports the higher app's templates; the template sees the page's context."""
    slots = _PANELS.setdefault(key, {})
    entries = [e for e in slots.get(slot, []) if e[1] != template]
    slots[slot] = sorted([*entries, (order, template)])


def panels_for(key: str) -> dict[str, list[str]]:
    """Slot -> the templates to include there, in order."""
    return {slot: [t for _, t in entries] for slot, entries in _PANELS.get(key, {}).items()}


def attach_clocks(key: str, clocks: Clocks) -> None:
    """Give a record type SLA clocks (the SLA app does it for core's own types)."""
    _TYPES[key].clocks = clocks

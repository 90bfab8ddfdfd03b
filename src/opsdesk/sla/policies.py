"""Writes for business calendars and SLA policies, and choosing the policy for a record."""

import copy

from django.db import connections, models, router, transaction

from opsdesk.core.records import record_create, record_delete, record_update, validate_or_fail
from opsdesk.sla.models import BusinessCalendar, ConfigStamp, SlaPolicy


def _precheck(obj: models.Model, values: dict) -> None:
    """Validate the changed copy first, so nothing is locked or written for refused input."""
    obj = copy.copy(obj)
    for name, value in values.items():
        setattr(obj, name, value)
    validate_or_fail(obj, exclude=["version"], validate_unique=False)


@transaction.atomic
def calendar_create(*, actor, **fields) -> BusinessCalendar:
    _precheck(BusinessCalendar(), fields)
    return record_create(BusinessCalendar, values=fields, actor=actor)


@transaction.atomic
def calendar_update(
    *, actor, calendar: BusinessCalendar, expected_version=None, **fields
) -> BusinessCalendar:
    _precheck(calendar, fields)
    return record_update(calendar, values=fields, actor=actor, expected_version=expected_version)


@transaction.atomic
def policy_create(*, actor, **fields) -> SlaPolicy:
    _precheck(SlaPolicy(), fields)
    return record_create(SlaPolicy, values=fields, actor=actor)


@transaction.atomic
def policy_update(*, actor, policy: SlaPolicy, expected_version=None, **fields) -> SlaPolicy:
    _precheck(policy, fields)
    return record_update(policy, values=fields, actor=actor, expected_version=expected_version)


@transaction.atomic
def config_delete(*, actor, instance: BusinessCalendar | SlaPolicy) -> None:
    """Delete a calendar or policy; one still used by a policy or a timer is refused."""
    record_delete(instance, actor=actor)


def policy_match(*, record_type: str, attributes: dict) -> SlaPolicy | None:
    """The first active policy, in order, for this record type whose conditions all hold."""
    return next((p for p in active_policies(record_type) if p.matches(attributes)), None)


# This process's copy of the active policies: (stamp, {record type: policies in order}).
# Read-only once built; a new stamp replaces the whole pair.
_active: tuple[int | None, dict[str, list[SlaPolicy]]] = (None, {})


def config_stamp() -> int | None:
    """The current SLA configuration stamp (see ``ConfigStamp``); None before the first."""
    with connections[router.db_for_read(ConfigStamp)].cursor() as cursor:
        cursor.execute(f"SELECT stamp FROM {ConfigStamp._meta.db_table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def active_policies(record_type: str) -> list[SlaPolicy]:
    """Active policies of a record type in match order, calendars loaded; do not modify them.

    Served from memory while the configuration stamp is unchanged, so creating a record reads
    one small row instead of every policy; the stamp is read first, so a change that commits
    in between only costs an extra reload.
    """
    global _active
    stamp = config_stamp()
    cached_stamp, by_type = _active
    if stamp is None or stamp != cached_stamp:
        by_type = {}
        policies = (
            SlaPolicy.objects.filter(active=True)
            .select_related("response_calendar", "resolution_calendar")
            .order_by("order", "id")
        )
        for policy in policies:
            by_type.setdefault(policy.record_type, []).append(policy)
        if stamp is not None:
            _active = (stamp, by_type)
    return by_type.get(record_type, [])

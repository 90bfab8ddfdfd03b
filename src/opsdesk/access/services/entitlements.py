"""Writes to the catalog of access: entitlements, added and changed by access managers.

Validated whole before anything is saved, versioned so two managers editing the same
entitlement never overwrite each other silently, and audited like every other write.
"""

from django.db import transaction

from opsdesk.access.models import Entitlement
from opsdesk.access.selectors import may_manage_access
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import Role


def _checked(values: dict, entitlement: Entitlement | None) -> None:
    def current(name):
        if name in values:
            return values[name]
        return getattr(entitlement, name) if entitlement is not None else None

    fields: dict[str, list[str]] = {}
    role = values.get("opsdesk_role") or ""
    if role and role not in {str(r) for r in Role}:
        fields["opsdesk_role"] = ["Pick one of opsdesk's roles, or leave it empty."]
    # A connected entitlement must say which group it is, or the worker has nothing to write.
    if current("target") is not None and not (current("external_id") or "").strip():
        fields["external_id"] = ["Name the group in the directory it is provisioned to."]
    application, name = current("application"), (current("name") or "").strip()
    if application is not None and name:
        taken = Entitlement.objects.filter(application=application, name=name)
        if entitlement is not None:
            taken = taken.exclude(pk=entitlement.pk)
        if taken.exists():
            fields["name"] = [f"{application.name} already has an entitlement called {name}."]
    if values.get("max_duration_days") == 0:
        fields["max_duration_days"] = ["Leave it empty for no limit, or give at least one day."]
    if fields:
        raise ValidationFailed(next(iter(fields.values()))[0], fields=fields)


@transaction.atomic
def entitlement_save(
    *, actor, entitlement: Entitlement | None = None, expected_version=None, **values
) -> Entitlement:
    """Add an entitlement (``entitlement`` None) or change one; access managers only."""
    if not may_manage_access(actor):
        raise NotPermitted("Only access managers change what can be held.")
    _checked(values, entitlement)
    if entitlement is None:
        return record_create(
            Entitlement, values=values, actor=actor, action="access.entitlement_created"
        )
    return record_update(
        entitlement,
        values=values,
        actor=actor,
        expected_version=expected_version,
        action="access.entitlement_updated",
    )

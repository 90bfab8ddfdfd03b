"""Rows for access management's tests, written directly with the ORM (the services that write
them for real are tested on their own). Keep additions small and keyword-only."""

import itertools

from django.utils import timezone

from opsdesk.access.models import (
    Entitlement,
    Grant,
    GrantSource,
    GrantState,
    ProvisioningTarget,
    TargetKind,
)
from opsdesk.core.testing.factories import UserFactory

_numbers = itertools.count(1)


def make_target(*, kind: str = TargetKind.LDAP, **fields) -> ProvisioningTarget:
    number = next(_numbers)
    fields.setdefault("name", f"Directory {number}")
    fields.setdefault("url", "ldap://127.0.0.1:389")
    return ProvisioningTarget.objects.create(kind=kind, **fields)


def make_application(name: str | None = None):
    from opsdesk.cmdb.models import CIClass, ConfigurationItem

    return ConfigurationItem.objects.create(
        name=name or f"Application {next(_numbers)}",
        ci_class=CIClass.objects.get(key="application"),
    )


def make_entitlement(*, target=None, external_id: str = "", **fields) -> Entitlement:
    fields.setdefault("name", f"Group {next(_numbers)}")
    if "application" not in fields:
        fields["application"] = make_application()
    if "owner" not in fields:
        fields["owner"] = UserFactory()
    return Entitlement.objects.create(target=target, external_id=external_id, **fields)


def make_grant(*, entitlement, holder, state: str = GrantState.ACTIVE, **fields) -> Grant:
    now = timezone.now()
    fields.setdefault("source", GrantSource.REQUEST)
    fields.setdefault("valid_from", now)
    if state == GrantState.ACTIVE:
        fields.setdefault("started_at", fields["valid_from"])
    return Grant.objects.create(entitlement=entitlement, holder=holder, state=state, **fields)

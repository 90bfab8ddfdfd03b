"""Writes to the CMDB. Every function is one audited transaction and checks who is acting.

``actor=None`` means the system itself (demo data, the command line, other domains' workers).
"""

import copy

from django.db import models, transaction

from opsdesk.cmdb.models import ConfigurationItem, Relationship
from opsdesk.cmdb.roles import cmdb_can_edit
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_create, record_update, validate_or_fail


def require_editor(actor) -> None:
    if actor is not None and not cmdb_can_edit(actor):
        raise NotPermitted("Only administrators and service owners may change the CMDB.")


def validate(obj: models.Model) -> None:
    """Validate before writing, so related rows are never touched for a refused record."""
    validate_or_fail(obj)


@transaction.atomic
def ci_create(*, actor, name: str, ci_class, **fields) -> ConfigurationItem:
    """Register a configuration item."""
    require_editor(actor)
    validate(ConfigurationItem(name=name, ci_class=ci_class, **fields))
    ci = record_create(
        ConfigurationItem, values={"name": name, "ci_class": ci_class, **fields}, actor=actor
    )
    outbox_publish(topic="cmdb.ci.created", payload={"ci_id": ci.pk, "class": ci_class.key})
    return ci


@transaction.atomic
def ci_update(
    *, actor, ci: ConfigurationItem, expected_version: int | None = None, **fields
) -> ConfigurationItem:
    """Change a CI's fields; a stale ``expected_version`` is refused with 409."""
    require_editor(actor)
    before_status = ci.status
    candidate = copy.copy(ci)
    for name, value in fields.items():
        setattr(candidate, name, value)
    validate(candidate)
    updated = record_update(ci, values=fields, actor=actor, expected_version=expected_version)
    if updated.version != ci.version:
        outbox_publish(
            topic="cmdb.ci.updated",
            payload={
                "ci_id": updated.pk,
                "version": updated.version,
                "status": {"from": before_status, "to": updated.status},
            },
        )
    return updated


@transaction.atomic
def relationship_create(
    *, actor, source: ConfigurationItem, type: str, target: ConfigurationItem
) -> Relationship:
    """Link two CIs: "``source`` <type> ``target``". Self-loops and duplicates are refused."""
    require_editor(actor)
    validate(Relationship(source=source, type=type, target=target))
    relationship = record_create(
        Relationship, values={"source": source, "type": type, "target": target}, actor=actor
    )
    outbox_publish(
        topic="cmdb.relationship.created",
        payload={
            "relationship_id": relationship.pk,
            "source_id": source.pk,
            "type": type,
            "target_id": target.pk,
        },
    )
    return relationship


@transaction.atomic
def relationship_delete(*, actor, relationship: Relationship) -> None:
    require_editor(actor)
    payload = {
        "relationship_id": relationship.pk,
        "source_id": relationship.source_id,
        "type": relationship.type,
        "target_id": relationship.target_id,
    }
    audit_record(
        action="relationship.deleted",
        obj=relationship,
        changes={k: {"from": v, "to": None} for k, v in payload.items()},
        actor=actor,
    )
    relationship.delete()
    outbox_publish(topic="cmdb.relationship.deleted", payload=payload)

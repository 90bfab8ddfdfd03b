"""Writes to the CMDB. Every function is one audited transaction and checks who is acting.

``actor=None`` means the system itself (demo data, the command line, other domains' workers).
"""

import copy

from django.core.exceptions import ValidationError
from django.db import models, transaction

from opsdesk.cmdb.models import ConfigurationItem, Relationship
from opsdesk.cmdb.roles import cmdb_can_edit
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_create, record_update


def require_editor(actor) -> None:
    if actor is not None and not cmdb_can_edit(actor):
        raise NotPermitted("Only administrators and service owners may change the CMDB.")


def validate(obj: models.Model) -> None:
    """``full_clean`` with field errors as a ValidationFailed (400 with ``fields``).

    Runs before ``record_create``/``record_update`` so a refusal reaches the caller as field
    messages: core's own conversion expects ValidationError objects where Django's
    ``message_dict`` holds plain strings.
    """
    try:
        obj.full_clean()
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            fields = {name: list(messages) for name, messages in error.message_dict.items()}
        else:
            fields = {"__all__": list(error.messages)}
        first = next(iter(fields.values()))[0]
        raise ValidationFailed(
            f"Please correct the highlighted fields: {first}", fields=fields
        ) from None


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

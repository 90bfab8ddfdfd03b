"""Writes to the CMDB. Every function is one audited transaction and checks who is acting.

``actor=None`` means the system itself (demo data, the command line, other domains' workers).
"""

import copy

from django.db import models, transaction
from django.db.models import F

from opsdesk.cmdb.models import ConfigurationItem, Relationship, normalise_departments
from opsdesk.cmdb.roles import cmdb_can_edit, cmdb_can_read_all
from opsdesk.core.audit import audit_record
from opsdesk.core.concurrency import lock_for_update
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_create, record_delete, record_update, validate_or_fail


def require_editor(actor) -> None:
    if actor is not None and not cmdb_can_edit(actor):
        raise NotPermitted("Only administrators and service owners may change the CMDB.")


def validate(obj: models.Model) -> None:
    """Validate before writing, so related rows are never touched for a refused record."""
    validate_or_fail(obj)


def validate_ci(candidate: ConfigurationItem, *, subscribers=None, has_subscribers=False) -> None:
    """The CI's own checks plus its subscribers', every problem reported at once."""
    fields = {}
    try:
        validate(candidate)
    except ValidationFailed as refusal:
        fields.update(refusal.fields)
    follows = bool(subscribers) if subscribers is not None else has_subscribers
    if follows and candidate.ci_class_id and not candidate.is_service:
        fields["subscribers"] = [
            "Only business and technical services have subscribers; "
            + (
                f"leave this empty for a {candidate.ci_class.name.lower()}."
                if subscribers
                else "remove them before changing the class."
            )
        ]
    if fields:
        first = next(iter(fields.values()))[0]
        raise ValidationFailed(f"Please correct the highlighted fields: {first}", fields=fields)


def _normalised(fields: dict) -> dict:
    if "consumer_departments" in fields:
        fields = {
            **fields,
            "consumer_departments": normalise_departments(fields["consumer_departments"]),
        }
    return fields


def _ids(users) -> list:
    return sorted({getattr(u, "pk", u) for u in users})


@transaction.atomic
def ci_create(*, actor, name: str, ci_class, subscribers=None, **fields) -> ConfigurationItem:
    """Register a configuration item; services may name their ``subscribers`` (users or ids)."""
    require_editor(actor)
    fields = _normalised(fields)
    validate_ci(ConfigurationItem(name=name, ci_class=ci_class, **fields), subscribers=subscribers)
    ci = record_create(
        ConfigurationItem,
        values={"name": name, "ci_class": ci_class, **fields},
        actor=actor,
        m2m={"subscribers": _ids(subscribers)} if subscribers else None,
    )
    outbox_publish(topic="cmdb.ci.created", payload={"ci_id": ci.pk, "class": ci_class.key})
    return ci


@transaction.atomic
def ci_update(
    *,
    actor,
    ci: ConfigurationItem,
    expected_version: int | None = None,
    subscribers=None,
    **fields,
) -> ConfigurationItem:
    """Change a CI's fields; a stale ``expected_version`` is refused with 409.

    ``subscribers`` (users or ids), when given, replaces the list of people who follow it.
    """
    require_editor(actor)
    fields = _normalised(fields)
    before_status = ci.status
    candidate = copy.copy(ci)
    for name, value in fields.items():
        setattr(candidate, name, value)
    validate_ci(
        candidate,
        subscribers=subscribers,
        has_subscribers=subscribers is None and "ci_class" in fields and ci.subscribers.exists(),
    )
    updated = record_update(
        ci,
        values=fields,
        actor=actor,
        expected_version=expected_version,
        m2m={"subscribers": _ids(subscribers)} if subscribers is not None else None,
    )
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
    record_delete(relationship, actor=actor)
    outbox_publish(topic="cmdb.relationship.deleted", payload=payload)


# --- following a service ----------------------------------------------------------------------
def _followable(actor, service: ConfigurationItem) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotPermitted("Sign in to follow a service.")
    if not service.is_service:
        raise ValidationFailed(
            f"{service} is a {service.ci_class.name.lower()}, not a service.",
            fields={"service": ["Only business and technical services can be followed."]},
        )
    if not service.ci_class.is_business_service and not cmdb_can_read_all(actor):
        # Requesters see business services only; a technical service does not exist for them.
        raise NotPermitted("You may follow business services only.")


def _set_following(*, actor, service: ConfigurationItem, follow: bool) -> ConfigurationItem:
    _followable(actor, service)
    current = lock_for_update(ConfigurationItem, service.pk)
    link = current.subscribers.through.objects.filter(
        configurationitem_id=current.pk, user_id=actor.pk
    )
    if link.exists() == follow:
        return current  # already so: no version bump, no audit noise
    if follow:
        current.subscribers.add(actor)
    else:
        link.delete()
    # The subscriber list is part of the CI: an editor's form opened before this is now stale.
    ConfigurationItem.objects.filter(pk=current.pk).update(version=F("version") + 1)
    current.refresh_from_db(fields=["version"])
    audit_record(
        action="configurationitem.subscribed" if follow else "configurationitem.unsubscribed",
        obj=current,
        changes={
            "subscribers": {"from": None, "to": actor.pk}
            if follow
            else {"from": actor.pk, "to": None}
        },
        actor=actor,
    )
    return current


@transaction.atomic
def service_subscribe(*, actor, service: ConfigurationItem) -> ConfigurationItem:
    """``actor`` follows ``service``: they hear when it is disrupted. Following twice is a no-op."""
    return _set_following(actor=actor, service=service, follow=True)


@transaction.atomic
def service_unsubscribe(*, actor, service: ConfigurationItem) -> ConfigurationItem:
    """``actor`` stops following ``service``; unfollowing what one does not follow is a no-op."""
    return _set_following(actor=actor, service=service, follow=False)

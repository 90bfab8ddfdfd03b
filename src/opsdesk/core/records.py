"""Create and update any versioned record the same way: validate, lock, audit, bump version.

Domain services build on these so every record gets identical validation errors, 409s and
audit entries without repeating the steps.
"""

from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.audit import audit_record, diff, snapshot
from opsdesk.core.concurrency import lock_for_update, version_check
from opsdesk.core.errors import ValidationFailed


def validation_failed(error: ValidationError) -> ValidationFailed:
    if hasattr(error, "error_dict"):
        fields = {name: list(messages) for name, messages in error.message_dict.items()}
    else:
        fields = {"__all__": list(error.messages)}
    first = next(iter(fields.values()))[0] if fields else "Invalid input."
    return ValidationFailed(f"Please correct the highlighted fields: {first}", fields=fields)


def validate_or_fail(obj: models.Model, **full_clean_kwargs) -> None:
    """``full_clean`` whose refusal is a ValidationFailed with field messages (a 400)."""
    try:
        obj.full_clean(**full_clean_kwargs)
    except ValidationError as error:
        raise validation_failed(error) from None


def validated_save(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    validate_or_fail(obj, exclude=exclude)
    obj.save()


def audited_fields(model: type[models.Model]) -> list[str]:
    """Concrete, non-auto fields worth recording in the audit trail."""
    skip = {"version", "updated_at", "created_at", "password", "last_login"}
    return [f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]


def record_create(
    model: type[models.Model], *, values: dict, actor, action: str | None = None, m2m=None
) -> models.Model:
    """Validate and insert; call inside a transaction. ``m2m`` maps names to id lists."""
    obj = model(**values)
    validated_save(obj)
    for name, items in (m2m or {}).items():
        getattr(obj, name).set(items)
    after = snapshot(obj, audited_fields(model))
    audit_record(
        action=action or f"{model._meta.model_name}.created",
        obj=obj,
        changes=diff({}, after),
        actor=actor,
    )
    return obj


def record_update(
    obj: models.Model,
    *,
    values: dict,
    actor,
    expected_version: int | None = None,
    action: str | None = None,
    m2m=None,
) -> models.Model:
    """Lock, check the version, apply ``values``, validate, save and audit what changed."""
    model = type(obj)
    current = lock_for_update(model, obj.pk)
    version_check(current, expected_version)
    fields = audited_fields(model)
    before = snapshot(current, fields)
    m2m_before = {
        name: sorted(getattr(current, name).values_list("pk", flat=True)) for name in (m2m or {})
    }
    for name, value in values.items():
        setattr(current, name, value)
    changes = diff(before, snapshot(current, fields))
    for name, items in (m2m or {}).items():
        new_ids = sorted(getattr(i, "pk", i) for i in items)
        if new_ids != m2m_before[name]:
            changes[name] = {"from": m2m_before[name], "to": new_ids}
    if not changes:
        return current  # nothing to do: no version bump, no audit noise
    if hasattr(current, "version"):
        current.version += 1
    validated_save(current)
    for name, items in (m2m or {}).items():
        getattr(current, name).set(items)
    audit_record(
        action=action or f"{model._meta.model_name}.updated",
        obj=current,
        changes=changes,
        actor=actor,
    )
    return current

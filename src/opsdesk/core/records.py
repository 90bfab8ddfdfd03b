"""Create, update and delete any record the same way: validate, lock, audit, bump version.

Domain services build on these so every record gets identical validation errors, 409s and
audit entries without repeating the steps.
"""

import operator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router
from django.db.models import CheckConstraint, F, ProtectedError, Q, RestrictedError

from opsdesk.core.audit import audit_record, diff, snapshot
from opsdesk.core.concurrency import lock_for_update, version_check
from opsdesk.core.errors import InUse, ValidationFailed

M = TypeVar("M", bound=models.Model)


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


def validated_save(
    obj: models.Model,
    *,
    exclude: list[str] | None = None,
    unique_known: tuple[str, ...] = (),
    unchanged: frozenset[str] = frozenset(),
) -> None:
    """``full_clean`` then ``save``, with the same errors but fewer queries (see ``full_check``)."""
    try:
        full_check(obj, exclude=exclude, unique_known=unique_known, unchanged=unchanged)
    except ValidationError as error:
        raise validation_failed(error) from None
    obj.save()


# --- validation without needless queries -------------------------------------------------------
def full_check(
    obj: models.Model,
    *,
    exclude=None,
    unique_known: tuple[str, ...] = (),
    unchanged: frozenset[str] = frozenset(),
) -> None:
    """What ``obj.full_clean(exclude=exclude)`` checks, raising the same ValidationError.

    Three checks are answered without a query where the answer is already known:
    a foreign key given as a saved instance (loaded in this request) exists, so it is not
    looked up again; a check constraint over the record's own fields is decided in Python
    with SQL's NULL logic (``constraint_holds``), falling back to the database for anything
    else; and ``unique_known`` names fields whose uniqueness the caller guarantees (a number
    from its sequence). ``unchanged`` names the fields an update leaves as the stored row has
    them: their plain foreign keys still point at a row and their single-field uniqueness
    still holds, since the database's constraints admitted the stored values. The database's
    own constraints stay behind all of these.
    """
    exclude = set(exclude or ())
    errors: dict = {}
    if unchanged:
        unique_known = (*unique_known, *(unchanged & _unique_fields(type(obj))))
    try:
        obj.full_clean(
            exclude=exclude | _loaded_relations(obj) | (unchanged & _plain_foreign_keys(type(obj))),
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    # Like full_clean: uniqueness and constraints only for the fields that passed so far.
    exclude |= {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        obj.validate_unique(exclude=exclude | set(unique_known))
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    exclude |= {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        _validate_constraints(obj, exclude)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _loaded_relations(obj: models.Model) -> set[str]:
    """Foreign keys whose value is a saved instance of the target: they exist, no query."""
    names = set()
    for field in _foreign_keys(type(obj)):
        if not field.is_cached(obj):
            continue
        related = field.get_cached_value(obj)
        if (
            isinstance(related, field.remote_field.model)
            and not related._state.adding
            and getattr(related, field.target_field.attname) == getattr(obj, field.attname)
        ):
            names.add(field.name)
    return names


@cache
def _foreign_keys(model: type[models.Model]) -> tuple:
    return tuple(
        f
        for f in model._meta.concrete_fields
        if f.many_to_one or f.one_to_one
        if not f.remote_field.parent_link
        and not f.validators
        and not f.remote_field.limit_choices_to
    )


@cache
def _plain_foreign_keys(model: type[models.Model]) -> frozenset[str]:
    return frozenset(f.name for f in _foreign_keys(model))


@cache
def _unique_fields(model: type[models.Model]) -> frozenset[str]:
    """Fields unique on their own (``unique=True``); unique_together and constraints are
    checked whatever changed, since they span fields."""
    return frozenset(f.name for f in model._meta.concrete_fields if f.unique and not f.primary_key)


def _validate_constraints(obj: models.Model, exclude: set[str]) -> None:
    """``Model.validate_constraints`` with check constraints decided in Python when possible."""
    using = router.db_for_write(type(obj), instance=obj)
    errors: dict = {}
    for model_class, constraints in obj.get_constraints():
        for constraint in constraints:
            try:
                if isinstance(constraint, CheckConstraint):
                    holds = constraint_holds(constraint, model_class, obj, exclude)
                    if holds is False:
                        raise ValidationError(
                            constraint.get_violation_error_message(),
                            code=constraint.violation_error_code,
                        )
                    if holds is True:
                        continue
                constraint.validate(model_class, obj, exclude=exclude, using=using)
            except ValidationError as error:
                fields = getattr(constraint, "fields", ())
                if getattr(error, "code", None) == "unique" and len(fields) == 1:
                    errors.setdefault(fields[0], []).append(error)
                else:
                    errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


class _Undecided(Exception):
    """Only the database can decide this condition."""


class _Skipped(Exception):
    """The condition reads an excluded field: Django skips the constraint, and so do we."""


_COMPARISONS = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
# Values Python compares exactly as the database does; text only for equality (collations).
_ORDERED = (bool, int, float, Decimal, date, datetime, time, timedelta)


def constraint_holds(constraint, model_class, obj, exclude=()) -> bool | None:
    """Does ``obj`` satisfy the check constraint? None when the database must decide.

    Decided here: lookups exact, gt, gte, lt, lte, isnull and in on the model's own fields,
    against constants or F() of another own field, combined with AND, OR and NOT under SQL's
    three-valued logic; like the database, a condition that comes out unknown (NULL) holds.
    A condition that reads an excluded field holds, as in ``CheckConstraint.validate``.
    """
    fields = {f.name: f for f in model_class._meta.local_concrete_fields}
    try:
        return _decide(Q(constraint.condition), obj, fields, set(exclude)) is not False
    except _Skipped:
        return True
    except _Undecided:
        return None


def _field_value(obj, name: str, fields: dict, exclude: set):
    if name in exclude:
        raise _Skipped
    if name == "pk":
        return obj.pk
    field = fields.get(name)
    if field is None or field.generated:
        raise _Undecided
    return getattr(obj, field.attname)


def _decide(node, obj, fields, exclude) -> bool | None:
    if node.connector not in (Q.AND, Q.OR):
        raise _Undecided
    results = []
    for child in node.children:
        if isinstance(child, Q):
            results.append(_decide(child, obj, fields, exclude))
        elif isinstance(child, tuple) and len(child) == 2:
            results.append(_lookup(child, obj, fields, exclude))
        else:
            raise _Undecided
    if node.connector == Q.AND:
        result = False if False in results else None if None in results else True
    else:
        result = True if True in results else None if None in results else False
    if node.negated and result is not None:
        result = not result
    return result


def _lookup(child, obj, fields, exclude) -> bool | None:
    key, expected = child
    name, _, lookup = key.partition("__")
    value = _field_value(obj, name, fields, exclude)
    if isinstance(expected, F):
        expected = _field_value(obj, expected.name, fields, exclude)
    elif hasattr(expected, "resolve_expression"):
        raise _Undecided
    lookup = lookup or "exact"
    if lookup == "isnull" or (lookup == "exact" and expected is None):
        if lookup == "isnull" and not isinstance(expected, bool):
            raise _Undecided
        return (value is None) == (expected if lookup == "isnull" else True)
    if lookup == "in":
        if isinstance(expected, str | bytes) or not hasattr(expected, "__iter__"):
            raise _Undecided
        options = list(expected)
        if not options or any(not _comparable(option, "exact") for option in options):
            raise _Undecided
        if value is None:
            return None
        for option in options:
            _check_pair(value, option, "exact")
        return value in options
    compare = _COMPARISONS.get(lookup)
    if compare is None:
        raise _Undecided
    if value is None or expected is None:
        return None
    _check_pair(value, expected, lookup)
    return bool(compare(value, expected))


def _comparable(value, lookup: str) -> bool:
    if isinstance(value, str):
        return lookup == "exact"
    return isinstance(value, _ORDERED)


def _kind(value) -> str:
    for kind in (str, bool, datetime, date, time, timedelta):
        if isinstance(value, kind):
            return kind.__name__
    return "number"


def _check_pair(a, b, lookup: str) -> None:
    """Both sides of one kind, so Python's answer is the database's."""
    if not (_comparable(a, lookup) and _comparable(b, lookup)) or _kind(a) != _kind(b):
        raise _Undecided
    if isinstance(a, datetime) and (a.tzinfo is None) != (b.tzinfo is None):
        raise _Undecided


# --- create and update ----------------------------------------------------------------------
@cache
def audited_fields(model: type[models.Model]) -> list[str]:
    """Concrete, non-auto fields worth recording in the audit trail."""
    skip = {"version", "updated_at", "created_at", "password", "last_login"}
    return [f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in skip]


def record_create(
    model: type[M],
    *,
    values: dict,
    actor,
    action: str | None = None,
    m2m=None,
    unique_known: tuple[str, ...] = (),
) -> M:
    """Validate and insert; call inside a transaction. ``m2m`` maps names to id lists.

    ``unique_known`` names fields the caller guarantees unique (see ``full_check``).
    """
    obj = model(**values)
    validated_save(obj, unique_known=unique_known)
    for name, items in (m2m or {}).items():
        manager = getattr(obj, name)
        if items:
            manager.add(*items)  # a new record has no links to replace
        else:
            _known_empty(obj, manager)
    after = snapshot(obj, audited_fields(model))
    audit_record(
        action=action or f"{model._meta.model_name}.created",
        obj=obj,
        changes=diff({}, after),
        actor=actor,
    )
    return obj


def _known_empty(obj: models.Model, manager) -> None:
    """Nothing is linked through ``manager`` yet: remember it, as prefetching would, so that
    reading the links back (the API answer) needs no query. The manager's add, remove, set
    and clear forget it again."""
    links = manager.get_queryset()
    links._result_cache = []
    links._prefetch_done = True
    if not hasattr(obj, "_prefetched_objects_cache"):
        obj._prefetched_objects_cache = {}
    obj._prefetched_objects_cache[manager.prefetch_cache_name] = links


def record_update(
    obj: M,
    *,
    values: dict,
    actor,
    expected_version: int | None = None,
    action: str | None = None,
    m2m=None,
    locked: bool = False,
) -> M:
    """Lock, check the version, apply ``values``, validate, save and audit what changed.

    ``locked=True`` says ``obj`` already is this transaction's current, locked row (created
    or locked earlier in it), so it is changed in place instead of being read again.
    """
    model = type(obj)
    current = obj if locked else lock_for_update(model, obj.pk)
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
    # ``current`` is the stored row with ``values`` applied: what did not change was admitted
    # by the database already and needs no lookup again.
    validated_save(current, unchanged=frozenset(fields) - changes.keys())
    for name, items in (m2m or {}).items():
        getattr(current, name).set(items)
    audit_record(
        action=action or f"{model._meta.model_name}.updated",
        obj=current,
        changes=changes,
        actor=actor,
    )
    return current


# --- delete ---------------------------------------------------------------------------------
def record_delete(
    obj: models.Model,
    *,
    actor,
    expected_version: int | None = None,
    action: str | None = None,
    changes: dict | None = None,
    filed_under: models.Model | None = None,
    object_repr: str | None = None,
    locked: bool = False,
) -> None:
    """Lock, check the version, delete and audit; call inside a transaction.

    The audit entry keeps every audited field and many-to-many link of the deleted record
    (``changes`` replaces that when the caller says it better), so it can be put back by hand.
    A record other records still point at is refused with ``InUse`` naming them, and nothing
    is deleted. ``filed_under`` files the entry under another record (a link row whose removal
    is a change of the record it belongs to). Whether ``actor`` may delete is the caller's check.
    """
    model = type(obj)
    current = obj if locked else lock_for_update(model, obj.pk)
    if hasattr(current, "version"):
        version_check(current, expected_version)
    if changes is None:
        before = snapshot(current, audited_fields(model))
        for field in model._meta.many_to_many:
            before[field.name] = sorted(getattr(current, field.name).values_list("pk", flat=True))
        changes = diff(before, {})
    target = filed_under if filed_under is not None else current
    entry = {
        "object_type": target._meta.label_lower,
        "object_id": str(target.pk),
        "object_repr": object_repr if object_repr is not None else str(target)[:200],
    }
    try:
        # Django collects what the delete would touch before it writes anything, so a refusal
        # here leaves the database as it was.
        current.delete()
    except (ProtectedError, RestrictedError) as error:
        raise in_use(current, error) from None
    audit_record(
        action=action or f"{model._meta.model_name}.deleted",
        changes=changes,
        actor=actor,
        **entry,
    )


def in_use(obj: models.Model, error: ProtectedError | RestrictedError) -> InUse:
    """The refusal for deleting ``obj`` while ``error``'s records still point at it."""
    blockers = (
        error.protected_objects if isinstance(error, ProtectedError) else error.restricted_objects
    )
    counts: dict[type[models.Model], int] = {}
    for blocker in blockers:
        counts[type(blocker)] = counts.get(type(blocker), 0) + 1
    used_by = sorted(
        f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
        for model, count in counts.items()
        for meta in [model._meta]
    )
    message = (
        f"{obj} cannot be deleted: it is still used by {_and(used_by) or 'other records'}. "
        "Change those first, or deactivate it instead."
    )
    return InUse(message, fields={"__all__": [message]})


def _and(items: list[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]

"""Writes of forms and of answers: each one transaction, audited."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Model
from django.utils import formats, timezone

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.formschema.fields import choice_label, schema_errors
from opsdesk.core.formschema.permissions import may_design_forms
from opsdesk.core.formschema.references import reference_for
from opsdesk.core.formschema.schemas import fields_of, include_errors, included_fields
from opsdesk.core.models import FormAnswer, FormSchema
from opsdesk.core.records import record_create, record_update

# Addresses of the form pages themselves (/forms/new/, ...): no form may take them.
RESERVED_SLUGS = frozenset({"new", "preview", "pick"})


class SchemaInvalid(ValidationFailed):
    """A form definition refused; ``positions`` maps field positions ("0", ...) and
    "__all__" to their messages, as ``schema_errors`` gives them."""

    def __init__(self, message: str, *, fields: dict[str, list[str]], positions: dict):
        super().__init__(message, fields=fields)
        self.positions = positions


def definition_problems(
    *, slug: str, fields, includes
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(messages by setting, messages by field position) for a form definition."""
    problems = include_errors(slug=slug, includes=includes)
    if problems:
        return {"includes": problems}, {}
    found = schema_errors(fields, included=included_fields(includes, seen=(slug,)))
    if not found:
        return {}, {}
    messages = [
        f"Field {int(where) + 1}: {message}" if where.isdigit() else message
        for where, texts in found.items()
        for message in texts
    ]
    return {"fields": messages}, found


@transaction.atomic
def form_schema_save(
    *,
    actor,
    schema: FormSchema | None = None,
    expected_version: int | None = None,
    name: str,
    slug: str,
    fields: list,
    includes: list | None = None,
    description: str = "",
    is_field_set: bool = False,
) -> FormSchema:
    """Create a form (``schema`` None) or change it; every save raises its version.

    A definition ``schema_errors`` refuses is a ValidationFailed whose ``fields`` hold the
    messages ("fields", "includes"; a ``SchemaInvalid`` with ``positions`` by field) and
    nothing is written. The slug of an existing form does not change: answers and catalog
    items name it.
    """
    if not may_design_forms(actor):
        raise NotPermitted("Only catalog managers and administrators design forms.")
    includes = list(includes or [])
    slug = schema.slug if schema is not None else slug
    if slug in RESERVED_SLUGS:
        raise SchemaInvalid(
            f"'{slug}' is taken by the form pages.",
            fields={"slug": [f"'{slug}' is taken by the form pages; choose another."]},
            positions={},
        )
    errors, positions = definition_problems(slug=slug, fields=fields, includes=includes)
    if errors:
        first = next(iter(errors.values()))[0]
        raise SchemaInvalid(
            f"The form cannot be saved: {first}", fields=errors, positions=positions
        )
    values = {
        "name": name,
        "slug": slug,
        "description": description,
        "is_field_set": is_field_set,
        "fields": fields,
        "includes": includes,
        "updated_by": actor,
    }
    if schema is None:
        return record_create(FormSchema, values=values, actor=actor, action="form_schema.created")
    if schema.is_field_set and not is_field_set and _includers(schema.slug):
        raise ValidationFailed(
            "Other forms include this field set.",
            fields={"is_field_set": ["Other forms include it; remove it from them first."]},
        )
    current = record_update(
        schema,
        values={k: v for k, v in values.items() if k != "updated_by"},
        actor=actor,
        expected_version=expected_version,
        action="form_schema.updated",
    )
    if current.updated_by_id != getattr(actor, "pk", None):
        current.updated_by = actor
        current.save(update_fields=["updated_by"])
    return current


def _includers(slug: str) -> list[str]:
    return [s.name for s in FormSchema.objects.all() if slug in (s.includes or [])]


# --- answers -----------------------------------------------------------------------------------
def _display(field: dict, value) -> str:
    kind = field.get("type")
    if kind == "checkbox":
        return "Yes" if value else "No"
    if kind == "single_choice":
        return choice_label(field, value)
    if kind == "multiple_choice":
        return ", ".join(choice_label(field, v) for v in value)
    if kind == "number":
        return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    if kind == "datetime" and isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if kind == "date" and isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if kind in ("ci", "service"):
        reference = reference_for(kind)
        return reference.label(value) if reference else str(value)
    if kind == "attachment":
        return getattr(value, "original_name", str(value))
    return str(value)


def _answer(*, field: dict, value, position: int, record_type, record_id: str) -> FormAnswer:
    kind = field["type"]
    answer = FormAnswer(
        content_type=record_type,
        object_id=record_id,
        field_key=field["key"],
        label=str(field.get("label") or field["key"])[:200],
        field_type=kind,
        position=position,
        display=_display(field, value),
    )
    if kind == "number":
        answer.value_number = value
    elif kind == "date":
        answer.value_date = value
    elif kind == "datetime":
        answer.value_datetime = value
    elif kind == "checkbox":
        answer.value_bool = bool(value)
    elif kind == "multiple_choice":
        answer.value_json = list(value)
    elif kind in ("person", "ci", "service", "attachment"):
        answer.ref_type = kind
        answer.ref_id = str(value.pk)
    elif kind == "long_text":
        answer.value_long_text = value
    else:
        answer.value_text = str(value)[:500]
    return answer


@transaction.atomic
def answers_save(
    *, record: Model, schema, cleaned: dict, actor, new_record: bool = False
) -> list[FormAnswer]:
    """Replace ``record``'s answers with ``cleaned`` (what ``validate`` returned), in the
    caller's transaction. Empty answers are not stored; uploaded files become the record's
    attachments. The audit entry lists the answers as shown on the page. ``new_record`` says
    the record was created in this transaction, so it has no answers to replace yet."""
    from opsdesk.core.attachments import attachment_store

    record_type = ContentType.objects.get_for_model(record)
    record_id = str(record.pk)
    before: dict = {}
    if not new_record:
        existing = FormAnswer.objects.filter(content_type=record_type, object_id=record_id)
        before = {a.field_key: a.display for a in existing}
        existing.delete()
    rows = []
    for position, field in enumerate(fields_of(schema)):
        value = cleaned.get(field["key"])
        if value is None or value == "" or value == []:
            continue
        if field["type"] == "attachment" and isinstance(value, UploadedFile):
            value = attachment_store(record=record, upload=value, uploaded_by=actor)
        rows.append(
            _answer(
                field=field,
                value=value,
                position=position,
                record_type=record_type,
                record_id=record_id,
            )
        )
    FormAnswer.objects.bulk_create(rows)
    after = {a.field_key: a.display for a in rows}
    if before != after:
        audit_record(
            action="form.answers_saved",
            obj=record,
            changes={"answers": {"from": before, "to": after}},
            actor=actor,
        )
    return rows

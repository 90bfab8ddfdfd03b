"""Reads of forms and of the answers given to them."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from opsdesk.core.formschema.fields import FIELD_TYPES
from opsdesk.core.formschema.schemas import fields_of
from opsdesk.core.models import FormAnswer, FormSchema


def form_schema_list(*, field_sets: bool | None = None) -> QuerySet[FormSchema]:
    qs = FormSchema.objects.all()
    return qs if field_sets is None else qs.filter(is_field_set=field_sets)


def form_schema_get(*, slug: str) -> FormSchema | None:
    return FormSchema.objects.filter(slug=slug).first()


def schema_fields(schema) -> list[dict]:
    """Every field of ``schema`` in order: its field sets' fields, then its own."""
    return fields_of(schema)


def _answers(record: Model) -> QuerySet[FormAnswer]:
    return FormAnswer.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=str(record.pk)
    ).order_by("position", "id")


def answers_of(record: Model) -> list[tuple[str, str]]:
    """(label, display value) of each answer on ``record``, as they were when answered."""
    return [(a.label, a.display) for a in _answers(record)]


def answered_keys(record: Model) -> set[str]:
    """The field keys ``record`` has answers for."""
    return {a.field_key for a in _answers(record)}


def _tidy(number: Decimal) -> Decimal:
    # Stored with ten decimal places; 5.0000000000 reads back as 5, 2.5 as 2.5.
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def answer_value(answer: FormAnswer):
    kind = answer.field_type
    if kind == "number":
        return _tidy(answer.value_number) if answer.value_number is not None else None
    if kind == "date":
        return answer.value_date
    if kind == "datetime":
        return answer.value_datetime
    if kind == "checkbox":
        return answer.value_bool
    if kind == "multiple_choice":
        return list(answer.value_json or [])
    if kind in ("person", "ci", "service", "attachment"):
        return int(answer.ref_id) if answer.ref_id.isdigit() else answer.ref_id or None
    if kind == "long_text":
        return answer.value_long_text
    return answer.value_text


def answer_values(record: Model) -> dict:
    """Field key -> typed value of the answers on ``record``, for conditions and task
    variables: str, Decimal, date, datetime, bool, a list of choice values, or the chosen
    row's id for people, CIs, services and attachments."""
    return {a.field_key: answer_value(a) for a in _answers(record)}


def field_type_choices() -> list[tuple[str, str]]:
    return list(FIELD_TYPES.items())

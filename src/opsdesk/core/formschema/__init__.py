"""The form-schema engine: forms as data, one condition language, validation on the server.

A form (``core.models.FormSchema``) is a list of field definitions, after the fields of the
reusable field sets it ``includes``. A field definition is a dict::

    {"key": "laptop_model", "label": "Model", "type": "single_choice",
     "choices": [{"value": "x1", "label": "ThinkPad X1"}], "required": true,
     "visible_if": "category == 'laptop'", "help": "...", "default": "x1"}

Settings: ``key`` (lower-case identifier), ``label``, ``type`` (``FIELD_TYPES``: text,
long_text, number, date, datetime, single_choice, multiple_choice, checkbox, email, person,
ci, service, attachment), ``help``, ``required``, ``default``, ``min``/``max`` (number: the
value; text: its length; multiple choice: how many; date: ISO bounds), ``pattern`` (a regular
expression the whole text must match; ``help`` is the message), ``choices``, ``placeholder``,
and the conditions ``visible_if``, ``required_if``, ``readonly_if`` (expressions) and
``set_value`` (an expression the value follows, or ``{"when": expression, "value": value}``).

The public interface (import it from here; the modules behind it may move):

Definitions
    ``schema_errors(fields, *, included=None) -> dict[str, list[str]]``: what is wrong, keyed
    by field position ("0", "1", ...) and "__all__"; empty when sound.
    ``schema_fields(schema) -> list[dict]``: a FormSchema's fields with its field sets'.
    ``form_schema_save(*, actor, schema=None, expected_version=None, name, slug, fields,
    includes=(), description="", is_field_set=False) -> FormSchema``: create or change,
    audited, version + 1; refuses bad definitions with ``SchemaInvalid`` (a ValidationFailed).
    ``may_design_forms(user)``: catalog managers (the "catalog manager" role) and admins.
Expressions (see ``expressions``)
    ``parse_expression(text) -> Expression`` (cached; ``ExpressionError`` with ``position``),
    ``evaluate_expression(text_or_expression, values) -> value``; ``Expression.test(values)``
    for a condition's truth and ``Expression.names`` for the field keys it reads.
Filling in
    ``evaluate(fields, answers=None, *, prefix="") -> {key: FieldState}`` with ``visible``,
    ``required``, ``readonly`` and ``value`` (after defaults and set_value; a hidden field's
    is empty), settled to a fixed point.
    ``validate(schema, raw_answers, *, user=None, prefix="", files=None) -> (cleaned, errors)``:
    ``schema`` a FormSchema or a field list, ``raw_answers`` a dict or QueryDict; ``cleaned``
    holds typed values of visible fields only, ``errors`` field-level messages; never raises
    for bad input. Only this decides what a submission holds.
Answers
    ``answers_save(*, record, schema, cleaned, actor)``: replaces ``record``'s answers (typed
    ``FormAnswer`` rows), inside the caller's transaction, audited.
    ``answers_of(record) -> [(label, display)]`` for a page; ``answer_values(record) -> dict``
    (key -> str, Decimal, date, datetime, bool, list, or a chosen row's id) for conditions and
    task variables.
Pages
    ``render_section(schema, *, answers=None, errors=None, prefix="", request=None)``: the
    fields as HTML with labels, help, errors and required marks, re-rendered by the server on
    every change (``POST /forms/<slug>/render/?prefix=``); put it inside a ``<form>``. In a
    template: ``{% load formschema %}{% form_section schema answers errors prefix=... %}``.
References
    ``register_reference(type_key, *, queryset, label=str, picker_url=None,
    search_fields=("name",), noun="records")``: how ``ci``/``service`` (or any other type)
    fields find rows; ``queryset(viewer)`` gives what a viewer may choose (viewer None: the
    system). ``opsdesk.cmdb`` registers ``ci`` and ``service`` when it starts.

Answers to a person, CI or service field are seen by conditions as typed (before
validation resolves them), so test them with ``empty(x)``; ``answer_values`` gives ids.
"""

from opsdesk.core.formschema.engine import FieldState, evaluate
from opsdesk.core.formschema.expressions import (
    Expression,
    ExpressionError,
    evaluate_expression,
    parse_expression,
)
from opsdesk.core.formschema.fields import FIELD_TYPES, schema_errors
from opsdesk.core.formschema.permissions import may_design_forms
from opsdesk.core.formschema.references import register_reference
from opsdesk.core.formschema.rendering import render_section
from opsdesk.core.formschema.selectors import answer_values, answers_of, schema_fields
from opsdesk.core.formschema.services import SchemaInvalid, answers_save, form_schema_save
from opsdesk.core.formschema.validation import validate

__all__ = [
    "FIELD_TYPES",
    "Expression",
    "ExpressionError",
    "FieldState",
    "SchemaInvalid",
    "answer_values",
    "answers_of",
    "answers_save",
    "evaluate",
    "evaluate_expression",
    "form_schema_save",
    "may_design_forms",
    "parse_expression",
    "register_reference",
    "render_section",
    "schema_errors",
    "schema_fields",
    "validate",
]

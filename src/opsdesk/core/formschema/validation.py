"""Server validation of a form's answers: the only judge of what the browser sent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email

from opsdesk.core.formschema.engine import Invalid, coerce, empty_value, html_name, run
from opsdesk.core.formschema.fields import DATE_TYPES, TEXT_TYPES
from opsdesk.core.formschema.references import reference_for
from opsdesk.core.formschema.schemas import fields_of

REQUIRED = "This field is required."
MAX_TEXT = 500
MAX_LONG_TEXT = 20_000


def _is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value is False


def _bounds(field: dict):
    return tuple(field.get(b) if field.get(b) not in (None, "") else None for b in ("min", "max"))


def _number(bound) -> Decimal:
    return Decimal(str(bound))


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def _range_error(field: dict, value) -> str | None:
    low, high = _bounds(field)
    kind = field.get("type")
    if low is None and high is None:
        return None
    if kind == "number":
        if low is not None and value < _number(low):
            return f"Enter {_plain(_number(low))} or more."
        if high is not None and value > _number(high):
            return f"Enter {_plain(_number(high))} or less."
    elif kind in TEXT_TYPES:
        if low is not None and len(value) < int(_number(low)):
            return f"Write at least {int(_number(low))} characters."
        if high is not None and len(value) > int(_number(high)):
            return f"Write at most {int(_number(high))} characters."
    elif kind == "multiple_choice":
        if low is not None and len(value) < int(_number(low)):
            return f"Choose at least {int(_number(low))}."
        if high is not None and len(value) > int(_number(high)):
            return f"Choose at most {int(_number(high))}."
    elif kind in DATE_TYPES:
        day = value.date() if kind == "datetime" else value
        if low is not None and day.isoformat() < str(low)[:10]:
            return f"Choose {str(low)[:10]} or later."
        if high is not None and day.isoformat() > str(high)[:10]:
            return f"Choose {str(high)[:10]} or earlier."
    return None


def _text_error(field: dict, value: str) -> str | None:
    kind = field.get("type")
    limit = MAX_LONG_TEXT if kind == "long_text" else MAX_TEXT
    if len(value) > limit:
        return f"Write at most {limit} characters."
    if kind == "email":
        try:
            validate_email(value)
        except ValidationError:
            return "Enter a valid e-mail address."
    pattern = field.get("pattern")
    if pattern and re.fullmatch(str(pattern), value) is None:
        return str(field.get("help") or "Enter a value in the expected format.")
    return None


def _resolve(field: dict, value, *, user):
    """A person, CI or service row for ``value``; raises ``Invalid``."""
    kind = field["type"]
    if kind == "person":
        from opsdesk.core.pickers import PersonField

        if not isinstance(value, str | int):
            return value  # a User given as the default or set value
        try:
            return PersonField(required=False).clean(str(value))
        except forms.ValidationError as error:
            raise Invalid(" ".join(error.messages)) from None
    reference = reference_for(kind)
    if reference is None:
        raise Invalid("This kind of record cannot be chosen here.")
    try:
        return reference.resolve(value, viewer=user)
    except forms.ValidationError as error:
        raise Invalid(" ".join(error.messages)) from None


def _file(value):
    if not isinstance(value, UploadedFile):
        raise Invalid("Choose a file to upload.")
    if value.size is not None and value.size > settings.ATTACHMENT_MAX_BYTES:
        raise Invalid("The file is too large.")
    return value


def clean_field(field: dict, raw, *, user=None):
    """One answer, typed and checked (type, references, range, pattern); raises ``Invalid``.

    Empty answers come back empty (None, False or []); whether one is allowed is the
    caller's question (required and required_if)."""
    value = coerce(field, raw)
    if _is_empty(value):
        return value
    kind = field["type"]
    if kind in ("person", "ci", "service"):
        value = _resolve(field, value, user=user)
    elif kind == "attachment":
        value = _file(value)
    elif kind in TEXT_TYPES:
        message = _text_error(field, value)
        if message:
            raise Invalid(message)
    message = _range_error(field, value) if kind not in ("person", "ci", "service") else None
    if message:
        raise Invalid(message)
    return value


def validate(
    schema, raw_answers: Mapping | None, *, user=None, prefix: str = "", files=None
) -> tuple[dict, dict[str, list[str]]]:
    """``(cleaned, errors)`` for the answers to ``schema`` (a FormSchema or a field list).

    ``raw_answers`` is a dict or a QueryDict (``files`` the request's FILES for attachment
    fields). ``cleaned`` maps every visible field's key to its typed value (str, Decimal,
    date, aware datetime, bool, list of choice values, a User or registered row, an
    UploadedFile) or its empty value; hidden fields are left out whatever was sent, and
    read-only fields hold their default or set value. ``errors`` maps keys to messages;
    nothing raises for bad input.
    """
    fields = fields_of(schema)
    answers = raw_answers
    if files:
        answers = _flat(raw_answers or {})
        answers.update(_flat(files))
    states, raws = run(fields, answers, prefix=prefix)
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for field in fields:
        key = field["key"]
        state = states[key]
        if not state.visible:
            continue
        try:
            value = clean_field(field, raws[key], user=user)
        except Invalid as error:
            errors[key] = [str(error)]
            continue
        if _is_empty(value):
            value = empty_value(field)
            if state.required and not state.readonly:
                errors[key] = [REQUIRED]
                continue
        cleaned[key] = value
    return cleaned, errors


class _Flat(dict):
    """A QueryDict's lists kept, with files added, read the way ``submitted`` reads."""

    def getlist(self, key):
        value = self.get(key, [])
        return value if isinstance(value, list) else [value]


def _flat(data) -> _Flat:
    flat = _Flat()
    for key in data:
        flat[key] = data.getlist(key) if hasattr(data, "getlist") else data[key]
    return flat


__all__ = ["REQUIRED", "clean_field", "html_name", "validate"]

"""Conditions to a fixed point: which fields show, which are required or read-only, and the
value each field holds after defaults and ``set_value``.

``evaluate(fields, answers)`` is the only place these rules are decided; the rendered form,
the htmx re-render and server validation all call it, so the browser never holds a second
copy of the rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from opsdesk.core.formschema.expressions import ExpressionError, parse_expression
from opsdesk.core.formschema.fields import choice_values

MISSING = object()
# What FormAnswer.value_number keeps: 20 digits before the point, 10 after.
MAX_DIGITS = 20
MAX_PLACES = 10
TRUE_WORDS = frozenset({"true", "on", "1", "yes"})
FALSE_WORDS = frozenset({"false", "off", "0", "no", ""})


@dataclass(frozen=True)
class FieldState:
    key: str
    visible: bool
    required: bool
    readonly: bool
    value: object
    # Where the value came from: "answer", "default" or "set" (a set_value rule).
    source: str = "answer"


class Invalid(ValueError):
    """A value that is not of the field's type; the message is for the person filling in."""


def html_name(key: str, prefix: str = "") -> str:
    return f"{prefix}-{key}" if prefix else key


def submitted(field: dict, answers: Mapping | None, prefix: str = ""):
    """What was sent for ``field``: MISSING when nothing was (so the default applies).

    A QueryDict gives a list for a multiple choice (without the empty marker the rendered
    form sends so that choosing nothing is not mistaken for not answering) and its last
    value otherwise (a checkbox sends an empty marker before itself).
    """
    if answers is None:
        return MISSING
    name = html_name(field["key"], prefix)
    if name not in answers:
        return MISSING
    if hasattr(answers, "getlist"):
        values = answers.getlist(name)
        if field.get("type") == "multiple_choice":
            return [v for v in values if v != ""]
        return values[-1] if values else ""
    return answers[name]


def _text(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, list | tuple | dict):
        raise Invalid("Enter text.")
    text = str(raw).strip()
    if "\x00" in text:
        # No database keeps a NUL in text, and no person types one.
        raise Invalid("Remove the invisible control characters.")
    return text or None


def coerce(field: dict, raw):
    """``raw`` as the field's type (Decimal, date, aware datetime, bool, list, str) or None
    when empty; raises ``Invalid``. References and files stay as sent: validation resolves
    them."""
    kind = field.get("type")
    if kind == "checkbox":
        if isinstance(raw, bool):
            return raw
        if raw is None:
            return False
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise Invalid("Tick the box or leave it empty.")
    if kind == "multiple_choice":
        if raw in (None, ""):
            return []
        items = raw if isinstance(raw, list | tuple) else [raw]
        chosen: list[str] = []
        allowed = choice_values(field)
        for item in items:
            value = str(item)
            if value not in allowed:
                raise Invalid("Choose only from the listed options.")
            if value not in chosen:
                chosen.append(value)
        return chosen
    if kind == "number":
        if isinstance(raw, bool):
            raise Invalid("Enter a number.")
        if isinstance(raw, int | float | Decimal):
            number = Decimal(str(raw))
        else:
            text = _text(raw)
            if text is None:
                return None
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise Invalid("Enter a number.") from None
        if not number.is_finite():
            raise Invalid("Enter a number.")
        if number.adjusted() >= MAX_DIGITS:
            raise Invalid("Enter a smaller number.")
        if number.as_tuple().exponent < -MAX_PLACES:  # type: ignore[operator]
            raise Invalid(f"Use at most {MAX_PLACES} decimal places.")
        return number
    if kind == "date":
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        text = _text(raw)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise Invalid("Enter a date as YYYY-MM-DD.") from None
    if kind == "datetime":
        if isinstance(raw, datetime):
            moment = raw
        else:
            text = _text(raw)
            if text is None:
                return None
            try:
                moment = parse_datetime(text)
            except ValueError:
                moment = None
            if moment is None:
                raise Invalid("Enter a date and time as YYYY-MM-DD HH:MM.")
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment
    if kind == "single_choice":
        text = _text(raw)
        if text is not None and text not in choice_values(field):
            raise Invalid("Choose one of the listed options.")
        return text
    if kind == "attachment":
        return None if raw in (None, "") else raw
    if kind in ("person", "ci", "service"):
        if isinstance(raw, Model):
            return raw  # already a row (a default or set value given as one)
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if raw is not None and not isinstance(raw, str):
            raise Invalid("Type a name and pick from the list.")
        return _text(raw)
    return _text(raw)


def _loose(field: dict, raw):
    """For conditions: the typed value, or what was typed when it does not convert."""
    try:
        return coerce(field, raw)
    except Invalid:
        return raw if isinstance(raw, str) else None


def _test(text, values: dict) -> bool:
    if text in (None, ""):
        return False
    try:
        return parse_expression(str(text)).test(values)
    except ExpressionError:
        # schema_errors refuses such a form before it is saved; a stored one fails closed.
        return False


def empty_value(field: dict):
    kind = field.get("type")
    return False if kind == "checkbox" else [] if kind == "multiple_choice" else None


def _set_rule(field: dict, values: dict):
    """(applies, value) of the field's set_value rule."""
    rule = field.get("set_value")
    if rule in (None, ""):
        return False, None
    if isinstance(rule, str):
        try:
            return True, parse_expression(rule).evaluate(values)
        except ExpressionError:
            return False, None
    if isinstance(rule, dict):
        when = rule.get("when")
        if when in (None, "") or _test(when, values):
            return True, rule.get("value")
    return False, None


def run(fields: list[dict], answers: Mapping | None, *, prefix: str = "") -> tuple[dict, dict]:
    """The states and, per key, the raw value each state's value came from."""
    sent = {f["key"]: submitted(f, answers, prefix) for f in fields}
    raws: dict = {}
    base: dict = {}
    for field in fields:
        key = field["key"]
        raw = sent[key]
        raws[key] = field.get("default") if raw is MISSING else raw
        base[key] = _loose(field, raws[key])
    values = dict(base)
    states: dict[str, FieldState] = {}
    chosen_raws = dict(raws)
    # Values settle in at most one round per link of the longest chain of conditions
    # (schema_errors refuses circles); the bound keeps a stored bad form from spinning.
    for _ in range(len(fields) + 2):
        new_states: dict[str, FieldState] = {}
        new_values: dict = {}
        for field in fields:
            key = field["key"]
            visible = (
                True
                if field.get("visible_if") in (None, "")
                else _test(field["visible_if"], values)
            )
            readonly = _test(field.get("readonly_if"), values)
            required = bool(field.get("required")) or _test(field.get("required_if"), values)
            if readonly:
                raw, source = field.get("default"), "default"
            else:
                raw = raws[key]
                source = "default" if sent[key] is MISSING else "answer"
            applies, set_to = _set_rule(field, values)
            if applies:
                raw, source = set_to, "set"
            value = _loose(field, raw) if visible else empty_value(field)
            chosen_raws[key] = raw
            new_values[key] = value if visible else None
            new_states[key] = FieldState(
                key=key,
                visible=visible,
                required=required and visible,
                readonly=readonly,
                value=value,
                source=source,
            )
        settled = new_values == values and new_states == states
        values, states = new_values, new_states
        if settled:
            break
    return states, chosen_raws


def evaluate(fields, answers: Mapping | None = None, *, prefix: str = "") -> dict:
    """Per field key, its ``FieldState`` (visible, required, readonly, value) for ``answers``
    (a dict or QueryDict; None for a form not yet filled in, where defaults apply).
    ``fields`` is a list of definitions or a FormSchema (with its field sets)."""
    if not isinstance(fields, list | tuple):
        from opsdesk.core.formschema.schemas import fields_of

        fields = fields_of(fields)
    return run(list(fields), answers, prefix=prefix)[0]


def condition_values(states: dict) -> dict:
    """The values conditions see: a hidden field's is null."""
    return {key: (s.value if s.visible else None) for key, s in states.items()}

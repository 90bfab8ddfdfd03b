"""Field definitions: the types, the settings a field may carry, and ``schema_errors``."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from opsdesk.core.formschema.expressions import KEYWORDS, ExpressionError, parse_expression
from opsdesk.core.formschema.references import reference_for

# Type key -> label shown in the designer, in the designer's order.
FIELD_TYPES: dict[str, str] = {
    "text": "Text",
    "long_text": "Long text",
    "number": "Number",
    "date": "Date",
    "datetime": "Date and time",
    "single_choice": "Single choice",
    "multiple_choice": "Multiple choice",
    "checkbox": "Checkbox",
    "email": "E-mail address",
    "person": "Person",
    "ci": "Configuration item",
    "service": "Service",
    "attachment": "Attachment",
}
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
TEXT_TYPES = frozenset({"text", "long_text", "email"})
DATE_TYPES = frozenset({"date", "datetime"})
# Types whose answer is a row elsewhere; person is core's own, the others are registered.
REFERENCE_TYPES = frozenset({"person", "ci", "service"})
CONDITIONS = ("visible_if", "required_if", "readonly_if")
SETTINGS = frozenset(
    {
        "key",
        "label",
        "type",
        "help",
        "required",
        "default",
        "min",
        "max",
        "pattern",
        "choices",
        "placeholder",
        "set_value",
        *CONDITIONS,
    }
)
KEY_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Names the expression language gives a meaning of its own.
RESERVED = KEYWORDS | {"empty", "len"}


def choice_values(field: dict) -> list[str]:
    return [str(c.get("value")) for c in field.get("choices") or [] if isinstance(c, dict)]


def choice_label(field: dict, value) -> str:
    for choice in field.get("choices") or []:
        if isinstance(choice, dict) and str(choice.get("value")) == str(value):
            return str(choice.get("label") or choice.get("value"))
    return str(value)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return False
    return number.is_finite()


def _is_iso_date(value) -> bool:
    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


def _bound_errors(field: dict) -> list[str]:
    kind = field.get("type")
    errors = []
    bounds = {b: field.get(b) for b in ("min", "max") if field.get(b) not in (None, "")}
    for name, bound in bounds.items():
        if kind in DATE_TYPES:
            if not _is_iso_date(bound):
                errors.append(f"{name.capitalize()} must be a date written YYYY-MM-DD.")
        elif kind in TEXT_TYPES | {"number", "multiple_choice"}:
            if not _is_number(bound) or (kind != "number" and Decimal(str(bound)) < 0):
                errors.append(f"{name.capitalize()} must be a number.")
        else:
            errors.append(f"A {FIELD_TYPES[kind].lower()} field has no {name}imum.")
    if not errors and len(bounds) == 2:
        low, high = bounds["min"], bounds["max"]
        if kind in DATE_TYPES:
            wrong = str(low)[:10] > str(high)[:10]
        else:
            wrong = Decimal(str(low)) > Decimal(str(high))
        if wrong:
            errors.append("The minimum is above the maximum.")
    return errors


def _choice_errors(field: dict) -> list[str]:
    choices = field.get("choices")
    if field.get("type") not in CHOICE_TYPES:
        return ["Only choice fields have choices."] if choices else []
    if not isinstance(choices, list) or not choices:
        return ["A choice field needs at least one choice."]
    errors, seen = [], set()
    for choice in choices:
        if not isinstance(choice, dict) or str(choice.get("value") or "").strip() == "":
            errors.append("Each choice needs a value.")
            continue
        value = str(choice["value"])
        if value in seen:
            errors.append(f"The choice value '{value}' appears twice.")
        seen.add(value)
    return errors


def _expression_error(text, *, known: set[str], what: str) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return f"{what}: write a condition, or leave it out."
    try:
        expression = parse_expression(text)
    except ExpressionError as error:
        return f"{what}: {error}."
    unknown = sorted(expression.names - known)
    if unknown:
        return f"{what}: there is no field called {', '.join(unknown)}."
    return None


CONDITION_NAMES = {
    "visible_if": "Show when",
    "required_if": "Required when",
    "readonly_if": "Read-only when",
    "set_value": "Set value",
}


def _condition_errors(field: dict, known: set[str]) -> list[str]:
    errors = []
    for name in CONDITIONS:
        if field.get(name) not in (None, ""):
            message = _expression_error(field[name], known=known, what=CONDITION_NAMES[name])
            if message:
                errors.append(message)
    rule = field.get("set_value")
    if rule not in (None, ""):
        if isinstance(rule, str):
            message = _expression_error(rule, known=known, what="Set value")
            if message:
                errors.append(message)
        elif isinstance(rule, dict) and "value" in rule and set(rule) <= {"when", "value"}:
            if rule.get("when") not in (None, ""):
                message = _expression_error(rule["when"], known=known, what="Set value when")
                if message:
                    errors.append(message)
        elif isinstance(rule, dict) and "value" not in rule:
            errors.append("Set value: say which value to set.")
        else:
            errors.append('Set value is an expression or {"when": condition, "value": value}.')
    return errors


def _literal_errors(field: dict, value, what: str) -> list[str]:
    """What is wrong with a value the form itself gives the field (its default, a set value)."""
    kind = field.get("type")
    if value in (None, "", []):
        return []
    if kind == "single_choice" and str(value) not in choice_values(field):
        return [f"{what} '{value}' is not one of the choices."]
    if kind == "multiple_choice":
        chosen = value if isinstance(value, list) else [value]
        missing = [str(v) for v in chosen if str(v) not in choice_values(field)]
        if missing:
            return [f"{what} {', '.join(missing)} is not one of the choices."]
    if kind == "number" and not _is_number(value):
        return [f"{what} must be a number."]
    if kind in DATE_TYPES and not _is_iso_date(value):
        return [f"{what} must be a date written YYYY-MM-DD."]
    if kind == "attachment":
        return [f"An attachment field has no {what.lower().removeprefix('the ')}."]
    return []


def _default_errors(field: dict) -> list[str]:
    errors = _literal_errors(field, field.get("default"), "The default")
    rule = field.get("set_value")
    if isinstance(rule, dict) and "value" in rule:
        errors += _literal_errors(field, rule["value"], "The value to set")
    return errors


def field_errors(field, *, known: set[str]) -> list[str]:
    """What is wrong with one field definition (``known``: every key of the form)."""
    if not isinstance(field, dict):
        return ["A field is a set of settings (key, label, type, ...)."]
    errors = []
    key = field.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        errors.append(
            "The key is lower-case letters, digits and underscores, starting with a letter."
        )
    elif key in RESERVED:
        errors.append(f"'{key}' is a word of the condition language; choose another key.")
    if not str(field.get("label") or "").strip():
        errors.append("Give the field a label.")
    kind = field.get("type")
    if kind not in FIELD_TYPES:
        errors.append(f"'{kind}' is not a field type.")
        return errors
    if kind in REFERENCE_TYPES - {"person"} and reference_for(kind) is None:
        errors.append(f"Nothing in this installation provides {FIELD_TYPES[kind]} lookups.")
    unknown = sorted(str(name) for name in set(field) - SETTINGS)
    if unknown:
        errors.append(f"Unknown setting {', '.join(unknown)}.")
    if not isinstance(field.get("required", False), bool):
        errors.append("Required is true or false.")
    pattern = field.get("pattern")
    if pattern not in (None, ""):
        if kind not in TEXT_TYPES:
            errors.append("Only text fields have a pattern.")
        else:
            try:
                re.compile(str(pattern))
            except re.error as error:
                errors.append(f"The pattern is not a regular expression: {error}.")
    errors += _choice_errors(field)
    errors += _bound_errors(field)
    errors += _default_errors(field)
    errors += _condition_errors(field, known)
    return errors


def value_dependencies(field: dict) -> set[str]:
    """The keys whose values decide this field's value (visibility, read-only, set value)."""
    names: set[str] = set()
    texts = [field.get("visible_if"), field.get("readonly_if")]
    rule = field.get("set_value")
    texts.append(rule if isinstance(rule, str) else (rule or {}).get("when"))
    for text in texts:
        if isinstance(text, str) and text.strip():
            with contextlib.suppress(ExpressionError):
                names |= parse_expression(text).names
    return names


def _cycle(fields: list[dict]) -> list[str] | None:
    """A chain of fields whose values depend on each other in a circle, if there is one."""
    graph = {f["key"]: value_dependencies(f) for f in fields if isinstance(f, dict) and "key" in f}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(key: str) -> list[str] | None:
        state[key] = 1
        path.append(key)
        for nxt in sorted(graph.get(key, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[key] = 2
        return None

    for key in graph:
        if key not in state:
            found = visit(key)
            if found:
                return found
    return None


def schema_errors(fields, *, included: list[dict] | None = None) -> dict[str, list[str]]:
    """Everything wrong with a list of field definitions; empty when it is sound.

    Keys are the field's position in ``fields`` as text ("0", "1", ...) for what is wrong
    with that field, and "__all__" for the form as a whole. ``included`` are the fields the
    form gets from its field sets: conditions may name them and keys must not repeat them.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(fields, list):
        return {"__all__": ["The fields are a list."]}
    included = included or []
    every = [*included, *fields]
    known = {f.get("key") for f in every if isinstance(f, dict) and isinstance(f.get("key"), str)}
    seen = {f.get("key") for f in included if isinstance(f, dict)}
    for index, field in enumerate(fields):
        messages = field_errors(field, known=known)
        if isinstance(field, dict) and isinstance(field.get("key"), str):
            if field["key"] in seen:
                messages.append(f"Another field already has the key '{field['key']}'.")
            seen.add(field["key"])
        if messages:
            errors[str(index)] = messages
    if not errors:
        cycle = _cycle([f for f in every if isinstance(f, dict)])
        if cycle:
            errors["__all__"] = [
                "These fields decide each other's values in a circle: " + " → ".join(cycle) + "."
            ]
    return errors

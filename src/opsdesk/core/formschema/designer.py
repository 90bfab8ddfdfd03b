"""The form designer's forms: a form's settings, and one row per field (a formset).

A row turns into a field definition (``row_definition``) and back (``definition_initial``);
choices are written one a line, ``value | label`` or just the label.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.text import slugify

from opsdesk.core.formschema.fields import FIELD_TYPES
from opsdesk.core.models import FormSchema

CONDITION_HELP = (
    "A condition, e.g. category == 'laptop' and cost > 1000; names are field keys. "
    "Leave empty for always."
)


class FormSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=80,
        help_text="The form's name in addresses and in the catalog; it cannot change later.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    is_field_set = forms.BooleanField(
        label="Reusable field set",
        required=False,
        help_text="A block of fields other forms include, not a form on its own.",
    )
    includes = forms.MultipleChoiceField(
        label="Include field sets",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their fields come first, in this order.",
    )

    def __init__(self, *args, schema: FormSchema | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        sets = FormSchema.objects.filter(is_field_set=True)
        if schema is not None:
            sets = sets.exclude(pk=schema.pk)
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "The form's name in addresses; it does not change."
        self.fields["includes"].choices = [(s.slug, s.name) for s in sets]
        if not self.fields["includes"].choices:
            self.fields[
                "includes"
            ].help_text = (
                "No reusable field sets yet: tick “Reusable field set” on a form to make one."
            )


class FieldRowForm(forms.Form):
    key = forms.CharField(
        max_length=64,
        required=False,
        help_text="Conditions name the field by it; left empty, it is made from the label.",
    )
    label = forms.CharField(max_length=200, required=False)
    type = forms.ChoiceField(choices=list(FIELD_TYPES.items()), initial="text")
    required = forms.BooleanField(required=False)
    help = forms.CharField(max_length=500, required=False, label="Help text")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For choice fields: one a line, as value | label or just the label.",
    )
    visible_if = forms.CharField(
        max_length=1000, required=False, label="Show when", help_text=CONDITION_HELP
    )
    required_if = forms.CharField(max_length=1000, required=False, label="Required when")
    readonly_if = forms.CharField(max_length=1000, required=False, label="Read-only when")
    set_when = forms.CharField(max_length=1000, required=False, label="Set the value when")
    set_to = forms.CharField(
        max_length=1000,
        required=False,
        label="Set the value to",
        help_text="Used with the condition above (always, when that is empty).",
    )
    set_expression = forms.CharField(
        max_length=1000,
        required=False,
        label="Computed value",
        help_text="Instead: an expression the value always follows, e.g. a field's key.",
    )
    default = forms.CharField(
        max_length=500,
        required=False,
        help_text="For a multiple choice, values separated by commas; for a checkbox, yes.",
    )
    placeholder = forms.CharField(max_length=200, required=False)
    min = forms.CharField(
        max_length=40,
        required=False,
        label="Minimum",
        help_text="A number: the value, text length or choices; a date YYYY-MM-DD.",
    )
    max = forms.CharField(max_length=40, required=False, label="Maximum")
    pattern = forms.CharField(
        max_length=500,
        required=False,
        help_text="For text: a regular expression the whole answer must match.",
    )
    ORDER = forms.IntegerField(required=False, label="Position", min_value=0)
    DELETE = forms.BooleanField(required=False, label="Remove this field")


FieldRowFormSet = forms.formset_factory(FieldRowForm, extra=0, max_num=200, validate_max=True)


def _choices_text(choices) -> str:
    lines = []
    for choice in choices or []:
        if not isinstance(choice, dict):
            continue
        value, label = str(choice.get("value", "")), str(choice.get("label", ""))
        lines.append(label if _value_for(label) == value else f"{value} | {label}")
    return "\n".join(lines)


def _value_for(label: str) -> str:
    return slugify(label).replace("-", "_")


def _parse_choices(text: str) -> list[dict]:
    choices = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if "|" in line:
            value, label = (part.strip() for part in line.split("|", 1))
        else:
            value, label = _value_for(line), line
        choices.append({"value": value or _value_for(label), "label": label or value})
    return choices


def _number_or_text(text: str):
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return float(number) if number.is_finite() else text


def _default(kind: str, text: str):
    if kind == "multiple_choice":
        return [v.strip() for v in text.split(",") if v.strip()]
    if kind == "checkbox":
        return text.strip().lower() in ("yes", "true", "on", "1", "ticked")
    if kind == "number":
        return _number_or_text(text)
    return text


def _text_of(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def row_definition(data: dict) -> dict:
    """A field definition from one designer row's cleaned data (empty settings left out)."""
    kind = data.get("type") or "text"
    label = (data.get("label") or "").strip()
    field: dict = {
        # Left empty, the key is made from the label ("Laptop model" -> laptop_model).
        "key": (data.get("key") or "").strip() or _value_for(label)[:63],
        "label": (data.get("label") or "").strip(),
        "type": kind,
    }
    if data.get("required"):
        field["required"] = True
    for name in ("help", "placeholder", "pattern", "visible_if", "required_if", "readonly_if"):
        text = (data.get(name) or "").strip()
        if text:
            field[name] = text
    if (data.get("choices") or "").strip():
        field["choices"] = _parse_choices(data["choices"])
    for name in ("min", "max"):
        text = (data.get(name) or "").strip()
        if text:
            field[name] = _number_or_text(text) if kind not in ("date", "datetime") else text
    default = (data.get("default") or "").strip()
    if default:
        field["default"] = _default(kind, default)
    set_when, set_to = (data.get("set_when") or "").strip(), (data.get("set_to") or "").strip()
    expression = (data.get("set_expression") or "").strip()
    if expression:
        field["set_value"] = expression
    elif set_to:
        rule: dict = {"value": _default(kind, set_to)}
        if set_when:
            rule["when"] = set_when
        field["set_value"] = rule
    elif set_when:
        # Without a value this cannot be saved; schema_errors says so.
        field["set_value"] = {"when": set_when}
    return field


def definition_initial(field: dict, position: int) -> dict:
    """One designer row's initial data for a stored field definition."""
    rule = field.get("set_value")
    initial = {
        name: _text_of(field.get(name))
        for name in (
            "key",
            "label",
            "help",
            "placeholder",
            "pattern",
            "visible_if",
            "required_if",
            "readonly_if",
            "min",
            "max",
            "default",
        )
    }
    initial.update(
        type=field.get("type") or "text",
        required=bool(field.get("required")),
        choices=_choices_text(field.get("choices")),
        ORDER=position + 1,
    )
    if isinstance(rule, dict):
        initial["set_when"] = _text_of(rule.get("when"))
        initial["set_to"] = _text_of(rule.get("value"))
    elif isinstance(rule, str):
        initial["set_expression"] = rule
    return initial


def rows_in_order(formset) -> list:
    """The kept rows, by their position (ties in page order); blank rows are skipped."""
    rows = []
    for index, row in enumerate(formset.forms):
        data = row.cleaned_data if hasattr(row, "cleaned_data") else {}
        if not data or data.get("DELETE"):
            continue
        # A row with neither label nor key is one nobody filled in: not a field.
        if not (data.get("label") or "").strip() and not (data.get("key") or "").strip():
            continue
        order = data.get("ORDER")
        rows.append(((order if order is not None else index + 1, index), row))
    return [row for _, row in sorted(rows, key=lambda item: item[0])]

"""A schema's fields as an HTML form section, conditions applied on the server.

The section re-renders itself: it posts the answers so far to the render view on every
change (htmx) and is swapped for the answer, so what shows, what is required and what is
read-only is always what ``evaluate`` decided. Put the section inside a ``<form>``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django import forms
from django.forms.utils import ErrorDict, ErrorList
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from opsdesk.core.formschema.engine import FieldState, evaluate, html_name
from opsdesk.core.formschema.fields import choice_values
from opsdesk.core.formschema.references import reference_for
from opsdesk.core.formschema.schemas import fields_of
from opsdesk.core.pickers import PersonField, PickerInput


class MarkedCheckbox(forms.CheckboxInput):
    """A checkbox that also sends an empty marker, so "unticked" differs from "not shown"."""

    template_name = "core/formschema/widgets/checkbox.html"


class MarkedCheckboxes(forms.CheckboxSelectMultiple):
    """Choices that send an empty marker, so choosing none differs from not answering."""

    template_name = "core/formschema/widgets/checkboxes.html"


class SchemaForm(forms.Form):
    required_css_class = "required"
    use_required_attribute = False


def _choices(field: dict) -> list[tuple[str, str]]:
    return [
        (str(c.get("value")), str(c.get("label") or c.get("value")))
        for c in field.get("choices") or []
        if isinstance(c, dict)
    ]


def _reference_input(kind: str, key: str) -> forms.Widget:
    reference = reference_for(kind)
    url = reference.picker_url if reference and reference.picker_url else "core:formschema-pick"
    query = {} if reference and reference.picker_url else {"type": kind}
    return PickerInput(source=(url, query), noun=reference.noun if reference else "records")


def _django_field(field: dict, state: FieldState) -> forms.Field:
    kind = field["type"]
    common = {
        "label": field.get("label") or field["key"],
        "help_text": field.get("help") or "",
        "required": state.required and not state.readonly,
    }
    attrs: dict = {}
    if field.get("placeholder"):
        attrs["placeholder"] = field["placeholder"]
    if common["required"]:
        attrs["aria-required"] = "true"
    if state.readonly:
        # Text keeps its value readable and selectable; other inputs cannot be read-only.
        attrs[
            "readonly"
            if kind in ("text", "long_text", "number", "email", "date", "datetime")
            else "disabled"
        ] = True
    if kind == "long_text":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4, **attrs}), **common)
    if kind == "number":
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "any", **attrs}), **common)
    if kind == "date":
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date", **attrs}), **common)
    if kind == "datetime":
        return forms.CharField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local", **attrs}), **common
        )
    if kind == "email":
        return forms.CharField(widget=forms.EmailInput(attrs=attrs), **common)
    if kind == "single_choice":
        options = [("", "Choose…"), *_choices(field)]
        return forms.ChoiceField(choices=options, widget=forms.Select(attrs=attrs), **common)
    if kind == "multiple_choice":
        return forms.MultipleChoiceField(
            choices=_choices(field), widget=MarkedCheckboxes(attrs=attrs), **common
        )
    if kind == "checkbox":
        return forms.BooleanField(widget=MarkedCheckbox(attrs=attrs), **common)
    if kind == "person":
        person = PersonField(scope="colleagues", **common)
        person.widget.attrs.update(attrs)
        return person
    if kind in ("ci", "service"):
        widget = _reference_input(kind, field["key"])
        widget.attrs.update(attrs)
        reference = reference_for(kind)
        noun = reference.noun if reference else "records"
        common["help_text"] = common["help_text"] or f"Type a name and pick from the {noun}."
        return forms.CharField(widget=widget, **common)
    if kind == "attachment":
        return forms.FileField(widget=forms.ClearableFileInput(attrs=attrs), **common)
    return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)


def _shown(field: dict, value, *, viewer=None):
    """The value as its input shows it."""
    kind = field["type"]
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind in ("ci", "service"):
        reference = reference_for(kind)
        if reference is not None and (isinstance(value, int) or str(value).isdigit()):
            found = reference.rows(viewer).filter(pk=int(value)).first()
            return reference.value(found) if found is not None else str(value)
        if reference is not None and hasattr(value, "pk"):
            return reference.value(value)
    if kind == "multiple_choice":
        allowed = choice_values(field)
        return [v for v in value if v in allowed] if isinstance(value, list) else []
    if kind == "single_choice":
        return value if str(value) in choice_values(field) else ""
    return value


def schema_form(
    fields: list[dict],
    states: dict[str, FieldState],
    *,
    errors: dict[str, list[str]] | None = None,
    prefix: str = "",
    viewer=None,
) -> SchemaForm:
    """An unbound Django form of the visible fields, showing the states' values and
    ``errors`` (from ``validate``), for rendering only: it never cleans anything."""
    form = SchemaForm(prefix=prefix or None)
    for field in fields:
        state = states[field["key"]]
        if not state.visible:
            continue
        form.fields[field["key"]] = _django_field(field, state)
        form.initial[field["key"]] = _shown(field, state.value, viewer=viewer)
    form._errors = ErrorDict(
        {key: ErrorList(messages) for key, messages in (errors or {}).items() if key in form.fields}
    )
    return form


def render_url(schema, prefix: str = "") -> str:
    url = reverse("core:formschema-render", args=[schema.slug])
    return f"{url}?{urlencode({'prefix': prefix})}" if prefix else url


def render_section(
    schema,
    *,
    answers=None,
    errors: dict[str, list[str]] | None = None,
    prefix: str = "",
    request=None,
    url: str | None = None,
    extra: str = "",
) -> str:
    """The HTML of ``schema``'s fields for ``answers`` (None: a new form, defaults shown),
    with ``errors`` from ``validate``; it re-renders itself through ``url`` (the render
    view of ``schema`` unless given) when any answer changes."""
    fields = fields_of(schema)
    states = evaluate(fields, answers, prefix=prefix)
    viewer = getattr(request, "user", None)
    form = schema_form(fields, states, errors=errors, prefix=prefix, viewer=viewer)
    context = {
        "form": form,
        "url": url or render_url(schema, prefix),
        "section_id": f"formschema-{prefix or getattr(schema, 'slug', 'preview')}",
        "empty": not form.fields,
        "extra": extra,
    }
    return render_to_string("core/formschema/_section.html", context, request=request)


__all__ = ["html_name", "render_section", "schema_form"]

"""Form pages: the re-render of a form's fields, the pickers of registered records, and the
form designer (catalog managers and administrators) with its live preview."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError
from opsdesk.core.formschema import designer
from opsdesk.core.formschema.permissions import may_design_forms
from opsdesk.core.formschema.references import reference_for
from opsdesk.core.formschema.rendering import render_section
from opsdesk.core.formschema.selectors import form_schema_list
from opsdesk.core.formschema.services import SchemaInvalid, definition_problems, form_schema_save
from opsdesk.core.models import FormSchema
from opsdesk.core.views.generic import apply_domain_error, list_page, role_required
from opsdesk.core.views.pickers import _options, _query

designer_required = role_required(may_design_forms)
PREFIX_MAX = 40


@login_required
@require_POST
def form_render(request, slug):
    """The fields of form ``slug`` for the answers posted so far (htmx swaps them in)."""
    schema = get_object_or_404(FormSchema, slug=slug)
    prefix = request.GET.get("prefix", "")[:PREFIX_MAX]
    return HttpResponse(
        render_section(schema, answers=request.POST, prefix=prefix, request=request)
    )


@login_required
def reference_pick(request):
    """Picker options for a registered record type (``?type=ci``), as the viewer may see them."""
    reference = reference_for(request.GET.get("type", ""))
    if reference is None:
        raise Http404("No such kind of record.")
    query = _query(request)
    found = reference.search(query, viewer=request.user) if query else []

    def to_options(rows):
        return [
            {"value": reference.value(r), "label": reference.label(r), "details": []} for r in rows
        ]

    return _options(request, found=found, noun=reference.noun, to_options=to_options)


# --- the designer ------------------------------------------------------------------------------
@designer_required
def schema_list(request):
    return list_page(
        request,
        queryset=form_schema_list(),
        filter_form=None,
        template="core/formschema/list.html",
        rows_template="core/formschema/_rows.html",
    )


def _formset(request, schema):
    if request.method == "POST":
        data = request.POST.copy()
        if "add_field" in data:
            count = data.get("fields-TOTAL_FORMS", "")
            total = int(count) if count.isdigit() else 0
            data["fields-TOTAL_FORMS"] = str(total + 1)
            data[f"fields-{total}-ORDER"] = str(total + 1)
            data[f"fields-{total}-type"] = "text"
        return designer.FieldRowFormSet(data, prefix="fields")
    if schema is None:
        # A new form starts with one empty row to fill in.
        return designer.FieldRowFormSet(initial=[{"type": "text", "ORDER": 1}], prefix="fields")
    initial = [designer.definition_initial(f, i) for i, f in enumerate(schema.fields)]
    return designer.FieldRowFormSet(initial=initial, prefix="fields")


def _definition(formset) -> tuple[list[dict], list]:
    """The field definitions the rows describe, in order, and the rows they came from."""
    rows = designer.rows_in_order(formset)
    return [designer.row_definition(row.cleaned_data) for row in rows], rows


def _show_problems(settings_form, rows, error: DomainError) -> None:
    positions = getattr(error, "positions", {}) if isinstance(error, SchemaInvalid) else {}
    for where, texts in positions.items():
        if where.isdigit() and int(where) < len(rows):
            for text in texts:
                rows[int(where)].add_error(None, text)
        else:
            settings_form.add_error(None, texts)
    if positions:
        return
    apply_domain_error(settings_form, error)


def _designer_page(request, schema=None):
    settings_form = designer.FormSettingsForm(
        request.POST or None, schema=schema, initial=_settings_initial(schema)
    )
    formset = _formset(request, schema)
    if request.method == "POST" and "add_field" not in request.POST:
        settings_ok, rows_ok = settings_form.is_valid(), formset.is_valid()
        if settings_ok and rows_ok:
            fields, rows = _definition(formset)
            data = settings_form.cleaned_data
            try:
                saved = form_schema_save(
                    actor=request.user,
                    schema=schema,
                    expected_version=_version(request, schema),
                    name=data["name"],
                    slug=schema.slug if schema is not None else data["slug"],
                    description=data["description"],
                    is_field_set=data["is_field_set"],
                    includes=data["includes"],
                    fields=fields,
                )
            except DomainError as error:
                _show_problems(settings_form, rows, error)
            else:
                messages.success(request, f"Form {saved.name} is saved (version {saved.version}).")
                return redirect("core:formschema-edit", slug=saved.slug)
    status = 400 if request.method == "POST" and "add_field" not in request.POST else 200
    context = {
        "schema": schema,
        "settings_form": settings_form,
        "formset": formset,
        "preview": _preview_html(request, schema, formset, settings_form),
        "title": f"Edit form {schema.name}" if schema else "Design a new form",
        "cancel_url": reverse("core:formschema-list"),
        "version": schema.version if schema else "",
    }
    return render(request, "core/formschema/designer.html", context, status=status)


def _settings_initial(schema):
    if schema is None:
        return {}
    return {
        "name": schema.name,
        "slug": schema.slug,
        "description": schema.description,
        "is_field_set": schema.is_field_set,
        "includes": schema.includes,
    }


def _version(request, schema):
    if schema is None:
        return None
    text = request.POST.get("version", "")
    return int(text) if text.isdigit() else None


@designer_required
def schema_create(request):
    return _designer_page(request)


@designer_required
def schema_edit(request, slug):
    return _designer_page(request, get_object_or_404(FormSchema, slug=slug))


def _preview_html(request, schema, formset, settings_form=None, answers=None) -> str:
    """The preview pane: the rows as they are now, rendered as a requester will see them."""
    fields: list[dict] = []
    if formset.is_bound:
        if formset.is_valid():
            fields, _ = _definition(formset)
    elif schema is not None:
        fields = list(schema.fields)
    includes = []
    if settings_form is not None and settings_form.is_bound and settings_form.is_valid():
        includes = settings_form.cleaned_data["includes"]
    elif schema is not None:
        includes = list(schema.includes)
    return _preview_of(
        request,
        fields=fields,
        includes=includes,
        answers=answers,
        slug=schema.slug if schema else "",
    )


def _preview_of(request, *, fields, includes, answers, slug) -> str:
    errors, _ = definition_problems(slug=slug or "-", fields=fields, includes=includes)
    if errors:
        messages_ = [m for texts in errors.values() for m in texts]
        return render_to_string(
            "core/formschema/_preview_problems.html", {"problems": messages_}, request=request
        )
    draft = FormSchema(slug=slug or "preview", fields=fields, includes=includes)
    definition = json.dumps({"fields": fields, "includes": includes})
    extra = format_html('<input type="hidden" name="_definition" value="{}">', definition)
    return render_section(
        draft,
        answers=answers,
        prefix="preview",
        request=request,
        url=reverse("core:formschema-preview"),
        extra=extra,
    )


@designer_required
@require_POST
def schema_preview(request):
    """The preview re-rendered: from the designer's rows as they are being edited, or, when
    the preview's own answers change, from the definition it was drawn with."""
    if "_definition" in request.POST:
        try:
            definition = json.loads(request.POST["_definition"])
            fields, includes = list(definition["fields"]), list(definition["includes"])
        except (ValueError, KeyError, TypeError):
            return HttpResponse(
                "The preview could not be read; edit a field to redraw it.", status=400
            )
        html = _preview_of(request, fields=fields, includes=includes, answers=request.POST, slug="")
        return HttpResponse(html)
    schema = FormSchema.objects.filter(slug=request.GET.get("slug", "")).first()
    settings_form = designer.FormSettingsForm(request.POST, schema=schema)
    formset = designer.FieldRowFormSet(request.POST, prefix="fields")
    html = _preview_html(request, schema, formset, settings_form)
    if formset.is_bound and not formset.is_valid():
        html = render_to_string(
            "core/formschema/_preview_problems.html",
            {"problems": ["Some rows are not complete yet."]},
            request=request,
        )
    return HttpResponse(html)

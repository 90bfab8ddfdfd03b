"""A form's full list of fields: its field sets' fields, in order, then its own."""

from __future__ import annotations

from opsdesk.core.models import FormSchema

MAX_INCLUDE_DEPTH = 10


def included_fields(slugs, *, seen: tuple[str, ...] = ()) -> list[dict]:
    """The fields of the field sets named by ``slugs``, each set's own includes first."""
    fields: list[dict] = []
    if len(seen) > MAX_INCLUDE_DEPTH:
        return fields
    sets = {s.slug: s for s in FormSchema.objects.filter(slug__in=list(slugs or []))}
    for slug in slugs or []:
        found = sets.get(slug)
        if found is None or slug in seen:
            continue
        fields += included_fields(found.includes, seen=(*seen, slug))
        fields += [f for f in found.fields if isinstance(f, dict)]
    return fields


def fields_of(schema) -> list[dict]:
    """The field definitions of ``schema``: a FormSchema (with its includes) or a list."""
    if isinstance(schema, FormSchema):
        return [*included_fields(schema.includes, seen=(schema.slug,)), *schema.fields]
    return [f for f in schema if isinstance(f, dict)]


def include_errors(*, slug: str, includes) -> list[str]:
    """What is wrong with a form including ``includes``: unknown sets, forms that are not
    field sets, and circles (a set that includes, at any depth, the form itself)."""
    if not isinstance(includes, list) or not all(isinstance(s, str) for s in includes):
        return ["Field sets are a list of slugs."]
    errors = []
    if len(set(includes)) != len(includes):
        errors.append("A field set is included twice.")
    rows = {s.slug: s for s in FormSchema.objects.filter(slug__in=includes)}
    for name in includes:
        row = rows.get(name)
        if name == slug:
            errors.append("A form cannot include itself.")
        elif row is None:
            errors.append(f"There is no field set '{name}'.")
        elif not row.is_field_set:
            errors.append(f"'{row.name}' is a form, not a reusable field set.")
    if errors:
        return errors
    # Walk down the includes; meeting ``slug`` again is a circle.
    frontier, path_of = list(includes), {name: [slug, name] for name in includes}
    visited: set[str] = set()
    while frontier:
        name = frontier.pop()
        if name in visited:
            continue
        visited.add(name)
        row = FormSchema.objects.filter(slug=name).first()
        for child in (row.includes if row else []) or []:
            if child == slug:
                return [
                    "Field sets include each other in a circle: "
                    + " → ".join([*path_of[name], slug])
                    + "."
                ]
            path_of.setdefault(child, [*path_of[name], child])
            frontier.append(child)
    return []

"""PATCH (RFC 7644 §3.5.2) applied to a resource's SCIM document in memory.

The view reads the resource as SCIM, applies every operation here, then stores the result
the way a PUT would. So a request with one bad operation fails before anything is written,
and add, replace and remove mean the same for every attribute. Identity providers' habits
are accepted: Entra's ``"op": "Replace"``, operations without a path whose value names the
attributes (``{"active": false}``, ``{"name.givenName": "Ada"}``), and members removed by
value list (``{"op": "remove", "path": "members", "value": [{"value": "7"}]}``).
"""

import copy
import re
from dataclasses import dataclass

from opsdesk.access.scim import filters
from opsdesk.access.scim.errors import ScimError, invalid_value
from opsdesk.access.scim.schema import (
    EXTERNAL_ID,
    IGNORED,
    READ_ONLY_COMMON,
    Attr,
    ResourceKind,
    find,
)

_PATH = re.compile(
    r"^\s*(?P<attr>[^\[\]\s]+?)(?:\[(?P<filter>.+)\](?:\.(?P<sub>[A-Za-z$][\w$-]*))?)?\s*$",
    re.DOTALL,
)
MAX_OPERATIONS = 1000


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidPath")


@dataclass(frozen=True)
class Target:
    """Where a PATCH path points: an attribute of one schema, maybe filtered, maybe a sub."""

    schema: str
    attr: Attr | None  # None: the path names a whole extension (its URN)
    filter: object = None
    sub: Attr | None = None
    ignored: bool = False


def resolve(kind: ResourceKind, path: str) -> Target:
    match = _PATH.match(path or "")
    if not match:
        raise invalid_path(f"The path {path!r} cannot be read.")
    name, filter_text, sub_name = match.group("attr"), match.group("filter"), match.group("sub")
    schema = kind.schema
    qualified = name.lower().startswith("urn:")
    if qualified:
        whole = kind.schema_named(name)
        if whole:
            if filter_text:
                raise invalid_path(f"The path {path!r} cannot be read.")
            if whole == kind.schema:
                raise invalid_path("Name an attribute after the schema's URN.")
            return Target(whole, None)
        urn, _, name = name.rpartition(":")
        found = kind.schema_named(urn)
        if found is None:
            raise invalid_path(f"opsdesk does not know the schema {urn!r}.")
        schema = found
    attr_name, _, dotted_sub = name.partition(".")
    if dotted_sub and (filter_text or sub_name):
        raise invalid_path(f"The path {path!r} cannot be read.")
    sub_name = sub_name or dotted_sub or None
    attr = _find(kind, schema, attr_name, qualified=qualified)
    if attr is None:
        if attr_name.lower() in IGNORED.get(schema, ()) or _ignored_elsewhere(kind, attr_name):
            return Target(schema, None, ignored=True)
        raise invalid_path(f"opsdesk does not know the attribute {path!r}.")
    if attr.name in READ_ONLY_COMMON or attr.mutability == "readOnly":
        raise ScimError(400, f"{attr.name} is read-only.", "mutability")
    sub = None
    if sub_name:
        if not attr.sub:
            raise invalid_path(f"{attr.name} has no sub-attribute {sub_name!r}.")
        sub = attr.child(sub_name)
        if sub is None:
            return Target(schema, None, ignored=True)  # a standard sub-attribute opsdesk skips
    flt = None
    if filter_text:
        if not attr.multi:
            raise invalid_path(f"{attr.name} holds one value: it takes no filter.")
        try:
            flt = filters.parse(filter_text)
        except ScimError as error:
            raise invalid_path(f"The filter in {path!r} cannot be read: {error.detail}") from None
    return Target(schema, attr, flt, sub)


def _find(kind: ResourceKind, schema: str, name: str, qualified: bool) -> Attr | None:
    if name.lower() in READ_ONLY_COMMON:
        return Attr(name.lower())
    if schema == kind.schema and name.lower() == "externalid":
        return EXTERNAL_ID
    attr = next((a for a in kind.attrs_of(schema) if a.name.lower() == name.lower()), None)
    if attr is None and not qualified and schema == kind.schema:
        # Unqualified names also find the extensions' attributes (``department``).
        for urn, attrs in kind.extensions.items():
            attr = next((a for a in attrs if a.name.lower() == name.lower()), None)
            if attr is not None:
                raise _Redirect(urn, attr)
    return attr


class _Redirect(Exception):
    def __init__(self, schema, attr):
        self.schema, self.attr = schema, attr


def _ignored_elsewhere(kind: ResourceKind, name: str) -> bool:
    return any(name.lower() in IGNORED.get(urn, ()) for urn in kind.extensions)


def resolve_path(kind: ResourceKind, path: str) -> Target:
    try:
        return resolve(kind, path)
    except _Redirect as found:
        # Re-read the same path with the extension's URN in front.
        return resolve(kind, f"{found.schema}:{path.strip()}")


# --- applying -------------------------------------------------------------------------------
def apply(kind: ResourceKind, document: dict, body) -> dict:
    """The document after every operation of a PatchOp body; the input is left unchanged."""
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a PatchOp object.", "invalidSyntax")
    operations = _get(body, "Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    if len(operations) > MAX_OPERATIONS:
        raise ScimError(400, f"At most {MAX_OPERATIONS} operations a request.", "invalidValue")
    doc = copy.deepcopy(document)
    for number, operation in enumerate(operations, start=1):
        try:
            _apply_one(kind, doc, operation)
        except ScimError as error:
            error.detail = f"Operation {number}: {error.detail}"
            raise
    return doc


def _read_only(kind: ResourceKind, name: str) -> bool:
    if name.lower() in READ_ONLY_COMMON:
        return True
    attr = find(kind.attrs, name)
    return attr is not None and attr.mutability == "readOnly"


def _get(mapping: dict, name: str, default=None):
    wanted = name.lower()
    return next((v for k, v in mapping.items() if k.lower() == wanted), default)


def _apply_one(kind: ResourceKind, doc: dict, operation) -> None:
    if not isinstance(operation, dict):
        raise ScimError(400, "Each operation must be an object.", "invalidSyntax")
    op = _get(operation, "op")
    if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
        raise ScimError(400, 'op must be "add", "replace" or "remove".', "invalidSyntax")
    op = op.lower()
    path = _get(operation, "path")
    has_value = any(k.lower() == "value" for k in operation)
    value = _get(operation, "value")
    if path is not None and not isinstance(path, str):
        raise invalid_path("path must be a string.")
    if not path:
        if op == "remove":
            raise ScimError(400, "remove needs a path.", "noTarget")
        if not isinstance(value, dict):
            raise invalid_value(f"{op} without a path needs an object of attributes as value.")
        for name, item in value.items():
            whole = kind.schema_named(name) if isinstance(name, str) else None
            if whole and whole != kind.schema:
                if not isinstance(item, dict):
                    raise invalid_value(f"{name} must be an object.")
                for sub_name, sub_value in item.items():
                    _apply_at(kind, doc, resolve_path(kind, f"{whole}:{sub_name}"), op, sub_value)
            elif whole:
                continue  # the core schema's URN as a key holds nothing to change
            elif isinstance(name, str) and _read_only(kind, name):
                # Okta repeats the resource's id (and the like) in a replace without a path:
                # a read-only attribute in a value is ignored, as it is in a PUT.
                continue
            else:
                _apply_at(kind, doc, resolve_path(kind, name), op, item)
        return
    if op != "remove" and not has_value:
        raise invalid_value(f"{op} needs a value.")
    _apply_at(kind, doc, resolve_path(kind, path), op, value if has_value else None)


def _apply_at(kind: ResourceKind, doc: dict, target: Target, op: str, value) -> None:
    if target.ignored:
        return
    if target.attr is None:  # a whole extension
        if op == "remove":
            doc.pop(target.schema, None)
            return
        if not isinstance(value, dict):
            raise invalid_value(f"{target.schema} must be an object.")
        for name, item in value.items():
            fake = Target(target.schema, find(kind.attrs_of(target.schema), name))
            if fake.attr is not None and fake.attr.mutability != "readOnly":
                _apply_at(kind, doc, fake, op, item)
        return
    if target.schema == kind.schema:
        container = doc
    elif op == "remove":
        container = doc.get(target.schema)
    else:
        container = doc.setdefault(target.schema, {})
    if container is None:
        return
    attr = target.attr
    name = attr.name
    if op == "remove":
        _remove(container, attr, target, value)
    elif not attr.multi:
        if target.sub is not None:
            current = container.get(name)
            if current is not None and not isinstance(current, dict):
                current = None
            current = dict(current or {})
            current[target.sub.name] = value
            container[name] = current
        elif attr.sub:
            if value is None:
                container.pop(name, None)
            elif not isinstance(value, dict):
                # Entra sends the manager as a bare id.
                if name == "manager" and isinstance(value, str | int):
                    container[name] = {"value": str(value)}
                else:
                    raise invalid_value(f"{name} must be an object.")
            else:
                merged = dict(container.get(name) or {})
                merged.update(_canonical(attr, value))
                container[name] = merged
        else:
            container[name] = value
    else:
        _set_multi(container, attr, target, op, value)


def _canonical(attr: Attr, element: dict) -> dict:
    """Sub-attribute names as the schema spells them; unknown standard ones kept as given."""
    out = {}
    for key, item in element.items():
        sub = attr.child(key) if isinstance(key, str) else None
        out[sub.name if sub else key] = item
    return out


def _elements(attr: Attr, value) -> list[dict]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise invalid_value(f"Each value of {attr.name} must be an object.")
        out.append(_canonical(attr, item))
    return out


def _set_multi(container: dict, attr: Attr, target: Target, op: str, value) -> None:
    name = attr.name
    current = [dict(e) for e in container.get(name) or [] if isinstance(e, dict)]
    if target.filter is None:
        if target.sub is not None:
            # ``emails.value``: every element's sub-attribute, or a first element.
            if not current:
                current = [{}]
            for element in current:
                element[target.sub.name] = value
        elif value is None:
            current = [] if op == "replace" else current
        elif op == "add":
            for element in _elements(attr, value):
                if element not in current and not _same_value(element, current):
                    current.append(element)
        else:
            current = _elements(attr, value)
        container[name] = current
        return
    chosen = [e for e in current if filters.matches(target.filter, e)]
    if not chosen:
        seed = _seed(target.filter)
        if seed is None or (op == "replace" and target.sub is None and not isinstance(value, dict)):
            raise ScimError(400, f"No value of {name} matches the path's filter.", "noTarget")
        # Entra adds ``emails[type eq "work"].value`` to a person who has no work address yet.
        element = dict(seed)
        current.append(element)
        chosen = [element]
    for element in chosen:
        if target.sub is not None:
            element[target.sub.name] = value
        elif isinstance(value, dict):
            element.update(_canonical(attr, value))
        else:
            raise invalid_value(f"The value for {name} must be an object.")
    container[name] = current


def _seed(node) -> dict | None:
    """The element a filter of plain ``eq`` comparisons describes, to add when none matches."""
    if isinstance(node, filters.Compare) and node.op == "eq" and node.value is not None:
        return {node.path: node.value}
    if isinstance(node, filters.Logical) and node.op == "and":
        left, right = _seed(node.left), _seed(node.right)
        return {**left, **right} if left is not None and right is not None else None
    return None


def _same_value(element: dict, current: list[dict]) -> bool:
    """Members and the like are one entry per value: adding a member twice adds it once."""
    value = element.get("value")
    return value is not None and any(str(e.get("value")) == str(value) for e in current)


def _remove(container: dict, attr: Attr, target: Target, value) -> None:
    name = attr.name
    if attr.required and target.sub is None and target.filter is None:
        raise ScimError(
            400, f"{name} is required: replace it instead of removing it.", "mutability"
        )
    if not attr.multi:
        if target.sub is not None:
            current = container.get(name)
            if isinstance(current, dict):
                current.pop(target.sub.name, None)
        else:
            container.pop(name, None)
        return
    current = [dict(e) for e in container.get(name) or [] if isinstance(e, dict)]
    if target.filter is None:
        if value is not None and target.sub is None:
            gone = {str(e.get("value")) for e in _elements(attr, value)}
            container[name] = [e for e in current if str(e.get("value")) not in gone]
        elif target.sub is not None:
            for element in current:
                element.pop(target.sub.name, None)
            container[name] = current
        else:
            container.pop(name, None)
        return
    # Removing what is not there changes nothing: identity providers repeat removals.
    if target.sub is not None:
        for element in current:
            if filters.matches(target.filter, element):
                element.pop(target.sub.name, None)
        container[name] = current
    else:
        container[name] = [e for e in current if not filters.matches(target.filter, e)]

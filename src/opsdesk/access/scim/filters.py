"""SCIM filters (RFC 7644 §3.4.2.2): parsed into a small tree, turned into a Django ``Q`` for
queries or evaluated in Python on the values a PATCH path selects (``members[value eq "7"]``).

Written here rather than taken from ``scim2-filter-parser``, which transpiles to SQL text
for a table layout of its own: a ``Q`` composes with the querysets opsdesk already has, and
each refusal names what was wrong in the filter.
"""

import json
import operator
import re
from dataclasses import dataclass

from django.db.models import Q
from django.utils.dateparse import parse_datetime

from opsdesk.access.scim.errors import ScimError

OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le"})
_TOKEN = re.compile(
    r'\s*(?:(?P<punct>[()\[\]])|(?P<string>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()\[\]"]+))'
)
_ATTR_PATH = re.compile(r"^(?:urn:[\w.:-]+:)?[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)?$")
MAX_FILTER_CHARS = 2000
MAX_DEPTH = 20  # brackets within brackets: deeper is an attack, not a query


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidFilter")


class UnknownAttribute(ScimError):
    """The filter names an attribute this kind of resource cannot be filtered on."""

    def __init__(self, path: str):
        super().__init__(400, f"opsdesk cannot filter on {path!r}.", "invalidFilter")


# --- the tree -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Compare:
    path: str
    op: str
    value: object


@dataclass(frozen=True)
class Present:
    path: str


@dataclass(frozen=True)
class Logical:
    op: str  # and, or
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    inner: object


@dataclass(frozen=True)
class ValuePath:
    path: str
    inner: object


# --- parsing --------------------------------------------------------------------------------
def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise invalid_filter(f"The filter cannot be read at character {pos + 1}.")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.pos = 0
        self.depth = 0

    def peek(self, offset: int = 0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        kind, value = self.peek()
        return kind == "word" and value.lower() == word

    def parse(self):
        if not self.tokens:
            raise invalid_filter("The filter is empty.")
        node = self.parse_or()
        if self.pos != len(self.tokens):
            raise invalid_filter(f"Unexpected {self.peek()[1]!r} in the filter.")
        return node

    def parse_or(self):
        node = self.parse_and()
        while self.keyword("or"):
            self.take()
            node = Logical("or", node, self.parse_and())
        return node

    def parse_and(self):
        node = self.parse_not()
        while self.keyword("and"):
            self.take()
            node = Logical("and", node, self.parse_not())
        return node

    def parse_not(self):
        if self.keyword("not") and self.peek(1) == ("punct", "("):
            self.take()
            return Not(self.parse_group())
        return self.parse_atom()

    def parse_group(self):
        self.expect("(")
        node = self.nested(")")
        return node

    def nested(self, closing: str):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise invalid_filter(f"The filter nests deeper than {MAX_DEPTH} levels.")
        node = self.parse_or()
        self.expect(closing)
        self.depth -= 1
        return node

    def expect(self, punct: str):
        if self.take() != ("punct", punct):
            raise invalid_filter(f"Expected {punct!r} in the filter.")

    def parse_atom(self):
        kind, value = self.peek()
        if (kind, value) == ("punct", "("):
            return self.parse_group()
        if kind != "word" or not _ATTR_PATH.match(value):
            raise invalid_filter(f"Expected an attribute name, found {value!r}.")
        self.take()
        if self.peek() == ("punct", "["):
            self.take()
            return ValuePath(value, self.nested("]"))
        op_kind, op = self.take()
        if op_kind != "word":
            raise invalid_filter(f"Expected an operator after {value!r}.")
        op = op.lower()
        if op == "pr":
            return Present(value)
        if op not in OPERATORS:
            raise invalid_filter(
                f"Unknown operator {op!r}; use eq, ne, co, sw, ew, gt, lt, ge, le or pr."
            )
        return Compare(value, op, self.literal())

    def literal(self):
        kind, value = self.take()
        if kind == "string":
            return json.loads(value)
        if kind == "word":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            try:
                return float(value) if any(c in value for c in ".eE") else int(value)
            except ValueError:
                pass
        raise invalid_filter(
            f"Expected a value (a quoted string, number, true, false or null), found {value!r}."
        )


def parse(text: str):
    if len(text) > MAX_FILTER_CHARS:
        raise invalid_filter(f"The filter is longer than {MAX_FILTER_CHARS} characters.")
    return _Parser(text).parse()


# --- to a Q ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """How one SCIM attribute path is found in the database."""

    lookup: str
    kind: str = "text"  # text (case-insensitive), exact (case-exact text), bool, id, datetime
    when_present: str = ""  # a constant attribute (emails.type "work") present with this field


def _strip_schema(path: str, schemas: tuple[str, ...]) -> str:
    lowered = path.lower()
    for urn in schemas:
        if lowered.startswith(urn.lower() + ":"):
            return lowered[len(urn) + 1 :]
    return lowered


def to_q(node, fields: dict[str, Field], schemas: tuple[str, ...], prefix: str = "") -> Q:
    if isinstance(node, Logical):
        left = to_q(node.left, fields, schemas, prefix)
        right = to_q(node.right, fields, schemas, prefix)
        return left & right if node.op == "and" else left | right
    if isinstance(node, Not):
        return ~to_q(node.inner, fields, schemas, prefix)
    if isinstance(node, ValuePath):
        if prefix:
            raise invalid_filter("A filter in brackets cannot hold another one.")
        return to_q(node.inner, fields, schemas, _strip_schema(node.path, schemas) + ".")
    name = prefix + _strip_schema(node.path, schemas)
    field = fields.get(name)
    if field is None:
        raise UnknownAttribute(node.path)
    if isinstance(node, Present):
        return _present(field)
    return _compare(field, node, name)


def _present(field: Field) -> Q:
    if field.kind in ("text", "exact"):
        return Q(**{f"{field.lookup}__gt": ""})
    if field.kind == "bool":
        return Q(**{f"{field.lookup}__isnull": False})
    return Q(**{f"{field.lookup}__isnull": False})


_TEXT_LOOKUPS = {"eq": "exact", "co": "contains", "sw": "startswith", "ew": "endswith"}
_ORDER_LOOKUPS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}


def _compare(field: Field, node: Compare, name: str) -> Q:
    op, value = node.op, node.value
    if value is None:
        if op not in ("eq", "ne"):
            raise invalid_filter(f"null can only be compared with eq or ne ({name}).")
        absent = ~_present(field)
        return absent if op == "eq" else ~absent
    if field.when_present:
        # A constant attribute: opsdesk keeps work addresses only.
        if not isinstance(value, str) or op not in ("eq", "ne"):
            raise invalid_filter(f"{name} can only be compared with eq or ne to a string.")
        matches = value.lower() == field.when_present
        q = _present(field) if matches else Q(pk__in=[])
        return q if op == "eq" else ~q
    if field.kind == "bool":
        if not isinstance(value, bool) or op not in ("eq", "ne"):
            raise invalid_filter(f"{name} is true or false, compared with eq or ne.")
        q = Q(**{field.lookup: value})
        return q if op == "eq" else ~q
    if field.kind == "id":
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise invalid_filter(f"{name} is compared with an id.")
        if op not in ("eq", "ne"):
            raise invalid_filter(f"{name} can only be compared with eq or ne.")
        try:
            q = Q(**{field.lookup: int(value)})
        except ValueError:
            q = Q(pk__in=[])  # no opsdesk id looks like that
        return q if op == "eq" else ~q
    if field.kind == "datetime":
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None or op not in (*_ORDER_LOOKUPS, "eq", "ne"):
            raise invalid_filter(f"{name} is compared with an ISO 8601 date and time.")
        if op in ("eq", "ne"):
            q = Q(**{field.lookup: moment})
            return q if op == "eq" else ~q
        return Q(**{f"{field.lookup}__{_ORDER_LOOKUPS[op]}": moment})
    if not isinstance(value, str):
        raise invalid_filter(f"{name} is text: compare it with a quoted string.")
    if op in _ORDER_LOOKUPS:
        return Q(**{f"{field.lookup}__{_ORDER_LOOKUPS[op]}": value})
    lookup = _TEXT_LOOKUPS["eq" if op == "ne" else op]
    if field.kind == "text":
        lookup = "i" + lookup
    q = Q(**{f"{field.lookup}__{lookup}": value})
    return ~q if op == "ne" else q


# --- evaluated in Python, on the elements a PATCH path selects --------------------------------
def matches(node, element: dict) -> bool:
    """Does one element of a multi-valued attribute (``{"value": "7", "type": "User"}``) pass?"""
    if isinstance(node, Logical):
        left = matches(node.left, element)
        right = matches(node.right, element)
        return (left and right) if node.op == "and" else (left or right)
    if isinstance(node, Not):
        return not matches(node.inner, element)
    if isinstance(node, ValuePath):
        raise ScimError(400, "A filter in brackets cannot hold another one.", "invalidPath")
    actual = _element_value(element, node.path)
    if isinstance(node, Present):
        return actual not in (None, "", [], {})
    return _holds(actual, node.op, node.value)


def _element_value(element: dict, name: str):
    wanted = name.lower()
    return next((v for k, v in element.items() if k.lower() == wanted), None)


def _holds(actual, op: str, expected) -> bool:
    if expected is None:
        absent = actual in (None, "")
        return absent if op == "eq" else not absent
    if actual is None:
        return op == "ne"
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = str(actual).lower() == str(expected).lower()
        return same if op == "eq" else (not same if op == "ne" else False)
    if isinstance(actual, int | float) and not isinstance(expected, str):
        left, right = actual, expected
    else:
        left, right = str(actual).lower(), str(expected).lower()
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if op in ("co", "sw", "ew"):
        left, right = str(left), str(right)
        return {"co": right in left, "sw": left.startswith(right), "ew": left.endswith(right)}[op]
    order = {"gt": operator.gt, "ge": operator.ge, "lt": operator.lt, "le": operator.le}
    try:
        return order[op](left, right)
    except TypeError:
        return False

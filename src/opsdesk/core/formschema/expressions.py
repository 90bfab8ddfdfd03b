"""The one small expression language of forms and approval conditions.

::

    cost > 1000 and category in ['laptop', 'phone']
    not empty(manager) or urgency == 'high'
    'vpn' in access                 # a multiple choice (a list) holds 'vpn'
    len(justification) >= 20

Literals are numbers, 'strings' (or "strings"), ``true``, ``false``, ``null`` and lists
``[...]``; a bare name is a field's value (``null`` when the field has none); operators are
``== != < <= > >=``, ``in`` and ``not in``, ``and``, ``or``, ``not`` and parentheses; the
functions are ``empty(x)`` and ``len(x)``. A hand-written tokenizer and recursive-descent
parser build a small tree that is evaluated directly: nothing is ever passed to ``eval``.

Evaluation never raises on data: comparing values that do not compare (a number with a
string) is false, and a date compares with an ISO string ('2026-01-31'). Parsing does raise,
``ExpressionError`` with the position (1-based character) of the problem. Parsed expressions
are cached by their text.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

MAX_LENGTH = 2000
MAX_DEPTH = 50


class ExpressionError(ValueError):
    """An expression that does not parse; ``position`` is the 1-based character."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} at character {position}")
        self.message = message
        self.position = position


# --- tokens ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, op, end
    value: object
    position: int  # 1-based


KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}
TWO_CHAR = {"==", "!=", "<=", ">="}
ONE_CHAR = {"<", ">", "(", ")", "[", "]", ",", "-"}


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i + 1
        if ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and (text[j].isdigit() or text[j] == "."):
                j += 1
            raw = text[i:j]
            try:
                number = Decimal(raw)
            except InvalidOperation:
                raise ExpressionError(f"'{raw}' is not a number", start) from None
            if raw.count(".") > 1:
                raise ExpressionError(f"'{raw}' is not a number", start)
            if j < n and (text[j].isalpha() or text[j] == "_"):
                raise ExpressionError("A name cannot start with a digit", start)
            tokens.append(Token("number", number, start))
            i = j
        elif ch in "'\"":
            quote, j, chars = ch, i + 1, []
            while j < n and text[j] != quote:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                chars.append(text[j])
                j += 1
            if j >= n:
                raise ExpressionError("This text has no closing quote", start)
            tokens.append(Token("string", "".join(chars), start))
            i = j + 1
        elif ch.isalpha() or ch == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            tokens.append(Token("keyword" if word in KEYWORDS else "name", word, start))
            i = j
        elif text[i : i + 2] in TWO_CHAR:
            tokens.append(Token("op", text[i : i + 2], start))
            i += 2
        elif ch in ONE_CHAR:
            tokens.append(Token("op", ch, start))
            i += 1
        elif ch == "=":
            raise ExpressionError("Use == to compare", start)
        else:
            raise ExpressionError(f"Unexpected character '{ch}'", start)
    tokens.append(Token("end", None, n + 1))
    return tokens


# --- the tree ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Literal:
    value: object


@dataclass(frozen=True)
class Name:
    key: str


@dataclass(frozen=True)
class ListOf:
    items: tuple


@dataclass(frozen=True)
class Not:
    operand: object


@dataclass(frozen=True)
class Negate:
    operand: object


@dataclass(frozen=True)
class BoolOp:
    op: str  # and, or
    operands: tuple


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >= in "not in"
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _len(value):
    if value is None:
        return Decimal(0)
    try:
        return Decimal(len(value))
    except TypeError:
        return None


FUNCTIONS: dict[str, tuple[int, Callable]] = {"empty": (1, _empty), "len": (1, _len)}


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.i]

    def _advance(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def _is(self, kind: str, value=None) -> bool:
        token = self.current
        return token.kind == kind and (value is None or token.value == value)

    def _expect(self, kind: str, value, what: str) -> Token:
        if not self._is(kind, value):
            raise ExpressionError(
                f"Expected {what}, found {_describe(self.current)}", self.current.position
            )
        return self._advance()

    def parse(self):
        if self._is("end"):
            raise ExpressionError("The expression is empty", 1)
        node = self.or_()
        if not self._is("end"):
            raise ExpressionError(
                f"Expected the end of the expression, found {_describe(self.current)}",
                self.current.position,
            )
        return node

    def _deeper(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("The expression is nested too deeply", self.current.position)

    def or_(self):
        operands = [self.and_()]
        while self._is("keyword", "or"):
            self._advance()
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def and_(self):
        operands = [self.not_()]
        while self._is("keyword", "and"):
            self._advance()
            operands.append(self.not_())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def not_(self):
        if self._is("keyword", "not"):
            self._advance()
            self._deeper()
            node = Not(self.not_())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self):
        left = self.unary()
        token = self.current
        if token.kind == "op" and token.value in ("==", "!=", "<", "<=", ">", ">="):
            self._advance()
            node = Compare(str(token.value), left, self.unary())
        elif self._is("keyword", "in"):
            self._advance()
            node = Compare("in", left, self.unary())
        elif self._is("keyword", "not") and self.tokens[self.i + 1].value == "in":
            self.i += 2
            node = Compare("not in", left, self.unary())
        else:
            return left
        following = self.current
        if following.kind == "op" and following.value in ("==", "!=", "<", "<=", ">", ">="):
            raise ExpressionError(
                "Comparisons do not chain; join them with 'and'", following.position
            )
        return node

    def unary(self):
        if self._is("op", "-"):
            self._advance()
            self._deeper()
            node = Negate(self.unary())
            self.depth -= 1
            return node
        return self.primary()

    def primary(self):
        token = self.current
        if token.kind == "number" or token.kind == "string":
            self._advance()
            return Literal(token.value)
        if token.kind == "keyword" and token.value in ("true", "false", "null"):
            self._advance()
            return Literal({"true": True, "false": False, "null": None}[str(token.value)])
        if token.kind == "name":
            self._advance()
            if self._is("op", "("):
                return self.call(token)
            return Name(str(token.value))
        if self._is("op", "("):
            self._advance()
            self._deeper()
            node = self.or_()
            self.depth -= 1
            self._expect("op", ")", "')'")
            return node
        if self._is("op", "["):
            self._advance()
            items = []
            if not self._is("op", "]"):
                items.append(self.or_())
                while self._is("op", ","):
                    self._advance()
                    items.append(self.or_())
            self._expect("op", "]", "',' or ']'")
            return ListOf(tuple(items))
        raise ExpressionError(f"Expected a value, found {_describe(token)}", token.position)

    def call(self, name: Token):
        function = str(name.value)
        if function not in FUNCTIONS:
            known = ", ".join(f"{f}()" for f in FUNCTIONS)
            raise ExpressionError(f"Unknown function '{function}' (known: {known})", name.position)
        self._advance()  # (
        args = []
        if not self._is("op", ")"):
            args.append(self.or_())
            while self._is("op", ","):
                self._advance()
                args.append(self.or_())
        self._expect("op", ")", "',' or ')'")
        arity = FUNCTIONS[function][0]
        if len(args) != arity:
            raise ExpressionError(
                f"{function}() takes {arity} value{'s' if arity != 1 else ''}", name.position
            )
        return Call(function, tuple(args))


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end"
    if token.kind == "string":
        return "a text"
    return f"'{token.value}'"


# --- evaluation --------------------------------------------------------------------------------
def _comparable(a, b):
    """Bring two values to one kind for ordering, or None when they do not compare."""
    if isinstance(a, bool) or isinstance(b, bool):
        return (a, b) if isinstance(a, bool) and isinstance(b, bool) else None
    if isinstance(a, int | float | Decimal) and isinstance(b, int | float | Decimal):
        return Decimal(str(a)), Decimal(str(b))
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    for first, second, swap in ((a, b, False), (b, a, True)):
        if isinstance(first, date | datetime) and isinstance(second, str):
            other = _parse_when(second, like=first)
            if other is None:
                return None
            return (other, first) if swap else (first, other)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a, b
    if isinstance(a, date) and isinstance(b, date) and not isinstance(a, datetime):
        return (a, b) if not isinstance(b, datetime) else None
    return None


def _parse_when(text: str, *, like):
    try:
        if isinstance(like, datetime):
            parsed = datetime.fromisoformat(text)
            if like.tzinfo is not None and parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=like.tzinfo)
            if like.tzinfo is None and parsed.tzinfo is not None:
                return None
            return parsed
        return date.fromisoformat(text)
    except ValueError:
        return None


def _equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    pair = _comparable(a, b)
    if pair is not None:
        return pair[0] == pair[1]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return False


ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _contains(container, item) -> bool:
    if isinstance(container, list | tuple):
        if isinstance(item, list | tuple):
            return all(any(_equal(x, c) for c in container) for x in item)
        return any(_equal(item, c) for c in container)
    if isinstance(container, str) and isinstance(item, str):
        return item in container
    return False


def truthy(value) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    if isinstance(value, int | float | Decimal):
        return value != 0
    return True


def _evaluate(node, values: Mapping):
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        value = values.get(node.key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value))
        return value
    if isinstance(node, ListOf):
        return [_evaluate(item, values) for item in node.items]
    if isinstance(node, Not):
        return not truthy(_evaluate(node.operand, values))
    if isinstance(node, Negate):
        value = _evaluate(node.operand, values)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            return -Decimal(str(value))
        return None
    if isinstance(node, BoolOp):
        if node.op == "and":
            return all(truthy(_evaluate(o, values)) for o in node.operands)
        return any(truthy(_evaluate(o, values)) for o in node.operands)
    if isinstance(node, Compare):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if node.op == "==":
            return _equal(left, right)
        if node.op == "!=":
            return not _equal(left, right)
        if node.op == "in":
            return _contains(right, left)
        if node.op == "not in":
            return not _contains(right, left)
        pair = _comparable(left, right) if left is not None and right is not None else None
        if pair is None:
            return False
        try:
            return ORDERING[node.op](pair[0], pair[1])
        except TypeError:
            return False
    if isinstance(node, Call):
        return FUNCTIONS[node.function][1](*(_evaluate(arg, values) for arg in node.args))
    raise TypeError(f"not an expression node: {node!r}")


def _names(node) -> set[str]:
    if isinstance(node, Name):
        return {node.key}
    children: tuple = ()
    if isinstance(node, ListOf):
        children = node.items
    elif isinstance(node, Not | Negate):
        children = (node.operand,)
    elif isinstance(node, BoolOp):
        children = node.operands
    elif isinstance(node, Compare):
        children = (node.left, node.right)
    elif isinstance(node, Call):
        children = node.args
    found: set[str] = set()
    for child in children:
        found |= _names(child)
    return found


@dataclass(frozen=True)
class Expression:
    """A parsed expression: ``evaluate(values)`` and the field keys it reads (``names``)."""

    text: str
    tree: object
    names: frozenset[str]

    def evaluate(self, values: Mapping):
        return _evaluate(self.tree, values)

    def test(self, values: Mapping) -> bool:
        """The expression as a condition: true or false."""
        return truthy(self.evaluate(values))


@lru_cache(maxsize=2048)
def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an ``Expression``; raises ``ExpressionError`` with the position."""
    if not isinstance(text, str):
        raise ExpressionError("An expression is text", 1)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"The expression is longer than {MAX_LENGTH} characters", 1)
    tree = _Parser(text).parse()
    return Expression(text=text, tree=tree, names=frozenset(_names(tree)))


def evaluate_expression(expression: str | Expression, values: Mapping):
    """The value of ``expression`` (text or parsed) over ``values`` (field key to value)."""
    if isinstance(expression, str):
        expression = parse_expression(expression)
    return expression.evaluate(values)

"""Stage conditions over the form answers: the one place approvals evaluates an expression.

A stage's condition is a plain string. Until ``opsdesk.core.formschema.evaluate_expression``
exists, this module understands a minimal syntax, and it is to be replaced by that function
here and nowhere else:

    amount > 1000
    department == 'Finance'
    amount >= 500 and laptop_model != 'basic'

Comparisons are ``field OP value`` with OP one of ``== != > >= < <=`` and value a number or
a quoted string; ``and`` joins comparisons. An empty condition always holds; a field missing
from the answers makes its comparison false.
"""

import operator
import re
from decimal import Decimal, InvalidOperation

_COMPARISON = re.compile(
    r"""^\s*(?P<field>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|>=|<=|>|<)\s*
    (?P<value>'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?)\s*$""",
    re.VERBOSE,
)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_OPS = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


class ConditionError(ValueError):
    """The expression is not in the supported syntax."""


def _parse(expr: str) -> list[tuple[str, str, object]]:
    parts = []
    for piece in _AND.split(expr.strip()):
        found = _COMPARISON.match(piece)
        if found is None:
            raise ConditionError(
                f"Cannot read {piece.strip()!r}: write field == 'text' or field > 100, "
                "joined with and."
            )
        raw = found["value"]
        value: object = raw[1:-1] if raw[0] in "'\"" else Decimal(raw)
        parts.append((found["field"], found["op"], value))
    return parts


def condition_errors(expr: str) -> str:
    """A message when ``expr`` cannot be evaluated, else ''."""
    if not (expr or "").strip():
        return ""
    try:
        _parse(expr)
    except ConditionError as error:
        return str(error)
    return ""


def _compare(answer, op: str, value) -> bool:
    if isinstance(value, Decimal):
        try:
            answer = Decimal(str(answer).strip())
        except (InvalidOperation, ValueError):
            return False
    else:
        answer = "" if answer is None else str(answer)
    try:
        return bool(_OPS[op](answer, value))
    except TypeError:
        return False


def condition_holds(expr: str, answers: dict) -> bool:
    """Does the stage's condition hold for these answers? Empty means always."""
    if not (expr or "").strip():
        return True
    answers = answers or {}
    for field, op, value in _parse(expr):
        if field not in answers or not _compare(answers[field], op, value):
            return False
    return True

"""Stage conditions over the form answers: the one place approvals evaluates an expression.

A stage's condition is written in the form engine's expression language
(``opsdesk.core.formschema``), the same one forms' visible-if and required-if use:

    cost > 1000
    department == 'Finance'
    cost >= 500 and model != 'standard'
    access in ['write', 'admin']

An empty condition always holds; a field missing from the answers compares as empty, so its
comparison is false.
"""

from opsdesk.core.formschema import ExpressionError, parse_expression


def condition_errors(expr: str) -> str:
    """A message when ``expr`` cannot be evaluated, else ''."""
    if not (expr or "").strip():
        return ""
    try:
        parse_expression(expr)
    except ExpressionError as error:
        return str(error.message)
    return ""


def condition_holds(expr: str, answers: dict) -> bool:
    """Whether the stage applies to these answers (an empty condition always does)."""
    if not (expr or "").strip():
        return True
    return bool(parse_expression(expr).test(answers or {}))


def plain_answer(value):
    """An answer as an approval keeps it and its conditions read it: numbers as numbers
    (decimals as floats), dates as ISO text, lists item by item."""
    from datetime import date
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [plain_answer(v) for v in value]
    return value

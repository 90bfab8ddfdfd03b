"""Keyset pagination for the workspace queues: a deep page costs what the first one does.

Rows are ordered by (sort field, id); the cursor carries the last row's pair, and the next
page asks for rows strictly after it instead of counting past an OFFSET.
"""

import base64
import json
from dataclasses import dataclass

from django.db.models import Q
from django.utils.dateparse import parse_datetime

# name -> (field, descending, label)
SORTS = {
    "opened": ("opened_at", True, "Newest first"),
    "oldest": ("opened_at", False, "Oldest first"),
    "priority": ("priority", False, "Priority"),
    "updated": ("updated_at", True, "Recently updated"),
    "number": ("number", True, "Number"),
}
DEFAULT_SORT = "opened"
DATETIME_FIELDS = {"opened_at", "updated_at"}


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    sort: str


def _encode(value, pk) -> str:
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, field: str):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if field in DATETIME_FIELDS:
            value = parse_datetime(value)
        if value is None or not isinstance(pk, int):
            return None
        return value, pk
    except (ValueError, TypeError):
        return None  # a mangled cursor starts from the top rather than failing


def keyset_page(queryset, *, sort: str | None, cursor: str | None, size: int = 50) -> Page:
    sort = sort if sort in SORTS else DEFAULT_SORT
    field, descending, _ = SORTS[sort]
    order = f"-{field}" if descending else field
    # The id always breaks ties newest first, so equal keys keep a stable order.
    queryset = queryset.order_by(order, "-id")
    position = _decode(cursor, field) if cursor else None
    if position is not None:
        value, pk = position
        beyond = Q(**{f"{field}__lt" if descending else f"{field}__gt": value})
        queryset = queryset.filter(beyond | Q(**{field: value, "id__lt": pk}))
    rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(getattr(last, field), last.pk)
    return Page(rows=rows, next_cursor=next_cursor, sort=sort)

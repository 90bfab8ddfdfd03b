"""Keyset pagination for the workspace queues: a deep page costs what the first one does.

Rows are ordered by (sort field, id); the cursor carries the last row's pair, and the next
page asks for rows strictly after it instead of counting past an OFFSET.
"""

import base64
import json
import operator
from dataclasses import dataclass
from functools import reduce

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
# The JSON type a cursor's value must have for the other sort fields.
FIELD_TYPES = {"priority": int, "number": str}


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
            value = parse_datetime(value) if isinstance(value, str) else None
        elif not isinstance(value, FIELD_TYPES.get(field, str)) or isinstance(value, bool):
            return None  # e.g. text where a priority number belongs
        if value is None or not isinstance(pk, int) or isinstance(pk, bool):
            return None
        return value, pk
    except (ValueError, TypeError):
        return None  # a mangled cursor starts from the top rather than failing


def _sort_key(field: str, descending: bool):
    # The rows' order as a Python key: (field, id) with the id always newest first.
    if descending:
        return lambda pair: (pair[0], pair[1])
    return lambda pair: (pair[0], -pair[1])


def keyset_page(
    queryset,
    *,
    sort: str | None,
    cursor: str | None,
    size: int = 50,
    partitions: list[dict] | None = None,
) -> Page:
    """One page of ``queryset`` after ``cursor``.

    ``partitions`` are disjoint filters whose union, within ``queryset``, is the list to page
    (e.g. one per open state). For the opened_at sorts, the ones the indexes follow, they make
    a page cost the same at any depth: each part is read from its own index in order, the few
    candidate ids merged here, and only the page's rows loaded. Without them an index on
    (opened_at) serves "state IN (...)" by skipping every closed incident on the way down.
    """
    sort = sort if sort in SORTS else DEFAULT_SORT
    field, descending, _ = SORTS[sort]
    order = f"-{field}" if descending else field
    # The id always breaks ties newest first, so equal keys keep a stable order.
    queryset = queryset.order_by(order, "-id")
    position = _decode(cursor, field) if cursor else None
    if position is not None:
        value, pk = position
        beyond = Q(**{f"{field}__lt" if descending else f"{field}__gt": value})
        # The plain bound repeats what the OR implies: databases start an index range scan
        # from it, where the OR alone would make them read from the top of the index.
        bound = Q(**{f"{field}__lte" if descending else f"{field}__gte": value})
        queryset = queryset.filter(bound, beyond | Q(**{field: value, "id__lt": pk}))
    if partitions is not None and field == "opened_at":
        candidates = []
        for part in partitions:
            candidates.extend(queryset.filter(**part).values_list(field, "pk")[: size + 1])
        candidates.sort(key=_sort_key(field, descending), reverse=descending)
        ids = [pk for _, pk in candidates[: size + 1]]
        by_id = {row.pk: row for row in queryset.filter(pk__in=ids)} if ids else {}
        rows = [by_id[pk] for pk in ids if pk in by_id]
    else:
        if partitions is not None:
            anyone = reduce(operator.or_, (Q(**part) for part in partitions), Q(pk__in=[]))
            queryset = queryset.filter(anyone)
        rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(getattr(last, field), last.pk)
    return Page(rows=rows, next_cursor=next_cursor, sort=sort)

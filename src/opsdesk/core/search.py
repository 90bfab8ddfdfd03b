"""Global search: record types register here; a number jumps straight to its record.

A record type declares its model, number prefix, the fields to search, what a user may see,
and how to show a hit (URL and title). Core never imports the apps that register.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class RecordType:
    key: str
    label: str
    model: type[Model]
    prefix: str
    fields: tuple[str, ...]
    visible: Callable[..., QuerySet]  # visible(viewer) -> queryset of what viewer may see
    url: Callable[[Model, object], str]  # url(record, viewer)
    title: Callable[[Model], str]


_REGISTRY: dict[str, RecordType] = {}
NUMBER = re.compile(r"^\s*([a-z]{2,5})0*(\d{1,12})\s*$", re.IGNORECASE)


def register(record_type: RecordType) -> None:
    _REGISTRY[record_type.key] = record_type


def record_types() -> list[RecordType]:
    return list(_REGISTRY.values())


def record_type_for(key: str) -> RecordType | None:
    """The registered record type with this key (``incident``), if any."""
    return _REGISTRY.get(key)


def record_type_of(record: Model) -> RecordType | None:
    """The registered record type ``record`` is an instance of, if any."""
    for record_type in _REGISTRY.values():
        if isinstance(record, record_type.model):
            return record_type
    return None


def visible_record(key: str, pk, *, viewer) -> tuple[RecordType, Model] | None:
    """(record type, record) for a key and id if ``viewer`` may see it; None otherwise, so a
    hidden record looks like a missing one."""
    record_type = _REGISTRY.get(key)
    if record_type is None:
        return None
    record = record_type.visible(viewer).filter(pk=pk).first()
    return (record_type, record) if record is not None else None


def find_by_number(text: str, *, viewer):
    """(record type, record) for a number such as INC0003015 or inc3015, in any state, if
    ``viewer`` may see it; None otherwise, so a hidden record looks like a missing one."""
    match = NUMBER.match(text or "")
    if not match:
        return None
    prefix, digits = match.group(1).upper(), int(match.group(2))
    for record_type in _REGISTRY.values():
        if record_type.prefix != prefix:
            continue
        candidates = record_type.visible(viewer).filter(number__startswith=prefix)
        hits = [
            r
            for r in candidates.filter(number__endswith=str(digits))
            if int(r.number[len(prefix) :]) == digits
        ]
        if len(hits) == 1:
            return record_type, hits[0]
    return None

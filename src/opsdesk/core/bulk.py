"""One change applied to many records, each record all or nothing.

A bulk action is a loop of ordinary service calls. Each record's calls run in a savepoint of
their own, so a change refused half-way (assigned, then the transition refused) leaves that
record exactly as it was, and the report names, by number, the records that changed and why
the others did not. Any record type reuses it by passing its records and its change.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction

from opsdesk.core.errors import DomainError


@dataclass
class BulkReport:
    changed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    def summary(self, noun: str = "record") -> str:
        """One sentence a person reads after the action, true to what was written."""
        if not self.changed:
            return f"No {noun} was changed."
        names = ", ".join(self.changed)
        count = len(self.changed)
        return f"{count} {noun}{'' if count == 1 else 's'} changed: {names}."


def bulk_apply(
    records: Iterable, change: Callable[[object], object], *, label=lambda r: r.number
) -> BulkReport:
    report = BulkReport()
    for record in records:
        try:
            with transaction.atomic():
                change(record)
        except DomainError as error:
            report.refused[label(record)] = error.message
        else:
            report.changed.append(label(record))
    return report

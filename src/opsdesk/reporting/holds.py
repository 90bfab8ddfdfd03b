"""The windows each assignment group held a record, read from its typed history.

A hold starts at the history row where the group became the record's group (the opening
row, a change of group, or a reopening, which hands the record back to its last group) and
ends at the next change of group or the resolution; a record closed or cancelled without a
resolution ends its last hold then. A hold still running is not finished and not counted.
Reads only; ``services.holds.group_holds_write`` stores the windows with their durations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from opsdesk.core.models import HistoryChange, TicketHistory


@dataclass(frozen=True)
class Hold:
    team_id: int
    started_at: datetime
    ended_at: datetime


def hold_windows(rows: list[TicketHistory], *, finished_at: datetime | None) -> list[Hold]:
    """The finished holds in ``rows`` (one record's history, oldest first). ``finished_at``:
    when the record was closed or cancelled, for a hold no resolution row ended."""
    holds: list[Hold] = []
    current: tuple[int, datetime] | None = None
    last_group: int | None = None

    def close(at: datetime) -> None:
        nonlocal current
        if current is not None and at >= current[1]:
            holds.append(Hold(team_id=current[0], started_at=current[1], ended_at=at))
        current = None

    for row in rows:
        if row.change == HistoryChange.OPENED:
            last_group = row.group_id
            if row.group_id is not None:
                current = (row.group_id, row.at)
        elif row.change == HistoryChange.ASSIGNMENT_GROUP:
            if current is not None and current[0] == row.group_id:
                continue
            close(row.at)
            last_group = row.group_id
            if row.group_id is not None:
                current = (row.group_id, row.at)
        elif row.change == HistoryChange.RESOLVED:
            close(row.at)
        elif row.change == HistoryChange.REOPENED:
            group = row.group_id or last_group
            if current is None and group is not None:
                current = (group, row.at)
    if current is not None and finished_at is not None:
        close(finished_at)
    return holds

"""The calendar view of a schedule: one row per local day, 24 hour cells coloured per person."""

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from opsdesk.oncall.rotation import local_to_utc

PALETTE_SIZE = 8


@dataclass
class Piece:
    start: datetime
    end: datetime
    who: object  # a user, or None for a gap
    colour: str


@dataclass
class DayRow:
    day: date
    cells: list[Piece | None] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)

    @property
    def has_gap(self) -> bool:
        return any(p.who is None for p in self.pieces)


def colour_of(user, colours: dict) -> str:
    if user is None:
        return "gap"
    if user.pk not in colours:
        colours[user.pk] = f"who-{len(colours) % PALETTE_SIZE}"
    return colours[user.pk]


def build_rows(spans, gaps, *, first_day: date, days: int, zone_name: str):
    """Rows for ``days`` local days from ``first_day``, plus the legend (user, colour)."""
    zone = ZoneInfo(zone_name)
    colours: dict = {}
    people = {}
    pieces = [Piece(s.start, s.end, s.user, "") for s in spans]
    pieces += [Piece(g.start, g.end, None, "gap") for g in gaps]
    pieces.sort(key=lambda p: p.start)
    for piece in pieces:
        piece.colour = colour_of(piece.who, colours)
        if piece.who is not None:
            people[piece.who.pk] = piece.who
    starts = [p.start for p in pieces]

    def at(instant):
        index = bisect.bisect_right(starts, instant) - 1
        if index >= 0 and pieces[index].end > instant:
            return pieces[index]
        return None

    rows = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        opens = local_to_utc(datetime.combine(day, time(0)), zone)
        closes = local_to_utc(datetime.combine(day + timedelta(days=1), time(0)), zone)
        row = DayRow(day)
        # A cell shows whoever is on call in the middle of its local hour.
        row.cells = [at(local_to_utc(datetime.combine(day, time(h, 30)), zone)) for h in range(24)]
        for piece in pieces:
            if piece.end > opens and piece.start < closes:
                row.pieces.append(
                    Piece(
                        max(piece.start, opens).astimezone(zone),
                        min(piece.end, closes).astimezone(zone),
                        piece.who,
                        piece.colour,
                    )
                )
        rows.append(row)
    legend = [(people[pk], colour) for pk, colour in colours.items() if pk in people]
    return rows, legend

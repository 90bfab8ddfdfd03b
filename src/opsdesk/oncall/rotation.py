"""Who is on call, computed from plain data: rotation layers, restrictions and overrides.

Nothing here touches the database, so the rules can be tested on their own (and quickly):

* a layer's turns hand over at a local wall-clock time in the layer's zone, so a 09:00
  handoff stays 09:00 across daylight-saving changes (custom turn lengths are exact seconds);
* a layer with restrictions only covers inside its windows and yields to the layers below;
* a higher ``priority`` wins over a lower one, overrides win over every layer, and among
  overlapping overrides the later-created one wins;
* whatever nobody covers is reported as a gap.

Local times that do not exist or exist twice on a daylight-saving day are read the way
RFC 5545 reads them: with the UTC offset in force before the change.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
CUSTOM = "custom"
TURN_DAYS = {DAILY: 1, WEEKLY: 7}


@dataclass(frozen=True)
class Window:
    """A recurring restriction: starts on each of ``days`` (0 = Monday) at ``start``.

    It ends at ``end`` the same day, or the next day when ``end`` is not later than
    ``start`` (18:00–08:00 runs overnight; 00:00–00:00 is the whole day).
    """

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True)
class Layer:
    priority: int
    participants: tuple[Hashable, ...]
    rotation_start: datetime
    turn: str = WEEKLY
    handoff: time = time(9, 0)
    time_zone: str = "UTC"
    turn_seconds: int | None = None
    restrictions: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Cover:
    """A one-off override: ``user`` is on call for [start, end).

    Where overrides overlap the higher ``rank`` (a tuple of numbers) wins; services pass the
    creation time, so the later-created override wins.
    """

    start: datetime
    end: datetime
    user: Hashable
    rank: tuple = ()


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime
    user: Hashable


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime


@dataclass
class FinalSchedule:
    spans: list[Span] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time in ``zone`` as a UTC instant (fold=0: the offset before a change)."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _require_aware(*instants: datetime) -> None:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("instants must carry a time zone")


# --- one layer ------------------------------------------------------------------------------
def _turn_boundary(layer: Layer, anchor: date, k: int) -> datetime:
    if layer.turn == CUSTOM:
        return layer.rotation_start.astimezone(UTC) + timedelta(seconds=layer.turn_seconds * k)
    day = anchor + timedelta(days=TURN_DAYS[layer.turn] * k)
    return local_to_utc(datetime.combine(day, layer.handoff), ZoneInfo(layer.time_zone))


def _anchor(layer: Layer) -> date:
    """The local date of the handoff that opens turn 0 (the turn holding rotation_start)."""
    zone = ZoneInfo(layer.time_zone)
    local = layer.rotation_start.astimezone(zone)
    anchor = local.date()
    if local_to_utc(datetime.combine(anchor, layer.handoff), zone) > layer.rotation_start:
        anchor -= timedelta(days=1)
    return anchor


def _turn_index(layer: Layer, anchor: date, instant: datetime) -> int:
    """k such that boundary(k) <= instant < boundary(k + 1)."""
    if layer.turn == CUSTOM:
        # Both in UTC: Python subtracts two times in the same zone by their wall clocks.
        elapsed = (instant.astimezone(UTC) - layer.rotation_start.astimezone(UTC)).total_seconds()
        k = int(elapsed // layer.turn_seconds)
    else:
        days = (instant.astimezone(ZoneInfo(layer.time_zone)).date() - anchor).days
        k = days // TURN_DAYS[layer.turn]
    while _turn_boundary(layer, anchor, k) > instant:
        k -= 1
    while _turn_boundary(layer, anchor, k + 1) <= instant:
        k += 1
    return k


def rotation_spans(layer: Layer, start: datetime, end: datetime) -> list[Span]:
    """The layer's turns inside [start, end), ignoring its restrictions."""
    _require_aware(start, end, layer.rotation_start)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if not layer.participants or end <= start:
        return []
    if layer.turn == CUSTOM and not (layer.turn_seconds and layer.turn_seconds > 0):
        raise ValueError("a custom turn needs a positive length in seconds")
    start = max(start, layer.rotation_start.astimezone(UTC))
    if end <= start:
        return []
    anchor = _anchor(layer)
    k = _turn_index(layer, anchor, start)
    spans = []
    cursor = start
    while cursor < end:
        turn_end = _turn_boundary(layer, anchor, k + 1)
        who = layer.participants[k % len(layer.participants)]
        if turn_end > cursor:
            spans.append(Span(cursor, min(turn_end, end), who))
            cursor = turn_end
        k += 1
    return spans


def restriction_windows(
    windows: Sequence[Window], zone_name: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The restriction windows overlapping [start, end), clipped and merged."""
    zone = ZoneInfo(zone_name)
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    found = []
    day = first
    while day <= last:
        for window in windows:
            if day.weekday() not in window.days:
                continue
            opens = local_to_utc(datetime.combine(day, window.start), zone)
            close_day = day if window.end > window.start else day + timedelta(days=1)
            closes = local_to_utc(datetime.combine(close_day, window.end), zone)
            opens, closes = max(opens, start), min(closes, end)
            if opens < closes:
                found.append((opens, closes))
        day += timedelta(days=1)
    return _merge_intervals(found)


def _merge_intervals(intervals: Iterable[tuple[datetime, datetime]]):
    merged: list[tuple[datetime, datetime]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def layer_spans(layer: Layer, start: datetime, end: datetime) -> list[Span]:
    """The layer's coverage inside [start, end): its turns cut to its restriction windows."""
    turns = rotation_spans(layer, start, end)
    if not layer.restrictions or not turns:
        return turns
    windows = restriction_windows(layer.restrictions, layer.time_zone, start, end)
    spans = []
    i = 0
    for turn in turns:
        while i < len(windows) and windows[i][1] <= turn.start:
            i += 1
        j = i
        while j < len(windows) and windows[j][0] < turn.end:
            opens, closes = max(windows[j][0], turn.start), min(windows[j][1], turn.end)
            if opens < closes:
                spans.append(Span(opens, closes, turn.user))
            j += 1
    return spans


# --- the whole schedule ---------------------------------------------------------------------
def final_schedule(
    layers: Sequence[Layer], covers: Sequence[Cover], start: datetime, end: datetime
) -> FinalSchedule:
    """Who is on call across [start, end), as merged spans, and the gaps nobody covers."""
    _require_aware(start, end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    result = FinalSchedule()
    if end <= start:
        return result
    # Each candidate span carries a sortable strength: overrides above layers, then rank.
    candidates: list[tuple[tuple, Span]] = []
    for layer in layers:
        for span in layer_spans(layer, start, end):
            candidates.append(((0, layer.priority), span))
    for cover in covers:
        _require_aware(cover.start, cover.end)
        opens, closes = max(cover.start, start), min(cover.end, end)
        if opens < closes:
            candidates.append(((1, cover.rank), Span(opens, closes, cover.user)))

    points = sorted(
        {start, end, *(s.start for _, s in candidates), *(s.end for _, s in candidates)}
    )
    by_start = sorted(range(len(candidates)), key=lambda i: candidates[i][1].start)
    active: list[tuple] = []  # max-heap by strength, pruned lazily when spans end
    next_candidate = 0
    pieces: list[Span | Gap] = []
    for opens, closes in itertools.pairwise(points):
        while (
            next_candidate < len(by_start)
            and candidates[by_start[next_candidate]][1].start <= opens
        ):
            index = by_start[next_candidate]
            strength, _span = candidates[index]
            heapq.heappush(active, (_negate(strength), index))
            next_candidate += 1
        while active and candidates[active[0][1]][1].end <= opens:
            heapq.heappop(active)
        if active:
            pieces.append(Span(opens, closes, candidates[active[0][1]][1].user))
        else:
            pieces.append(Gap(opens, closes))
    for piece in pieces:
        bucket = result.spans if isinstance(piece, Span) else result.gaps
        last = bucket[-1] if bucket else None
        if last is not None and last.end == piece.start and _same_owner(last, piece):
            bucket[-1] = type(piece)(last.start, piece.end, *_owner(piece))
        else:
            bucket.append(piece)
    return result


def _negate(strength: tuple) -> tuple:
    """Turn a max-ordering into heapq's min-ordering for nested tuples of numbers."""
    return tuple(_negate(part) if isinstance(part, tuple) else -part for part in strength)


def _owner(piece) -> tuple:
    return (piece.user,) if isinstance(piece, Span) else ()


def _same_owner(a, b) -> bool:
    return type(a) is type(b) and _owner(a) == _owner(b)


def on_call_at(layers: Sequence[Layer], covers: Sequence[Cover], at: datetime):
    """The user on call at instant ``at``, or None in a gap."""
    spans = final_schedule(layers, covers, at, at + timedelta(microseconds=1)).spans
    return spans[0].user if spans else None

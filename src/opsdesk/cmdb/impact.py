"""Impact analysis: walk the relationship graph level by level, one query per level.

A breadth-first walk keeps, for every CI it reaches, the relationship it was reached through,
so each result comes with the shortest path that explains it. A visited set makes the walk
cycle-safe, ``max_depth`` bounds it, and the frontier of each level is fetched with a single
query that the two composite indexes on the relationship table answer. The walk itself keeps
only ids and raw rows; names and classes are read once at the end, for the CIs the answer shows.
"""

import json
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction

from opsdesk.cmdb.models import (
    BUSINESS_SERVICE,
    SOURCE_NEEDS_TARGET,
    TARGET_NEEDS_SOURCE,
    CIClass,
    ConfigurationItem,
    Relationship,
    RelationshipType,
)

DEFAULT_MAX_DEPTH = 10
MAX_DEPTH_LIMIT = 50
# Keeps every level's id list a comfortable size for one statement on both backends.
_CHUNK = 5000
_LABELS = dict(RelationshipType.choices)
_NEEDS_TARGET = [str(t) for t in SOURCE_NEEDS_TARGET]
_NEEDS_SOURCE = [str(t) for t in TARGET_NEEDS_SOURCE]
_NEEDS_TARGET_SET = frozenset(_NEEDS_TARGET)


# Tuples rather than dataclasses: a large walk builds thousands of them per request.
class Hop(NamedTuple):
    """One relationship on a path, as stored: ``source`` <type> ``target``."""

    source_id: int
    type: str
    target_id: int

    @property
    def label(self) -> str:
        return _LABELS.get(self.type, self.type)


class CIBrief(NamedTuple):
    id: int
    name: str
    class_key: str
    class_name: str
    criticality: int
    status: str


@dataclass(slots=True)
class Reached:
    """A CI found by a walk, ``depth`` hops away, with the path from the start to it."""

    ci: CIBrief
    depth: int
    path: list[CIBrief]
    hops: list[Hop]
    upwards: bool = True

    @property
    def explanation(self) -> str:
        """The path as sentences, e.g. "Payroll depends on Payroll app; Payroll app runs on vm-12".

        Read from the dependent end, so an impact reads from the service down to the CI.
        """
        names = {c.id: c.name for c in self.path}
        hops = reversed(self.hops) if self.upwards else self.hops
        return "; ".join(f"{names[h.source_id]} {h.label} {names[h.target_id]}" for h in hops)


@dataclass
class Walk:
    start: CIBrief
    max_depth: int
    items: list[Reached] = field(default_factory=list)
    reached_count: int = 0  # every CI reached, whatever its class
    depth_limit_reached: bool = False


def clamp_depth(max_depth) -> int:
    return max(1, min(int(max_depth), MAX_DEPTH_LIMIT))


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for offset in range(0, len(ids), _CHUNK):
        yield ids[offset : offset + _CHUNK]


def _in(column: str, values: list) -> tuple[str, list]:
    """``column IN (...)`` with one parameter, however many values.

    PostgreSQL takes an array literal written here, which psycopg then passes as one plain
    string instead of quoting each element; SQLite a JSON list, which spares it (and Django's
    placeholder rewriting) a statement with thousands of ``?``.
    """
    if connection.vendor == "postgresql":
        if all(isinstance(v, int) for v in values):
            return f"{column} = ANY(%s::bigint[])", ["{" + ",".join(map(str, values)) + "}"]
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(values))]


def _level_edges(frontier: list[int], *, upwards: bool) -> list[tuple[int, str, int]]:
    """The relationships that lead one level further from ``frontier``: one query.

    Plain SQL because building the ORM lookup for a few thousand ids costs more than the
    query itself. Two halves joined by UNION ALL rather than one OR, so that each is an
    index-only scan of one of the two composite indexes; their types never overlap, so no
    row comes twice.
    """
    table = connection.ops.quote_name(Relationship._meta.db_table)
    near_needs, near_part = ("target_id", "source_id") if upwards else ("source_id", "target_id")
    ids_a, params_a = _in(near_needs, frontier)
    ids_b, params_b = _in(near_part, frontier)
    types_a, tparams_a = _in("type", _NEEDS_TARGET)
    types_b, tparams_b = _in("type", _NEEDS_SOURCE)
    sql = (
        f"SELECT source_id, type, target_id FROM {table} WHERE {ids_a} AND {types_a} "
        f"UNION ALL SELECT source_id, type, target_id FROM {table} WHERE {ids_b} AND {types_b}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params_a, *tparams_a, *params_b, *tparams_b])
        return cursor.fetchall()


_PARALLEL = "max_parallel_workers_per_gather"
# Frontiers this large tempt PostgreSQL into a parallel plan; smaller ones never do.
_SERIAL_FROM = 50


class _SerialPlans:
    """Turns PostgreSQL's parallel query off for the rest of a walk once its frontier grows.

    The planner prices a few hundred index probes above the cost of starting workers, yet on a
    busy server starting them takes longer than the probes. The setting is transaction-local,
    so the walk runs in a transaction from then on, and it is put back when the walk ends.
    Small walks (most of them) pay nothing.
    """

    def __init__(self):
        self._stack = ExitStack()
        self._previous = None

    def __enter__(self):
        return self

    def frontier(self, ids: list[int]) -> None:
        if self._previous is not None or len(ids) < _SERIAL_FROM:
            return
        if connection.vendor != "postgresql":
            return
        self._stack.enter_context(transaction.atomic())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting(%s), set_config(%s, '0', true)", [_PARALLEL, _PARALLEL]
            )
            self._previous = cursor.fetchone()[0]

    def __exit__(self, exc_type, exc, tb):
        if self._previous is not None and exc_type is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, true)", [_PARALLEL, self._previous])
        return self._stack.__exit__(exc_type, exc, tb)


def _walk(start_id: int, *, upwards: bool, max_depth: int, plans: _SerialPlans):
    """Breadth-first walk; returns ({ci_id: (depth, row)}, depth_limit_reached).

    ``upwards`` follows impact (who needs this CI); otherwise dependencies (what it needs).
    ``row`` is the (source_id, type, target_id) relationship the CI was reached through.
    """
    found: dict[int, tuple[int, tuple | None]] = {start_id: (0, None)}
    frontier = [start_id]
    depth = 0
    needs_target = _NEEDS_TARGET_SET
    while frontier and depth < max_depth:
        depth += 1
        plans.frontier(frontier)
        rows = []
        for chunk in _chunks(frontier):
            rows.extend(_level_edges(chunk, upwards=upwards))
        # Sorted so that ties between equally short paths are broken the same way every time.
        rows.sort()
        following = []
        for row in rows:
            source_id, rel_type, target_id = row
            if (rel_type in needs_target) != upwards:
                came_from, goes_to = source_id, target_id
            else:
                came_from, goes_to = target_id, source_id
            if goes_to in found or came_from not in found:
                continue
            found[goes_to] = (depth, row)
            following.append(goes_to)
        frontier = following
    return found, bool(frontier) and depth >= max_depth


def _path_ids(found, ci_id: int) -> tuple[list[int], list[Hop]]:
    ids, hops = [ci_id], []
    while True:
        row = found[ids[-1]][1]
        if row is None:
            break
        hops.append(Hop._make(row))
        ids.append(row[0] if row[2] == ids[-1] else row[2])
    ids.reverse()
    hops.reverse()
    return ids, hops


def _briefs(ids: Iterable[int], *, only_class: str | None = None) -> dict[int, CIBrief]:
    ids = list(ids)
    qn = connection.ops.quote_name
    items, classes = qn(ConfigurationItem._meta.db_table), qn(CIClass._meta.db_table)
    briefs = {}
    make = CIBrief._make
    for chunk in _chunks(ids):
        where, params = _in("ci.id", chunk)
        if only_class:
            where += " AND cls.key = %s"
            params.append(only_class)
        sql = (
            f"SELECT ci.id, ci.name, cls.key, cls.name, ci.criticality, ci.status "
            f"FROM {items} ci JOIN {classes} cls ON cls.id = ci.ci_class_id WHERE {where}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for row in cursor.fetchall():
                briefs[row[0]] = make(row)
    return briefs


def walk(ci, *, upwards: bool, max_depth=DEFAULT_MAX_DEPTH, only_class: str | None = None) -> Walk:
    """Every CI reached from ``ci`` (optionally only those of one class), nearest first."""
    start_id = getattr(ci, "pk", ci)
    max_depth = clamp_depth(max_depth)
    with _SerialPlans() as plans:
        found, limited = _walk(start_id, upwards=upwards, max_depth=max_depth, plans=plans)
        found_ids = [i for i in found if i != start_id]
        targets = _briefs(found_ids, only_class=only_class) if found_ids else {}
        paths = {i: _path_ids(found, i) for i in targets}
        needed = {start_id}
        for ids, _ in paths.values():
            needed.update(ids)
        needed.difference_update(targets)
        briefs = {**targets, **_briefs(needed)}
    result = Walk(
        start=briefs[start_id],
        max_depth=max_depth,
        reached_count=len(found) - 1,
        depth_limit_reached=limited,
    )
    result.items = [
        Reached(
            ci=briefs[ci_id],
            depth=found[ci_id][0],
            path=[briefs[i] for i in ids],
            hops=hops,
            upwards=upwards,
        )
        for ci_id, (ids, hops) in paths.items()
    ]
    result.items.sort(key=lambda r: (r.depth, r.ci.criticality, r.ci.name.lower(), r.ci.id))
    return result


def impacted_services(ci, *, max_depth=DEFAULT_MAX_DEPTH) -> Walk:
    return walk(ci, upwards=True, max_depth=max_depth, only_class=BUSINESS_SERVICE)

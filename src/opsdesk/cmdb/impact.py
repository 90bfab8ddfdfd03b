"""Impact analysis: walk the relationship graph level by level, one query per level.

A breadth-first walk keeps, for every CI it reaches, the relationship it was reached through,
so each result comes with the shortest path that explains it. A visited set makes the walk
cycle-safe, ``max_depth`` bounds it, and the frontier of each level is fetched with a single
query that the two composite indexes on the relationship table answer.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection

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
# Keeps every level's IN list well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 5000
_LABELS = dict(RelationshipType.choices)
_NEEDS_TARGET = [str(t) for t in SOURCE_NEEDS_TARGET]
_NEEDS_SOURCE = [str(t) for t in TARGET_NEEDS_SOURCE]


@dataclass(frozen=True)
class Hop:
    """One relationship on a path, as stored: ``source`` <type> ``target``."""

    source_id: int
    type: str
    target_id: int

    @property
    def label(self) -> str:
        return _LABELS.get(self.type, self.type)


@dataclass(frozen=True)
class CIBrief:
    id: int
    name: str
    class_key: str
    class_name: str
    criticality: int
    status: str


@dataclass
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
    """``column IN (...)``; on PostgreSQL one array parameter instead of one per value."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _level_edges(frontier: list[int], *, upwards: bool) -> list[tuple[int, str, int]]:
    """The relationships that lead one level further from ``frontier``: one query.

    Plain SQL because building the ORM lookup for a few thousand ids costs more than the
    query itself; each side of the OR is answered by one of the two composite indexes.
    """
    table = connection.ops.quote_name(Relationship._meta.db_table)
    near_needs, near_part = ("target_id", "source_id") if upwards else ("source_id", "target_id")
    ids_a, params_a = _in(near_needs, frontier)
    ids_b, params_b = _in(near_part, frontier)
    types_a, tparams_a = _in("type", _NEEDS_TARGET)
    types_b, tparams_b = _in("type", _NEEDS_SOURCE)
    sql = (
        f"SELECT source_id, type, target_id FROM {table} "
        f"WHERE ({ids_a} AND {types_a}) OR ({ids_b} AND {types_b})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params_a, *tparams_a, *params_b, *tparams_b])
        return cursor.fetchall()


def _walk(start_id: int, *, upwards: bool, max_depth: int):
    """Breadth-first walk; returns ({ci_id: (depth, Hop)}, depth_limit_reached).

    ``upwards`` follows impact (who needs this CI); otherwise dependencies (what it needs).
    """
    found: dict[int, tuple[int, Hop | None]] = {start_id: (0, None)}
    frontier = [start_id]
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        rows = []
        for chunk in _chunks(frontier):
            rows.extend(_level_edges(chunk, upwards=upwards))
        # Sorted so that ties between equally short paths are broken the same way every time.
        rows.sort()
        following = []
        for source_id, rel_type, target_id in rows:
            source_first = (rel_type in _NEEDS_TARGET) != upwards
            came_from, goes_to = (source_id, target_id) if source_first else (target_id, source_id)
            if goes_to in found or came_from not in found:
                continue
            found[goes_to] = (depth, Hop(source_id, rel_type, target_id))
            following.append(goes_to)
        frontier = following
    return found, bool(frontier) and depth >= max_depth


def _path_ids(found, ci_id: int) -> tuple[list[int], list[Hop]]:
    ids, hops = [ci_id], []
    while True:
        hop = found[ids[-1]][1]
        if hop is None:
            break
        hops.append(hop)
        ids.append(hop.source_id if hop.target_id == ids[-1] else hop.target_id)
    ids.reverse()
    hops.reverse()
    return ids, hops


def _briefs(ids: Iterable[int], *, only_class: str | None = None) -> dict[int, CIBrief]:
    ids = list(ids)
    qn = connection.ops.quote_name
    items, classes = qn(ConfigurationItem._meta.db_table), qn(CIClass._meta.db_table)
    briefs = {}
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
                briefs[row[0]] = CIBrief(*row)
    return briefs


def walk(ci, *, upwards: bool, max_depth=DEFAULT_MAX_DEPTH, only_class: str | None = None) -> Walk:
    """Every CI reached from ``ci`` (optionally only those of one class), nearest first."""
    start_id = getattr(ci, "pk", ci)
    max_depth = clamp_depth(max_depth)
    found, limited = _walk(start_id, upwards=upwards, max_depth=max_depth)
    targets = _briefs((i for i in found if i != start_id), only_class=only_class)
    paths = {i: _path_ids(found, i) for i in targets}
    needed = {start_id} | {i for ids, _ in paths.values() for i in ids}
    briefs = {**targets, **_briefs(needed - set(targets))}
    result = Walk(
        start=briefs[start_id],
        max_depth=max_depth,
        reached_count=len(found) - 1,
        depth_limit_reached=limited,
    )
    for ci_id, (ids, hops) in paths.items():
        result.items.append(
            Reached(
                ci=briefs[ci_id],
                depth=found[ci_id][0],
                path=[briefs[i] for i in ids],
                hops=hops,
                upwards=upwards,
            )
        )
    result.items.sort(key=lambda r: (r.depth, r.ci.criticality, r.ci.name.lower(), r.ci.id))
    return result


def impacted_services(ci, *, max_depth=DEFAULT_MAX_DEPTH) -> Walk:
    return walk(ci, upwards=True, max_depth=max_depth, only_class=BUSINESS_SERVICE)

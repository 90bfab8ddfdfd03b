"""Find recurring failures among incidents: the clustering itself, with no database.

Incidents are compared only inside a block of the same CI, the same service or the same
category, and only through sparse nearest neighbours on their TF-IDF vectors (a radius search
per block), never all pairs. The closer the place, the less the words must agree: two calls
about the same CI need a lower cosine similarity than two calls that only share a category.
Pairs that agree become edges; the connected groups that are large enough and spread over
enough days become trends. A burst of calls within hours is one outage (a major incident),
not a recurring failure, so a trend must span ``min_days`` distinct days.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix, diags
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import normalize


@dataclass(frozen=True)
class TrendSettings:
    window_days: int = 30
    # Cosine similarity two incidents' words need, by what else they share.
    # None: incidents are not compared on that ground.
    same_ci: float | None = 0.25
    same_service: float | None = 0.4
    same_category: float | None = 0.7
    min_incidents: int = 3
    min_days: int = 2
    # Words heard on more than this share of the services (or, for calls naming none, the
    # categories) are generic symptoms that unrelated failures share: they are left out.
    generic_words: float = 0.4
    top_terms: int = 5
    # Telling words (not stop words, not common) a call needs to be compared at all.
    min_terms: int = 2


@dataclass(frozen=True)
class Sighting:
    """One incident as the detector sees it."""

    id: int
    text: str
    opened_at: datetime
    service_id: int | None = None
    ci_id: int | None = None
    category_id: int | None = None


@dataclass
class Trend:
    ids: tuple[int, ...]
    first_seen: datetime
    last_seen: datetime
    service_ids: list[int] = field(default_factory=list)
    ci_ids: list[int] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    top_terms: list[str] = field(default_factory=list)
    # Mean cosine similarity of the incidents to their centre: how alike the calls are.
    cohesion: float = 0.0
    # The incident closest to the centre: its words name the trend best.
    central_id: int | None = None


# Words like "E42", "503" and "6.2" are what a recurring failure is often recognised by.
TOKENS = r"(?u)\b[\w][\w.\-]*\w\b|\b\w\w+\b"


def _vectorise(sightings: list[Sighting], settings: TrendSettings):
    vectoriser = TfidfVectorizer(
        stop_words="english",
        sublinear_tf=True,
        lowercase=True,
        token_pattern=TOKENS,
        min_df=2,
        max_df=0.5,
        dtype=np.float32,
        norm=None,
    )
    try:
        matrix = vectoriser.fit_transform([s.text for s in sightings]).tocsr()
    except ValueError:  # no word occurs twice: nothing can recur
        return None, None
    matrix = _without_generic_words(matrix, sightings, settings)
    return normalize(matrix, copy=False), vectoriser.get_feature_names_out()


def _without_generic_words(matrix, sightings: list[Sighting], settings: TrendSettings):
    """Drop the words heard all over the estate: a failure's own words ("VPN", "E42",
    "payslip") are said where it happens, while generic symptoms ("very slow", "access
    denied") and pleasantries ("please help") come from every service. Counting the places a
    word is heard in, not the incidents it is in, keeps the words of a failure that recurs
    often (they are frequent, but in one place)."""
    places: dict[tuple, int] = {}
    columns = []
    for s in sightings:
        key = ("service", s.service_id) if s.service_id else ("category", s.category_id)
        columns.append(places.setdefault(key, len(places)))
    if len(places) < 4:
        return matrix  # too few places to tell a generic word from a local one
    where = csr_matrix(
        (np.ones(len(columns), dtype=np.float32), (np.arange(len(columns)), columns)),
        shape=(len(columns), len(places)),
    )
    heard = (matrix.T.astype(bool).astype(np.float32) @ where).astype(bool).sum(axis=1)
    spread = np.asarray(heard).ravel() / len(places)
    keep = (spread <= settings.generic_words).astype(np.float32)
    return matrix @ diags(keep)


def _blocks(sightings: list[Sighting], settings: TrendSettings):
    """(threshold, row indices) per CI, service and category with enough incidents."""
    kinds = (
        ("ci_id", settings.same_ci),
        ("service_id", settings.same_service),
        ("category_id", settings.same_category),
    )
    for attribute, threshold in kinds:
        if threshold is None:
            continue
        groups: dict[int, list[int]] = {}
        for row, sighting in enumerate(sightings):
            if attribute == "category_id" and (sighting.service_id or sighting.ci_id):
                continue  # the category is the fallback for calls that name no place
            key = getattr(sighting, attribute)
            if key is not None:
                groups.setdefault(key, []).append(row)
        for rows in groups.values():
            if len(rows) >= settings.min_incidents:
                yield threshold, np.asarray(rows)


def _same_words(block) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each set of rows with exactly the same telling words, and for each
    row the number of its set."""
    keys = [
        block.indices[a:b].tobytes() + block.data[a:b].tobytes()
        for a, b in zip(block.indptr[:-1], block.indptr[1:], strict=True)
    ]
    _, first, kind = np.unique(np.array(keys, dtype=object), return_index=True, return_inverse=True)
    return first, kind.ravel()


def _edges(matrix, sightings, settings):
    sources, targets = [], []
    for threshold, rows in _blocks(sightings, settings):
        block = matrix[rows]
        # A call down to one telling word ("account") is no evidence of a shared failure.
        keep = np.flatnonzero(block.getnnz(axis=1) >= settings.min_terms)
        if len(keep) < settings.min_incidents:
            continue
        block, rows = block[keep], rows[keep]
        # Calls worded alike (the same summary picked from a form, an alert's fixed text) are
        # searched once: each joins the first of its kind, and that one meets the others.
        # Without this, a thousand identical calls would be a million neighbour pairs.
        first, kind = _same_words(block)
        sources.append(rows)
        targets.append(rows[first[kind]])
        search = NearestNeighbors(radius=1.0 - threshold, metric="cosine", algorithm="brute")
        unique = block[first]
        graph = search.fit(unique).radius_neighbors_graph(unique, mode="connectivity").tocoo()
        sources.append(rows[first[graph.row]])
        targets.append(rows[first[graph.col]])
    if not sources:
        return None
    n = len(sightings)
    source, target = np.concatenate(sources), np.concatenate(targets)
    return coo_matrix((np.ones(len(source), dtype=np.int8), (source, target)), shape=(n, n))


def find_trends(sightings: list[Sighting], settings: TrendSettings | None = None) -> list[Trend]:
    """The recurring failures among ``sightings``, largest first."""
    settings = settings or TrendSettings()
    if len(sightings) < settings.min_incidents:
        return []
    matrix, terms = _vectorise(sightings, settings)
    if matrix is None:
        return []
    graph = _edges(matrix, sightings, settings)
    if graph is None:
        return []
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    trends = []
    for label in np.flatnonzero(sizes >= settings.min_incidents):
        rows = np.flatnonzero(labels == label)
        members = [sightings[r] for r in rows]
        if len({s.opened_at.date() for s in members}) < settings.min_days:
            continue
        trends.append(_trend(members, matrix[rows], terms, settings))
    trends.sort(key=lambda t: (-len(t.ids), t.first_seen))
    return trends


def _common(values) -> list[int]:
    return [value for value, _ in Counter(v for v in values if v is not None).most_common()]


def _trend(members: list[Sighting], vectors, terms, settings: TrendSettings) -> Trend:
    weights = np.asarray(vectors.sum(axis=0)).ravel()
    top = [terms[i] for i in np.argsort(-weights)[: settings.top_terms] if weights[i] > 0]
    centre = weights / (np.linalg.norm(weights) or 1.0)
    closeness = np.asarray(vectors @ centre).ravel()
    cohesion = float(closeness.mean())
    return Trend(
        ids=tuple(sorted(s.id for s in members)),
        first_seen=min(s.opened_at for s in members),
        last_seen=max(s.opened_at for s in members),
        service_ids=_common(s.service_id for s in members),
        ci_ids=_common(s.ci_id for s in members),
        category_ids=_common(s.category_id for s in members),
        top_terms=top,
        cohesion=round(cohesion, 3),
        central_id=members[int(np.argmax(closeness))].id,
    )

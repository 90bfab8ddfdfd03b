"""Global search: record types register here; a number jumps straight to its record.

A record type declares its model, number prefix, the fields to search (each with a weight),
what a user may see, and how to show a hit (URL, title, state). Core never imports the apps
that register.

Ranking runs in each database's own full-text engine, over each record type's own table:
PostgreSQL matches a weighted ``tsvector`` (English stemming) with ``websearch_to_tsquery``
and ranks with ``ts_rank``, through a GIN index over that expression; SQLite matches an FTS5
table (porter stemming) kept in step with the record table by triggers and ranks with
``bm25()``. Both are created by ``core.search_index.FullTextIndex`` in a migration of the
registering app. Every word of the query must match, in any order; each record type answers
at most ``MAX_HITS`` of what the viewer may see, and the hits of all types are merged by score.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Model, QuerySet

MAX_QUERY_LENGTH = 200
MAX_TERMS = 8
# Hits per record type, best first; a search this broad needs more words, not more pages.
MAX_HITS = 200
PG_CONFIG = "english"
# bm25 column weights on SQLite for the weights PostgreSQL knows as A-D.
BM25_WEIGHTS = {"A": 10.0, "B": 5.0, "C": 1.0, "D": 0.5}
# PostgreSQL's English configuration ignores these; SQLite drops them here so that both
# databases ask for the same words (any word left must match).
_STOP_WORDS = """
a about an and are as at be but by can do for from has have how i in is it its my no not of on
or our so that the their there this to was we what when where which who why will with you your
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
NUMBER = re.compile(r"^\s*([a-z]{2,5})0*(\d{1,12})\s*$", re.IGNORECASE)


def _state_label(record: Model) -> str:
    display = getattr(record, "get_state_display", None)
    return display() if display else ""


@dataclass(frozen=True)
class RecordType:
    key: str
    label: str  # what people read: "Incident", "Knowledge article"
    model: type[Model]
    prefix: str  # of its numbers, "INC"; empty for records without numbers
    fields: dict[str, str]  # field -> weight "A" (highest) to "D", as its FullTextIndex has them
    visible: Callable[..., QuerySet]  # visible(viewer) -> queryset of what viewer may see
    url: Callable[[Model, object], str]  # url(record, viewer)
    title: Callable[[Model], str]
    state_label: Callable[[Model], str] = _state_label
    # The SQLite FTS5 table; by default the one FullTextIndex names after the record table.
    fts_table: str = ""

    @property
    def fts(self) -> str:
        return self.fts_table or f"{self.model._meta.db_table}_fts"


@dataclass
class Hit:
    record_type: RecordType
    pk: int
    score: float
    record: Model | None = field(default=None, repr=False)

    @property
    def number(self) -> str:
        return getattr(self.record, "number", "") or ""

    @property
    def title(self) -> str:
        return self.record_type.title(self.record)

    @property
    def state_label(self) -> str:
        return self.record_type.state_label(self.record)


_REGISTRY: dict[str, RecordType] = {}


def register(record_type: RecordType) -> None:
    _REGISTRY[record_type.key] = record_type


def record_types() -> list[RecordType]:
    return list(_REGISTRY.values())


def record_type(key: str) -> RecordType:
    return _REGISTRY[key]


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
        if not record_type.prefix or record_type.prefix != prefix:
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


def search_terms(text: str) -> list[str]:
    # Letters and digits only: the words go into tsquery / MATCH syntax, so no operators.
    words = re.findall(r"[^\W_]+", (text or "").lower())
    return [w for w in dict.fromkeys(words) if len(w) > 1 and w not in STOP_WORDS][:MAX_TERMS]


def search(text: str, *, viewer) -> list[Hit]:
    """What ``viewer`` may see that matches every word of ``text``, best first, in any state.

    Hits carry no record yet: ``load`` fetches them for the page being shown."""
    terms = search_terms(text)
    if not terms:
        return []
    hits = []
    for record_type in _REGISTRY.values():
        qs = record_type.visible(viewer).order_by()
        for pk, score in _ranked(record_type, qs, terms):
            hits.append(Hit(record_type, pk, float(score)))
    # Newest first among equals, so the order is stable from page to page.
    hits.sort(key=lambda hit: (-hit.score, -hit.pk))
    return hits


def load(hits: list[Hit], *, viewer) -> list[Hit]:
    """``hits`` with their records, through each type's own visibility filter again."""
    by_type: dict[str, list[Hit]] = {}
    for hit in hits:
        by_type.setdefault(hit.record_type.key, []).append(hit)
    for group in by_type.values():
        rt = group[0].record_type
        records = rt.visible(viewer).in_bulk([hit.pk for hit in group])
        for hit in group:
            hit.record = records.get(hit.pk)
    return [hit for hit in hits if hit.record is not None]


def ranked(key: str, qs: QuerySet, text: str, *, any_word: bool = False):
    """(pk, score) of the rows of ``qs`` (a registered type's) matching ``text``, best first.

    ``any_word`` ranks rows matching any of the words, not only all of them: what a caller
    types ("my payslip will not open") rarely has every word of the record it means."""
    terms = search_terms(text)
    if not terms:
        return []
    return _ranked(_REGISTRY[key], qs.order_by(), terms, any_word=any_word)


def _ranked(
    record_type: RecordType, qs: QuerySet, terms: list[str], *, any_word: bool = False
) -> list[tuple[int, float]]:
    if connection.vendor == "postgresql":
        return _postgres(record_type, qs, terms, any_word=any_word)
    if connection.vendor == "sqlite":
        return _sqlite(record_type, qs, terms, any_word=any_word)
    raise NotImplementedError(f"Search needs SQLite or PostgreSQL, not {connection.vendor}.")


def search_vector(fields: dict[str, str]):
    """The weighted vector PostgreSQL searches; FullTextIndex indexes exactly this."""
    from django.contrib.postgres.search import SearchVector

    vectors = [SearchVector(name, weight=w, config=PG_CONFIG) for name, w in fields.items()]
    vector = vectors[0]
    for more in vectors[1:]:
        vector = vector + more
    return vector


def _postgres(record_type, qs, terms, *, any_word=False):
    from django.contrib.postgres.search import SearchQuery, SearchRank

    vector = search_vector(record_type.fields)
    words = " or ".join(terms) if any_word else " ".join(terms)
    query = SearchQuery(words, search_type="websearch", config=PG_CONFIG)
    return list(
        qs.annotate(search_document=vector)
        .filter(search_document=query)
        .annotate(search_rank=SearchRank(vector, query))
        .order_by("-search_rank", "-pk")
        .values_list("pk", "search_rank")[:MAX_HITS]
    )


def _sqlite(record_type, qs, terms, *, any_word=False):
    fts = record_type.fts
    weights = ", ".join(str(BM25_WEIGHTS[w]) for w in record_type.fields.values())
    # Implicit AND of quoted words: the porter tokenizer stems each, FTS5 matches any order.
    match = (" OR " if any_word else " ").join(f'"{term}"' for term in terms)
    # The visibility filter runs inside the full-text query, so a viewer who may see only a
    # few of many matches still gets theirs, not whatever survives a first cut. ``+rowid``
    # keeps SQLite from handing the IN list to FTS5 as rowid lookups, which runs the MATCH
    # once per visible row (seconds over 10,000 rows) instead of once, checking the list after.
    try:
        visible_sql, visible_params = qs.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return []  # the viewer may see none of this type (its ``visible`` is ``none()``)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, -bm25({fts}, {weights}) FROM {fts} "
            f"WHERE {fts} MATCH %s AND +rowid IN ({visible_sql}) "
            f"ORDER BY 2 DESC, rowid DESC LIMIT {MAX_HITS}",
            [match, *visible_params],
        )
        return cursor.fetchall()

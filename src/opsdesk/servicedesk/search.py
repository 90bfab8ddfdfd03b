"""Knowledge search with ranking, in each database's own full-text engine.

PostgreSQL: a weighted ``tsvector`` (title A, keywords B, body C, English stemming) ranked
with ``ts_rank``, matched through the GIN index of migration 0005, which holds exactly this
expression: change the vector and that index needs replacing. SQLite: the FTS5 table
``servicedesk_kb_fts`` (created by migration 0004, kept in step with the article table by
triggers there) ranked with ``bm25()``. Words are matched as prefixes and any word may
match, so suggestions appear while someone is typing.
Other databases fall back to a portable ``icontains`` score.
"""

import re

from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When

STOP_WORDS = frozenset(
    ["a", "an", "and", "are", "can", "i", "is", "it", "my", "not", "of", "on", "the", "to"]
)
MAX_TERMS = 8
# bm25 ranks; anything past this is never shown.
MAX_HITS = 200
FTS_TABLE = "servicedesk_kb_fts"
# bm25 column weights in FTS5 column order: title, keywords, body.
FTS_WEIGHTS = (10.0, 5.0, 1.0)
PG_CONFIG = "english"


def search_terms(text: str) -> list[str]:
    # Letters and digits only: the words go into tsquery / MATCH syntax, so no operators.
    words = re.findall(r"[^\W_]+", (text or "").lower())
    return [w for w in dict.fromkeys(words) if len(w) > 1 and w not in STOP_WORDS][:MAX_TERMS]


def ranked(qs: QuerySet, terms: list[str]) -> QuerySet:
    """``qs`` narrowed to articles matching any term, best first, with a ``score``."""
    if not terms:
        return qs.none()
    if connection.vendor == "postgresql":
        return _postgres(qs, terms)
    if connection.vendor == "sqlite":
        return _sqlite(qs, terms)
    return _portable(qs, terms)


def _postgres(qs, terms):
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = (
        SearchVector("title", weight="A", config=PG_CONFIG)
        + SearchVector("keywords", weight="B", config=PG_CONFIG)
        + SearchVector("body", weight="C", config=PG_CONFIG)
    )
    query = SearchQuery(" | ".join(f"{t}:*" for t in terms), search_type="raw", config=PG_CONFIG)
    return (
        qs.annotate(fts=vector)
        .filter(fts=query)
        .annotate(score=SearchRank(vector, query))
        .order_by("-score", "-helpful_yes", "title")
    )


def _sqlite(qs, terms):
    match = " OR ".join(f'"{t}"*' for t in terms)
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s ORDER BY 2 LIMIT {MAX_HITS}",
            [match],
        )
        hits = cursor.fetchall()
    if not hits:
        return qs.none()
    # bm25 is lower for better matches; negate it so every backend sorts by -score.
    score = Case(
        *(When(pk=pk, then=Value(-rank)) for pk, rank in hits),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return (
        qs.filter(pk__in=[pk for pk, _ in hits])
        .annotate(score=score)
        .order_by("-score", "-helpful_yes", "title")
    )


def _portable(qs, terms):
    match, score = Q(), Value(0)
    for term in terms:
        fields = ((Q(title__icontains=term), 3), (Q(keywords__icontains=term), 2))
        fields += ((Q(body__icontains=term), 1),)
        for condition, weight in fields:
            match |= condition
            score = score + Case(When(condition, then=Value(weight)), default=Value(0))
    return qs.filter(match).annotate(score=score).order_by("-score", F("helpful_yes").desc())

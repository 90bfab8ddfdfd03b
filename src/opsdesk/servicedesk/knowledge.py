"""Knowledge base: write, publish and retire articles, search them, count what they achieve.

Search is deliberately portable: each word is matched with icontains in the title, keywords
and body, and articles rank by how many words hit where (a title hit counts most). It gives
the same answers on SQLite and PostgreSQL.
"""

import re

from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, TransitionRefused
from opsdesk.core.numbering import number_next
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import is_agent
from opsdesk.servicedesk.models import (
    ArticleRevision,
    ArticleState,
    ArticleVote,
    Audience,
    Deflection,
    KnowledgeArticle,
)

STOP_WORDS = frozenset(
    ["a", "an", "and", "are", "can", "i", "is", "it", "my", "not", "of", "on", "the", "to"]
)
MAX_TERMS = 8


def _require_agent(actor) -> None:
    if actor is not None and not is_agent(actor):
        raise NotPermitted("Only service-desk staff may write knowledge articles.")


def article_list(*, viewer) -> QuerySet[KnowledgeArticle]:
    """Agents see every article; everyone else published articles meant for them."""
    qs = KnowledgeArticle.objects.select_related("service", "author")
    if is_agent(viewer):
        return qs
    if not getattr(viewer, "is_authenticated", False):
        return qs.none()
    return qs.filter(state=ArticleState.PUBLISHED, audience=Audience.PUBLIC)


def search_terms(text: str) -> list[str]:
    words = re.findall(r"\w+", (text or "").lower())
    return [w for w in dict.fromkeys(words) if len(w) > 1 and w not in STOP_WORDS][:MAX_TERMS]


def article_search(*, viewer, text: str, published_only: bool = True) -> QuerySet:
    terms = search_terms(text)
    qs = article_list(viewer=viewer)
    if published_only:
        qs = qs.filter(state=ArticleState.PUBLISHED)
    if not terms:
        return qs.none()
    match = Q()
    score = Value(0)
    for term in terms:
        in_title, in_keywords, in_body = (
            Q(title__icontains=term),
            Q(keywords__icontains=term),
            Q(body__icontains=term),
        )
        match |= in_title | in_keywords | in_body
        for condition, weight in ((in_title, 3), (in_keywords, 2), (in_body, 1)):
            score = score + Case(When(condition, then=Value(weight)), default=Value(0))
    return (
        qs.filter(match)
        .annotate(score=score)
        .order_by("-score", "-helpful_yes", "title")
        .distinct()
    )


def _revision(article: KnowledgeArticle, actor) -> None:
    ArticleRevision.objects.create(
        article=article,
        version=article.version,
        title=article.title,
        body=article.body,
        edited_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


@transaction.atomic
def article_create(*, actor, title: str, body: str, **fields) -> KnowledgeArticle:
    _require_agent(actor)
    values = {"title": title, "body": body, "author": actor, **fields}
    values["number"] = number_next(prefix=KnowledgeArticle.NUMBER_PREFIX)
    if values.get("state") == ArticleState.PUBLISHED:
        values["published_at"] = timezone.now()
    article = record_create(KnowledgeArticle, values=values, actor=actor, action="article.created")
    _revision(article, actor)
    return article


@transaction.atomic
def article_update(*, actor, article, expected_version=None, **fields) -> KnowledgeArticle:
    _require_agent(actor)
    fields.pop("number", None)
    if fields.get("state") == ArticleState.PUBLISHED and article.published_at is None:
        fields["published_at"] = timezone.now()
    before = article.version
    updated = record_update(
        article,
        values=fields,
        actor=actor,
        expected_version=expected_version,
        action="article.updated",
    )
    if updated.version != before:
        _revision(updated, actor)
    return updated


def article_publish(*, actor, article) -> KnowledgeArticle:
    if article.state == ArticleState.PUBLISHED:
        raise TransitionRefused("This article is already published.")
    return article_update(actor=actor, article=article, state=ArticleState.PUBLISHED)


def article_retire(*, actor, article) -> KnowledgeArticle:
    return article_update(actor=actor, article=article, state=ArticleState.RETIRED)


def article_viewed(*, article) -> None:
    # A counter, not a record change: no version bump, no audit entry per read.
    KnowledgeArticle.objects.filter(pk=article.pk).update(views=F("views") + 1)


@transaction.atomic
def article_vote(*, actor, article, helpful: bool) -> KnowledgeArticle:
    """One vote per person; voting again changes the vote."""
    vote, created = ArticleVote.objects.get_or_create(
        article=article, user=actor, defaults={"helpful": helpful}
    )
    if not created and vote.helpful != helpful:
        vote.helpful = helpful
        vote.save(update_fields=["helpful"])
    counts = ArticleVote.objects.filter(article=article)
    KnowledgeArticle.objects.filter(pk=article.pk).update(
        helpful_yes=counts.filter(helpful=True).count(),
        helpful_no=counts.filter(helpful=False).count(),
    )
    article.refresh_from_db()
    return article


def article_deflected(*, actor, article) -> Deflection:
    """The requester read this from the report form and needs no ticket after all."""
    return Deflection.objects.create(
        article=article, user=actor if getattr(actor, "is_authenticated", False) else None
    )

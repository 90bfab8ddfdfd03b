"""Knowledge base: write articles and take them through review, search them, link them to
the incidents they resolved, and count what they achieve.

Ranking search lives in ``search.py``; the lifecycle is data in ``workflow.py``.
"""

from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from opsdesk.core.attachments import attachment_store
from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.numbering import number_next
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import is_agent
from opsdesk.servicedesk import search
from opsdesk.servicedesk.models import (
    ArticleCategory,
    ArticleKind,
    ArticleRevision,
    ArticleState,
    ArticleVote,
    Audience,
    Deflection,
    KnowledgeArticle,
)
from opsdesk.servicedesk.workflow import ARTICLE_WORKFLOW

search_terms = search.search_terms


def _require_agent(actor) -> None:
    if actor is not None and not is_agent(actor):
        raise NotPermitted("Only service-desk staff may write knowledge articles.")


def article_list(*, viewer) -> QuerySet[KnowledgeArticle]:
    """Agents see every article; everyone else published articles meant for them."""
    qs = KnowledgeArticle.objects.select_related("service", "author", "category").annotate(
        incident_count=Count("incident_links", distinct=True)
    )
    if is_agent(viewer):
        return qs
    if not getattr(viewer, "is_authenticated", False):
        return qs.none()
    return qs.filter(state=ArticleState.PUBLISHED, audience=Audience.PUBLIC)


def article_search(*, viewer, text: str, published_only: bool = True) -> QuerySet:
    """Articles the viewer may read that match ``text``, best first (``score``)."""
    qs = article_list(viewer=viewer)
    if published_only:
        qs = qs.filter(state=ArticleState.PUBLISHED)
    return search.ranked(qs, search.search_terms(text))


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
    """A new article is a draft; it reaches readers through review (``article_transition``)."""
    _require_agent(actor)
    if fields.pop("state", ArticleState.DRAFT) != ArticleState.DRAFT:
        raise ValidationFailed(
            "New articles start as drafts.",
            fields={"state": ["New articles start as drafts; send them for review."]},
        )
    values = {"title": title, "body": body, "author": actor, **fields}
    values["number"] = number_next(prefix=KnowledgeArticle.NUMBER_PREFIX)
    article = record_create(KnowledgeArticle, values=values, actor=actor, action="article.created")
    _revision(article, actor)
    return article


@transaction.atomic
def article_update(*, actor, article, expected_version=None, **fields) -> KnowledgeArticle:
    """Change what an article says; its state changes only through ``article_transition``."""
    _require_agent(actor)
    fields.pop("number", None)
    if "state" in fields and fields.pop("state") != article.state:
        raise ValidationFailed(
            "Use the review actions to change an article's state.",
            fields={"state": ["Use the review actions to change an article's state."]},
        )
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


@transaction.atomic
def article_transition(*, actor, article, action: str, expected_version=None) -> KnowledgeArticle:
    """Move an article along its lifecycle (submit, rework, publish, retire)."""
    _require_agent(actor)
    move = ARTICLE_WORKFLOW.check(article, action, actor=actor)
    values = {"state": move.target}
    if move.target == ArticleState.PUBLISHED and article.published_at is None:
        values["published_at"] = timezone.now()
    updated = record_update(
        article,
        values=values,
        actor=actor,
        expected_version=expected_version,
        action=f"article.{action}",
    )
    outbox_publish(
        topic=f"servicedesk.article_{move.target}",
        payload={"article_id": updated.pk, "number": updated.number, "state": updated.state},
    )
    return updated


def article_publish(*, actor, article) -> KnowledgeArticle:
    return article_transition(actor=actor, article=article, action="publish")


def article_retire(*, actor, article) -> KnowledgeArticle:
    return article_transition(actor=actor, article=article, action="retire")


@transaction.atomic
def article_attach(*, actor, article, upload):
    """Attach a file; who may fetch it follows the article (``is_visible_to``)."""
    _require_agent(actor)
    stored = attachment_store(record=article, upload=upload, uploaded_by=actor)
    audit_record(
        action="article.attached",
        obj=article,
        changes={"attachment": [None, stored.original_name]},
        actor=actor,
    )
    return stored


@transaction.atomic
def category_create(*, actor, name: str, parent=None, description: str = ""):
    _require_agent(actor)
    values = {"name": name, "parent": parent, "description": description}
    return record_create(ArticleCategory, values=values, actor=actor, action="category.created")


@transaction.atomic
def category_update(*, actor, category, expected_version=None, **fields):
    _require_agent(actor)
    return record_update(
        category,
        values=fields,
        actor=actor,
        expected_version=expected_version,
        action="category.updated",
    )


def category_tree() -> list[tuple[int, ArticleCategory]]:
    """Every category with its depth, each parent followed by its children."""
    children: dict[int | None, list[ArticleCategory]] = {}
    for category in ArticleCategory.objects.order_by("name"):
        children.setdefault(category.parent_id, []).append(category)
    rows: list[tuple[int, ArticleCategory]] = []

    def walk(parent_id, depth):
        for category in children.get(parent_id, []):
            rows.append((depth, category))
            walk(category.pk, depth + 1)

    walk(None, 0)
    return rows


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


# --- known errors, as problem management publishes them ---------------------------------------
def _known_error_body(fact: dict) -> str:
    parts = [
        ("Symptoms", fact.get("symptoms")),
        ("Cause", fact.get("root_cause")),
        ("Workaround", fact.get("workaround")),
        ("Permanent fix", fact.get("permanent_fix")),
    ]
    body = "\n\n".join(f"## {title}\n\n{text.strip()}" for title, text in parts if text)
    return f"{body}\n\nKnown error of problem {fact['number']}."


def known_error_article_publish(*, actor, fact: dict) -> KnowledgeArticle:
    """Write the known-error article of the problem the fact names, or bring it up to date:
    one article per problem, published at once (the problem manager reviewed what it says),
    for everyone when the workaround is safe for requesters, else for agents only."""
    _require_agent(actor)
    values = {
        "title": f"Known error: {fact['title']}"[:200],
        "body": _known_error_body(fact),
        "audience": Audience.PUBLIC if fact.get("workaround_public") else Audience.INTERNAL,
        "service_id": (fact.get("service_ids") or [None])[0],
        "keywords": fact["number"],
    }
    article = KnowledgeArticle.objects.filter(problem_id=fact["problem_id"]).first()
    now = timezone.now()
    if article is None:
        values.update(
            number=number_next(prefix=KnowledgeArticle.NUMBER_PREFIX),
            kind=ArticleKind.KNOWN_ERROR,
            problem_id=fact["problem_id"],
            state=ArticleState.PUBLISHED,
            published_at=now,
            author=actor,
        )
        article = record_create(
            KnowledgeArticle, values=values, actor=actor, action="article.known_error_published"
        )
        _revision(article, actor)
    else:
        if article.state != ArticleState.PUBLISHED:
            # Published again: a retired or reworked copy is the known error's article again.
            values["state"] = ArticleState.PUBLISHED
        before = article.version
        article = record_update(
            article, values=values, actor=actor, action="article.known_error_published"
        )
        if article.version != before:
            _revision(article, actor)
    outbox_publish(
        topic="servicedesk.article_published",
        payload={"article_id": article.pk, "number": article.number, "state": article.state},
    )
    return article


def known_error_article_for(*, viewer, problem) -> KnowledgeArticle | None:
    """The known-error article published from ``problem``, as the viewer may read it."""
    return article_list(viewer=viewer).filter(problem=problem).first()

"""Incidents resolved with a knowledge article: linked by agents, counted per article.

The count feeds first-contact resolution: an incident the desk closed with an article.
Resolving with an article lives here rather than in ``incidents``: the incident domain sits
below the service desk and knows nothing of knowledge articles.
"""

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from opsdesk.core.audit import audit_record
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import record_delete
from opsdesk.core.roles import is_agent
from opsdesk.incidents.selectors import incident_list
from opsdesk.incidents.services import incident_transition
from opsdesk.servicedesk import knowledge
from opsdesk.servicedesk.models import ArticleIncidentLink, ArticleState, KnowledgeArticle


def links_for_incident(*, viewer, incident) -> QuerySet[ArticleIncidentLink]:
    if not is_agent(viewer):
        return ArticleIncidentLink.objects.none()
    return ArticleIncidentLink.objects.filter(incident=incident).select_related(
        "article", "linked_by"
    )


def articles_resolved_with(*, viewer, incident) -> QuerySet[KnowledgeArticle]:
    """The articles an incident was resolved with, as the viewer may read them.

    Agents see every linked article, whatever its state; anyone else (the caller on the
    portal) only the published articles meant for them, so a retired or internal article
    is neither linked nor named.
    """
    linked = knowledge.article_list(viewer=viewer).filter(incident_links__incident=incident)
    return linked.order_by("number")


def link_list(*, viewer) -> QuerySet[ArticleIncidentLink]:
    """Links on incidents the viewer may see; agents only."""
    if not is_agent(viewer):
        return ArticleIncidentLink.objects.none()
    visible = incident_list(viewer=viewer).values("pk")
    return ArticleIncidentLink.objects.filter(incident__in=visible).select_related(
        "article", "incident", "linked_by"
    )


def _check(actor, article, incident) -> None:
    if not is_agent(actor):
        raise NotPermitted("Only service-desk staff may link articles to incidents.")
    if not incident_list(viewer=actor).filter(pk=incident.pk).exists():
        raise NotPermitted("You cannot see this incident.")


@transaction.atomic
def article_link(*, actor, article, incident) -> ArticleIncidentLink:
    """Record that ``incident`` was resolved with ``article`` (once per pair)."""
    _check(actor, article, incident)
    if article.state != ArticleState.PUBLISHED:
        raise ValidationFailed(
            "Only published articles can be linked.",
            fields={"article": ["Only published articles can be linked."]},
        )
    try:
        with transaction.atomic():
            link = ArticleIncidentLink.objects.create(
                article=article, incident=incident, linked_by=actor
            )
    except IntegrityError:
        raise ValidationFailed(
            "This article is already linked to the incident.",
            fields={"article": ["This article is already linked to the incident."]},
        ) from None
    audit_record(
        action="article.linked",
        obj=incident,
        changes={"resolved_with": [None, article.number]},
        actor=actor,
    )
    outbox_publish(
        topic="servicedesk.article_linked",
        payload={
            "article_id": article.pk,
            "number": article.number,
            "incident_id": incident.pk,
            "incident_number": incident.number,
        },
    )
    return link


@transaction.atomic
def incident_resolve_with_article(
    *,
    actor,
    incident,
    resolution_code,
    resolution_notes: str,
    article=None,
    expected_version=None,
):
    """Resolve ``incident`` and link the ``article`` that solved it, both or neither.

    Without an article this is the incident's own resolve. A refused link (not published,
    already linked) undoes the resolution with it.
    """
    resolved = incident_transition(
        actor=actor,
        incident=incident,
        action="resolve",
        expected_version=expected_version,
        resolution_code=resolution_code,
        resolution_notes=resolution_notes,
    )
    if article is not None:
        article_link(actor=actor, article=article, incident=resolved)
    return resolved


@transaction.atomic
def article_unlink(*, actor, link) -> None:
    _check(actor, link.article, link.incident)
    # Unlinking changes the incident (what resolved it), so the entry is filed under it.
    record_delete(
        link,
        actor=actor,
        action="article.unlinked",
        changes={"resolved_with": [link.article.number, None]},
        filed_under=link.incident,
    )

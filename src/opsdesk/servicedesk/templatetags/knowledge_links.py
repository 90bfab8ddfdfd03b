"""``{% articles_resolved_with incident as articles %}``: the knowledge articles an incident
was resolved with, as the signed-in viewer may read them (see ``links.articles_resolved_with``).

The incident page includes ``servicedesk/_resolved_with.html``, which uses it, so the incident
templates need not know how the service desk links articles.
"""

from django import template

from opsdesk.servicedesk.knowledge import known_error_article_for
from opsdesk.servicedesk.links import articles_resolved_with

register = template.Library()


@register.simple_tag(takes_context=True, name="articles_resolved_with")
def articles_resolved_with_tag(context, incident):
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if viewer is None or incident is None:
        return []
    return list(articles_resolved_with(viewer=viewer, incident=incident))


@register.simple_tag(takes_context=True, name="known_error_article")
def known_error_article_tag(context, problem):
    """``{% known_error_article problem as article %}``: the article published from it."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if viewer is None or problem is None:
        return None
    return known_error_article_for(viewer=viewer, problem=problem)

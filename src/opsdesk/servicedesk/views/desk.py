"""Agent pages around the incident: my work across record types, and the articles an
incident was resolved with (the include on the incident page)."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError
from opsdesk.core.views.generic import agent_required
from opsdesk.incidents.selectors import incident_list
from opsdesk.servicedesk import knowledge, links
from opsdesk.servicedesk.forms import ArticleLinkForm
from opsdesk.servicedesk.models import ArticleIncidentLink
from opsdesk.servicedesk.my_work import SCOPES, my_work

SUGGESTIONS = 5


@agent_required
def my_work_page(request):
    scope = request.GET.get("scope", "all")
    now = timezone.now()
    items = my_work(viewer=request.user, scope=scope, now=now)
    context = {"items": items, "scope": scope, "scopes": SCOPES, "now": now}
    return render(request, "servicedesk/agent/my_work.html", context)


def _incident(request, pk):
    incident = incident_list(viewer=request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404
    return incident


def _links_body(request, incident, notes=()):
    suggested = knowledge.article_search(viewer=request.user, text=incident.short_description)
    context = {
        "incident": incident,
        "links": links.links_for_incident(viewer=request.user, incident=incident),
        "suggested": suggested[:SUGGESTIONS],
        "link_messages": notes,
    }
    return render(request, "servicedesk/_article_links_body.html", context)


def _answer(request, incident, level, text):
    """htmx gets the refreshed panel with the message; a plain post goes back to the page."""
    if request.headers.get("HX-Request"):
        return _links_body(request, incident, notes=[Note(level, text)])
    getattr(messages, level)(request, text)
    return redirect("incidents:detail", pk=incident.pk)


@dataclass(frozen=True)
class Note:
    """A message for the panel itself; the page's flash messages would show only on reload."""

    level_tag: str
    text: str

    def __str__(self):
        return self.text


@agent_required
def incident_articles(request, incident_pk):
    """htmx: linked articles and suggestions from the incident's own words."""
    return _links_body(request, _incident(request, incident_pk))


@agent_required
@require_POST
def incident_article_link(request, incident_pk):
    incident = _incident(request, incident_pk)
    form = ArticleLinkForm(request.POST)
    if not form.is_valid():
        return _answer(request, incident, "error", "Give the number of a published article.")
    number = form.cleaned_data["article"].strip().upper()
    article = knowledge.article_list(viewer=request.user).filter(number=number).first()
    if article is None:
        return _answer(request, incident, "error", f"There is no article {number}.")
    try:
        links.article_link(actor=request.user, article=article, incident=incident)
    except DomainError as refusal:
        return _answer(request, incident, "error", refusal.message)
    return _answer(request, incident, "success", f"Linked to {article.number}.")


@agent_required
@require_POST
def incident_article_unlink(request, incident_pk, link_pk):
    incident = _incident(request, incident_pk)
    link = get_object_or_404(ArticleIncidentLink, pk=link_pk, incident=incident)
    try:
        links.article_unlink(actor=request.user, link=link)
    except DomainError as refusal:
        return _answer(request, incident, "error", refusal.message)
    return _answer(request, incident, "success", f"{link.article.number} is no longer linked.")

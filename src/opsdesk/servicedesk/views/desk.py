"""Agent pages around the incident: my work across record types, the articles an incident
was resolved with (the include on the incident page), and the incident page's resolve form,
which can name the article that solved it."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from opsdesk.core.errors import DomainError, NotPermitted
from opsdesk.core.views.generic import agent_required
from opsdesk.incidents.forms import ResolveForm
from opsdesk.incidents.selectors import incident_list
from opsdesk.incidents.views import record_response
from opsdesk.servicedesk import knowledge, links
from opsdesk.servicedesk.forms import ArticleLinkForm, ResolveArticleForm
from opsdesk.servicedesk.models import ArticleIncidentLink, ArticleState
from opsdesk.servicedesk.my_work import SCOPES, my_work

SUGGESTIONS = 5
ARTICLE_OPTIONS = 10


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


@agent_required
@require_POST
def incident_resolve(request, incident_pk):
    """The incident page's resolve form: the resolution, and optionally the article that
    solved it, written in one transaction. A refusal comes back on the form as filled."""
    incident = _incident(request, incident_pk)
    resolve = ResolveForm(request.POST)
    extra = ResolveArticleForm(request.POST, viewer=request.user)
    valid = resolve.is_valid() & extra.is_valid()  # both, so every field shows its message
    if valid:
        try:
            links.incident_resolve_with_article(
                actor=request.user,
                incident=incident,
                article=extra.cleaned_data["article"],
                expected_version=extra.cleaned_data["version"],
                **resolve.cleaned_data,
            )
        except DomainError as refusal:
            _refusal_on_forms(refusal, resolve, extra)
            valid = False
    if valid:
        article = extra.cleaned_data["article"]
        notice = f"Resolved with {article.number}." if article else "Resolved."
        return record_response(request, incident.pk, notice=notice)
    return record_response(
        request,
        incident.pk,
        error=_summary(resolve, extra),
        resolve_form=resolve,
        article_form=extra,
        resolve_open=True,
    )


def _refusal_on_forms(refusal: DomainError, *forms) -> None:
    """The service's field messages on the form that shows the field; the rest on top."""
    if isinstance(refusal, NotPermitted):
        raise PermissionDenied(refusal.message)
    unplaced = not refusal.fields
    for name, texts in refusal.fields.items():
        shown = [f for f in forms if name in f.fields and not f.fields[name].widget.is_hidden]
        if shown:
            shown[0].add_error(name, texts)
        else:
            unplaced = True
    if unplaced:
        forms[0].add_error(None, refusal.message)


def _summary(*forms) -> str:
    """One line for the top of the panel, read out as an alert: what stopped the resolve."""
    parts = ["The incident is not resolved."]
    for form in forms:
        parts += form.non_field_errors()
        for name, texts in form.errors.items():
            if name != "__all__":
                parts.append(f"{form[name].label}: {' '.join(texts)}")
    return " ".join(parts)


@agent_required
def incident_article_options(request, incident_pk):
    """htmx: published articles for the resolve form's list, matching what is typed so far
    (a number or words), or the incident's own words before anything is typed."""
    incident = _incident(request, incident_pk)
    typed = request.GET.get("article", "").strip()[:200]
    published = knowledge.article_list(viewer=request.user).filter(state=ArticleState.PUBLISHED)
    if typed.upper().startswith("KB"):
        articles = published.filter(number__startswith=typed.upper()).order_by("number")
    else:
        articles = knowledge.article_search(
            viewer=request.user, text=typed or incident.short_description
        )
    context = {"articles": articles[:ARTICLE_OPTIONS]}
    return render(request, "servicedesk/_resolve_article_options.html", context)

"""Resolving an incident with the knowledge article that solved it, from the incident page."""

import pytest
from django.urls import reverse

from opsdesk.core.errors import ValidationFailed
from opsdesk.core.models import AuditEntry, OutboxEvent
from opsdesk.core.testing.views import browser_for
from opsdesk.incidents.models import Incident, State
from opsdesk.incidents.testing import IncidentFactory, resolution_code
from opsdesk.servicedesk import knowledge, links
from opsdesk.servicedesk.models import ArticleIncidentLink
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "record"}


def resolve_url(incident):
    return reverse("servicedesk:incident-resolve", args=[incident.pk])


def form(incident, article="", **extra):
    return {
        "resolution_code": resolution_code().pk,
        "resolution_notes": "Cleared the paper path.",
        "article": article,
        "version": incident.version,
        **extra,
    }


def incident_count(viewer, article) -> int:
    return knowledge.article_list(viewer=viewer).get(pk=article.pk).incident_count


def nothing_written(incident) -> bool:
    incident.refresh_from_db()
    return (
        incident.state == State.NEW
        and incident.resolved_at is None
        and not ArticleIncidentLink.objects.exists()
        and not AuditEntry.objects.filter(action__in=["incident.resolve", "article.linked"])
        and not OutboxEvent.objects.filter(
            topic__in=["incident.resolved", "servicedesk.article_linked"]
        )
    )


def test_the_incident_page_offers_an_article_on_its_resolve_form(desk_agent):
    incident = IncidentFactory()
    page = browser_for(desk_agent).get(reverse("incidents:detail", args=[incident.pk]))
    html = page.content.decode()
    assert f'action="{resolve_url(incident)}"' in html
    assert 'name="article"' in html and "Knowledge article" in html
    options = reverse("servicedesk:incident-article-options", args=[incident.pk])
    assert f'hx-get="{options}"' in html


def test_resolving_with_an_article_links_it_and_counts_it(desk_agent):
    incident = IncidentFactory()
    article = ArticleFactory(title="Printer jams: clear the rear flap")
    assert incident_count(desk_agent, article) == 0
    response = browser_for(desk_agent).post(
        resolve_url(incident), form(incident, article=article.number.lower()), **HTMX
    )
    assert response.status_code == 200 and b'id="record"' in response.content
    assert b"<html" not in response.content
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
    assert incident.resolution_notes == "Cleared the paper path."
    link = ArticleIncidentLink.objects.get()
    assert (link.article, link.incident, link.linked_by) == (article, incident, desk_agent)
    assert incident_count(desk_agent, article) == 1
    assert OutboxEvent.objects.filter(topic="incident.resolved").count() == 1
    assert OutboxEvent.objects.filter(topic="servicedesk.article_linked").count() == 1


def test_resolving_without_an_article_still_resolves(desk_agent):
    incident = IncidentFactory()
    response = browser_for(desk_agent).post(resolve_url(incident), form(incident))
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.pk])
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED and not ArticleIncidentLink.objects.exists()


@pytest.mark.parametrize("number", ["KB0000000", "draft", "not a number at all"])
def test_a_bad_article_is_a_form_error_and_nothing_is_written(desk_agent, number):
    incident = IncidentFactory()
    if number == "draft":
        number = ArticleFactory(state="draft").number
    response = browser_for(desk_agent).post(
        resolve_url(incident), form(incident, article=number), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="resolve-article-error-' in html and "There is no published article" in html
    assert 'aria-invalid="true"' in html
    # The form comes back open and as it was filled.
    assert '<details class="action resolve" open>' in html
    assert "Cleared the paper path." in html
    assert nothing_written(incident)


def test_a_refused_link_takes_the_resolution_back_with_it(desk_agent):
    incident = IncidentFactory()
    article = ArticleFactory()
    links.article_link(actor=desk_agent, article=article, incident=incident)
    audits_before = AuditEntry.objects.count()
    response = browser_for(desk_agent).post(
        resolve_url(incident), form(incident, article=article.number), **HTMX
    )
    assert "already linked" in response.content.decode()
    incident.refresh_from_db()
    assert incident.state == State.NEW and incident.resolved_at is None
    assert not OutboxEvent.objects.filter(topic="incident.resolved").exists()
    assert AuditEntry.objects.count() == audits_before
    assert incident_count(desk_agent, article) == 1


def test_the_service_writes_both_or_neither(desk_agent):
    incident = IncidentFactory()
    retired = ArticleFactory(state="retired")
    with pytest.raises(ValidationFailed):
        links.incident_resolve_with_article(
            actor=desk_agent,
            incident=incident,
            resolution_code=resolution_code(),
            resolution_notes="Fixed.",
            article=retired,
        )
    assert nothing_written(incident)


def test_missing_resolution_is_a_form_error_even_with_a_good_article(desk_agent):
    incident = IncidentFactory()
    article = ArticleFactory()
    response = browser_for(desk_agent).post(
        resolve_url(incident),
        form(incident, article=article.number, resolution_notes=""),
        **HTMX,
    )
    html = response.content.decode()
    assert "The incident is not resolved. Resolution notes: This field is required." in html
    assert f'value="{article.number}"' in html
    assert nothing_written(incident)


def test_a_stale_form_is_refused(desk_agent):
    incident = IncidentFactory()
    stale = form(incident, article=ArticleFactory().number)
    Incident.objects.filter(pk=incident.pk).update(version=incident.version + 1)
    response = browser_for(desk_agent).post(resolve_url(incident), stale, **HTMX)
    assert "changed by someone else" in response.content.decode()
    assert nothing_written(incident)


def test_resolving_a_resolved_incident_is_refused_without_a_link(desk_agent):
    incident = IncidentFactory()
    client = browser_for(desk_agent)
    client.post(resolve_url(incident), form(incident))
    incident.refresh_from_db()
    again = client.post(
        resolve_url(incident), form(incident, article=ArticleFactory().number), **HTMX
    )
    assert "The incident is not resolved." in again.content.decode()
    assert not ArticleIncidentLink.objects.exists()


def test_requesters_and_strangers_cannot_resolve_here(alice, desk_agent):
    incident = IncidentFactory(caller=alice)
    article = ArticleFactory()
    denied = browser_for(alice).post(resolve_url(incident), form(incident, article.number))
    assert denied.status_code == 403
    hidden = IncidentFactory(confidential=True)
    missing = browser_for(desk_agent).post(resolve_url(hidden), form(hidden, article.number))
    assert missing.status_code == 404
    assert not ArticleIncidentLink.objects.exists()
    assert Incident.objects.filter(state=State.RESOLVED).count() == 0


def test_article_list_follows_what_is_typed(desk_agent):
    incident = IncidentFactory(short_description="Printer shows E42")
    printer = ArticleFactory(title="Printer error E42")
    vpn = ArticleFactory(title="VPN client setup")
    draft = ArticleFactory(title="Printer draft notes", state="draft")
    client = browser_for(desk_agent)
    url = reverse("servicedesk:incident-article-options", args=[incident.pk])
    first = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{printer.number}">' in first and vpn.number not in first
    assert draft.number not in first
    typed = client.get(url, {"article": "vpn"}).content.decode()
    assert vpn.number in typed and printer.number not in typed
    by_number = client.get(url, {"article": vpn.number[:-1].lower()}).content.decode()
    assert vpn.number in by_number
    assert browser_for(IncidentFactory().caller).get(url).status_code == 403

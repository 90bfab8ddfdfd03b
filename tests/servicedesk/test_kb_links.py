"""Incidents resolved with an article: linked by agents, counted per article, in the API."""

import pytest
from django.urls import reverse

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import AuditEntry, OutboxEvent
from opsdesk.core.testing.api import assert_error_shape
from opsdesk.core.testing.factories import TeamFactory
from opsdesk.incidents.testing import IncidentFactory
from opsdesk.servicedesk import links
from opsdesk.servicedesk.models import ArticleIncidentLink
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_linking_counts_per_article_audits_and_publishes(desk_agent, api):
    article = ArticleFactory(title="Printer E42")
    for incident in IncidentFactory.create_batch(2):
        links.article_link(actor=desk_agent, article=article, incident=incident)
    assert AuditEntry.objects.filter(action="article.linked").count() == 2
    assert OutboxEvent.objects.filter(topic="servicedesk.article_linked").count() == 2
    row = api(desk_agent).get(reverse("kb-article-detail", args=[article.pk])).json()
    assert row["resolved_incidents"] == 2


def test_linking_twice_or_an_unpublished_article_is_refused(desk_agent):
    incident = IncidentFactory()
    article = ArticleFactory()
    links.article_link(actor=desk_agent, article=article, incident=incident)
    with pytest.raises(ValidationFailed):
        links.article_link(actor=desk_agent, article=article, incident=incident)
    with pytest.raises(ValidationFailed):
        links.article_link(
            actor=desk_agent, article=ArticleFactory(state="draft"), incident=incident
        )
    assert ArticleIncidentLink.objects.count() == 1


def test_only_agents_who_see_the_incident_may_link(alice, desk_agent):
    article = ArticleFactory()
    with pytest.raises(NotPermitted):
        links.article_link(actor=alice, article=article, incident=IncidentFactory(caller=alice))
    secret = IncidentFactory(confidential=True, assignment_group=TeamFactory())
    with pytest.raises(NotPermitted):
        links.article_link(actor=desk_agent, article=article, incident=secret)
    assert not ArticleIncidentLink.objects.exists()


def test_api_links_and_unlinks(api, desk_agent, alice):
    article, incident = ArticleFactory(), IncidentFactory()
    url = reverse("kb-link-list")
    created = api(desk_agent).post(url, {"article": article.pk, "incident": incident.pk})
    assert created.status_code == 201, created.content
    again = api(desk_agent).post(url, {"article": article.pk, "incident": incident.pk})
    assert_error_shape(again, 400, "article")
    assert_error_shape(api(desk_agent).post(url, {"article": article.pk}), 400, "incident")
    assert_error_shape(api(alice).get(url), 403)
    rows = api(desk_agent).get(url, {"incident": incident.pk}).json()["results"]
    assert [r["article"] for r in rows] == [article.pk]
    gone = api(desk_agent).delete(reverse("kb-link-detail", args=[created.json()["id"]]))
    assert gone.status_code == 204 and not ArticleIncidentLink.objects.exists()
    assert AuditEntry.objects.filter(action="article.unlinked").exists()


def test_incident_page_panel_suggests_links_and_unlinks(client, desk_agent):
    incident = IncidentFactory(short_description="Printer shows E42")
    article = ArticleFactory(title="Printer error E42", keywords="printer, e42")
    client.force_login(desk_agent)
    page = client.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert reverse("servicedesk:incident-articles", args=[incident.pk]) in page
    panel = client.get(reverse("servicedesk:incident-articles", args=[incident.pk]))
    assert f"Link {article.number}" in panel.content.decode()
    link_url = reverse("servicedesk:incident-article-link", args=[incident.pk])
    linked = client.post(link_url, {"article": article.number.lower()}, HTTP_HX_REQUEST="true")
    assert "Linked to" in linked.content.decode() and 'data-testid="linked-articles"' in (
        linked.content.decode()
    )
    missing = client.post(link_url, {"article": "KB0000000"}, HTTP_HX_REQUEST="true")
    assert "There is no article" in missing.content.decode()
    link = ArticleIncidentLink.objects.get()
    plain = client.post(reverse("servicedesk:incident-article-unlink", args=[incident.pk, link.pk]))
    assert plain.status_code == 302 and not ArticleIncidentLink.objects.exists()


def test_requesters_and_strangers_get_nothing(client, alice):
    incident = IncidentFactory(caller=alice)
    client.force_login(alice)
    panel = client.get(reverse("servicedesk:incident-articles", args=[incident.pk]))
    assert panel.status_code == 403
    link_url = reverse("servicedesk:incident-article-link", args=[incident.pk])
    assert client.post(link_url, {"article": ArticleFactory().number}).status_code == 403
    assert not ArticleIncidentLink.objects.exists()

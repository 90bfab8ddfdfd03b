"""The article an incident was resolved with shows on the agent's record and the caller's ticket."""

import pytest
from django.urls import reverse

from opsdesk.core.testing.views import browser_for
from opsdesk.incidents.models import State
from opsdesk.incidents.testing import IncidentFactory, resolution_code
from opsdesk.servicedesk import knowledge
from opsdesk.servicedesk.models import Audience
from tests.servicedesk.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def resolve_with(agent, incident, article):
    """The incident page's resolve form, posted as the browser posts it."""
    response = browser_for(agent).post(
        reverse("servicedesk:incident-resolve", args=[incident.pk]),
        {
            "resolution_code": resolution_code().pk,
            "resolution_notes": "Cleared the paper path.",
            "article": article.number,
            "version": incident.version,
        },
        follow=True,
    )
    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED
    return response


def agent_page(agent, incident) -> str:
    return browser_for(agent).get(reverse("incidents:detail", args=[incident.pk])).content.decode()


def portal_page(caller, incident) -> str:
    page = browser_for(caller).get(reverse("servicedesk:ticket", args=[incident.pk]))
    assert page.status_code == 200
    return page.content.decode()


def test_agent_record_and_portal_ticket_show_the_article_with_a_link(desk_agent, alice):
    incident = IncidentFactory(caller=alice)
    article = ArticleFactory(title="Printer jams: clear the rear flap")
    resolve_with(desk_agent, incident, article)

    record = agent_page(desk_agent, incident)
    assert "<dt>Resolved with</dt>" in record
    desk_link = reverse("servicedesk:kb-detail", args=[article.pk])
    shown = f"{article.number} · Printer jams: clear the rear flap"
    assert f'<a href="{desk_link}">{shown}</a>' in record

    ticket = portal_page(alice, incident)
    portal_link = reverse("servicedesk:kb-article", args=[article.number])
    assert f'<a href="{portal_link}">Printer jams: clear the rear flap</a>' in ticket
    # The link opens for the caller.
    assert browser_for(alice).get(portal_link).status_code == 200


def test_an_article_no_longer_published_is_not_offered_to_the_caller(desk_agent, alice):
    incident = IncidentFactory(caller=alice)
    article = ArticleFactory(title="Old VPN client workaround")
    resolve_with(desk_agent, incident, article)
    knowledge.article_retire(actor=desk_agent, article=article)

    ticket = portal_page(alice, incident)
    assert "Old VPN client workaround" not in ticket
    assert reverse("servicedesk:kb-article", args=[article.number]) not in ticket
    assert 'data-testid="resolved-with"' not in ticket
    # The desk still sees what it was resolved with, and that the article is retired.
    record = agent_page(desk_agent, incident)
    assert "Old VPN client workaround" in record and "Retired" in record


def test_an_internal_article_is_not_named_to_the_caller(desk_agent, alice):
    incident = IncidentFactory(caller=alice)
    article = ArticleFactory(title="Reset the print server", audience=Audience.INTERNAL)
    resolve_with(desk_agent, incident, article)
    assert "Reset the print server" not in portal_page(alice, incident)
    assert "Reset the print server" in agent_page(desk_agent, incident)


def test_no_article_no_mention(desk_agent, alice):
    incident = IncidentFactory(caller=alice)
    assert 'data-testid="resolved-with"' not in agent_page(desk_agent, incident)
    assert 'data-testid="resolved-with"' not in portal_page(alice, incident)

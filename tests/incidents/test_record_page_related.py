"""Related records on the agent record page: link by number, see it on both, unlink."""

import pytest
from django.urls import reverse

from opsdesk.core.models import RecordLink
from opsdesk.core.related import record_link
from opsdesk.core.testing.views import browser_for
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other(team, caller):
    return IncidentFactory(assignment_group=team, caller=caller, number="INC0001234")


def post(browser, incident, name, data=None):
    url = reverse("incidents:action", args=[incident.pk, name])
    return browser.post(url, data or {}, follow=True).content.decode()


def page_of(user, incident):
    return browser_for(user).get(reverse("incidents:detail", args=[incident.pk])).content.decode()


def test_link_by_number_shows_on_both_pages(desk_agent, incident, other):
    page = post(browser_for(desk_agent), incident, "link", {"number": "inc1234"})
    assert "Records related." in page
    detail = reverse("incidents:detail", args=[other.pk])
    assert f'<a href="{detail}">INC0001234 {other.short_description}</a> · Incident · New' in page
    assert "Related to INC0001234." in page  # the timeline says so
    back = page_of(desk_agent, other)
    assert f'<a href="{reverse("incidents:detail", args=[incident.pk])}">{incident.number} ' in back
    assert f"Related to {incident.number}." in back


@pytest.mark.parametrize(
    ("number", "shown"),
    [("INC0099999", "No record INC0099999 that you may see."), ("", "Give the related record")],
    ids=["unknown", "blank"],
)
def test_bad_numbers_are_shown_as_errors(desk_agent, incident, number, shown):
    page = post(browser_for(desk_agent), incident, "link", {"number": number})
    assert shown in page and "Records related." not in page
    assert not RecordLink.objects.exists()


def test_self_and_duplicate_are_shown_as_errors(desk_agent, incident, other):
    browser = browser_for(desk_agent)
    assert "cannot be related to itself" in post(
        browser, incident, "link", {"number": incident.number}
    )
    post(browser, incident, "link", {"number": other.number})
    page = post(browser, other, "link", {"number": incident.number})
    assert f"{other.number} and {incident.number} are already related." in page
    assert RecordLink.objects.count() == 1


def test_unlink_button_removes_it_from_both(desk_agent, incident, other):
    link = record_link(actor=desk_agent, record=incident, other=other)
    assert "Unlink INC0001234" in page_of(desk_agent, incident)
    page = post(browser_for(desk_agent), incident, "unlink", {"link": link.pk})
    assert "Link removed." in page and "No related records." in page
    assert "No related records." in page_of(desk_agent, other)
    again = post(browser_for(desk_agent), incident, "unlink", {"link": link.pk})
    assert "That link is already gone." in again


def test_requester_sees_no_links_and_cannot_make_one(desk_agent, caller, incident, other):
    record_link(actor=desk_agent, record=incident, other=other)
    page = page_of(caller, incident)
    assert "Related records" not in page and "INC0001234" not in page
    refused = post(browser_for(caller), incident, "link", {"number": other.number})
    assert "Only service-desk staff link records." in refused
    assert RecordLink.objects.count() == 1


def test_htmx_link_answers_the_panel(desk_agent, incident, other):
    answer = browser_for(desk_agent).post(
        reverse("incidents:action", args=[incident.pk, "link"]),
        {"number": "INC0099999"},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    assert "No record INC0099999 that you may see." in answer.content.decode()

"""Incident forms choose callers and assignees with the people picker, not a long dropdown."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.core.testing.views import browser_for
from opsdesk.incidents.models import Incident

pytestmark = pytest.mark.django_db

ASSIGN = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "record"}


def test_new_incident_names_its_caller_by_email(desk_agent, caller):
    browser = browser_for(desk_agent)
    page = browser.get(reverse("incidents:create")).content.decode()
    assert 'role="combobox"' in page and '<select name="caller"' not in page
    body = {"short_description": "VPN drops", "channel": "phone", "impact": 3, "urgency": 3}
    response = browser.post(
        reverse("incidents:create"), {**body, "caller": f"{caller} <{caller.email}>"}
    )
    assert response.status_code == 302
    assert Incident.objects.get(short_description="VPN drops").caller == caller


def test_unknown_caller_is_a_field_error_and_nothing_is_logged(desk_agent):
    body = {"short_description": "VPN drops", "channel": "phone", "impact": 3, "urgency": 3}
    response = browser_for(desk_agent).post(
        reverse("incidents:create"), {**body, "caller": "nobody@example.com"}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["caller"]
    assert "nobody@example.com" in response.content.decode()
    assert not Incident.objects.exists()


def test_record_page_shows_caller_and_assignee_as_name_and_email(desk_agent, incident):
    incident.assignee = desk_agent
    incident.save()
    page = browser_for(desk_agent).get(reverse("incidents:detail", args=[incident.pk]))
    html = page.content.decode()
    assert escape(f"{incident.caller} <{incident.caller.email}>") in html
    assert escape(f"{desk_agent} <{desk_agent.email}>") in html


def test_assignee_must_be_an_agent(desk_agent, incident, caller):
    url = reverse("incidents:action", args=[incident.pk, "assign"])
    body = {"assignment_group": incident.assignment_group_id, "assignee": caller.email}
    answer = browser_for(desk_agent).post(url, body, **ASSIGN)
    assert "No one here has this e-mail or username" in answer.content.decode()
    incident.refresh_from_db()
    assert incident.assignee is None
    colleague = UserFactory(roles=[Role.AGENT])
    incident.assignment_group.members.add(colleague)
    body["assignee"] = colleague.username
    browser_for(desk_agent).post(url, body, **ASSIGN)
    incident.refresh_from_db()
    assert incident.assignee == colleague

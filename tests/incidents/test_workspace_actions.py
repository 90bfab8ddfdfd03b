"""The rest of an incident's life in the browser: assignment, priority, major incidents."""

import base64
import json

import pytest
from django.urls import reverse

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.testing.views import browser_for
from opsdesk.incidents.models import PostIncidentReview, State
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


def act(browser, incident, name, data):
    return browser.post(
        reverse("incidents:action", args=[incident.pk, name]),
        data,
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="record",
    )


def test_agent_assigns_to_another_group_and_person(desk_agent, incident):
    network = TeamFactory(name="Network")
    engineer = UserFactory(roles=[Role.AGENT])
    network.members.add(engineer)
    answer = act(
        browser_for(desk_agent),
        incident,
        "assign",
        {"assignment_group": network.pk, "assignee": engineer.pk},
    )
    assert answer.status_code == 200
    incident.refresh_from_db()
    assert (incident.assignment_group, incident.assignee) == (network, engineer)


def test_assigning_someone_outside_the_group_is_refused_on_the_panel(desk_agent, incident):
    stranger = UserFactory(roles=[Role.AGENT])
    answer = act(
        browser_for(desk_agent),
        incident,
        "assign",
        {"assignment_group": incident.assignment_group_id, "assignee": stranger.pk},
    )
    assert 'role="alert"' in answer.content.decode()
    incident.refresh_from_db()
    assert incident.assignee is None


def test_priority_override_needs_a_reason(desk_agent, incident):
    browser = browser_for(desk_agent)
    refused = act(browser, incident, "priority", {"priority": 2})
    assert 'role="alert"' in refused.content.decode()
    incident.refresh_from_db()
    assert incident.priority == 5
    act(browser, incident, "priority", {"priority": 2, "reason": "Payroll run tonight"})
    incident.refresh_from_db()
    assert incident.priority == 2


def test_major_incident_from_declaration_to_review(mim, incident):
    incident.assignment_group.members.add(mim)
    browser = browser_for(mim)
    act(browser, incident, "declare_major", {"summary": "Mail down for all", "cadence_minutes": 30})
    incident.refresh_from_db()
    assert incident.is_major and incident.major_incident_manager == mim
    page = browser.get(reverse("incidents:detail", args=[incident.pk])).content.decode()
    assert "Stakeholder update" in page
    act(browser, incident, "stakeholder_update", {"body": "Fix is being deployed."})
    act(
        browser,
        incident,
        "end_major",
        {
            "outage_start": "2026-11-20T09:00",
            "outage_end": "2026-11-20T10:30",
            "summary": "Relay certificate expired",
        },
    )
    incident.refresh_from_db()
    assert incident.major_ended_at is not None
    assert PostIncidentReview.objects.filter(incident=incident).exists()


def test_plain_agents_cannot_declare_major_incidents(desk_agent, incident):
    page = browser_for(desk_agent).get(reverse("incidents:detail", args=[incident.pk]))
    assert "Declare a major incident" not in page.content.decode()
    act(browser_for(desk_agent), incident, "declare_major", {"summary": "x", "cadence_minutes": 30})
    incident.refresh_from_db()
    assert not incident.is_major


def test_requesters_do_not_see_sla_clocks(caller, team):
    mine = IncidentFactory(assignment_group=team, caller=caller)
    page = browser_for(caller).get(reverse("incidents:detail", args=[mine.pk])).content.decode()
    assert "SLA clocks" not in page


@pytest.mark.parametrize("value", ["abc", True, None, 1.5])
def test_a_forged_cursor_starts_from_the_top(desk_agent, team, value):
    IncidentFactory(assignment_group=team, state=State.IN_PROGRESS)
    cursor = base64.urlsafe_b64encode(json.dumps([value, 1]).encode()).decode().rstrip("=")
    answer = browser_for(desk_agent).get(
        reverse("incidents:queue", args=["open"]), {"sort": "priority", "after": cursor}
    )
    assert answer.status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:x"])
def test_bulk_update_never_redirects_off_site(desk_agent, team, target):
    incident = IncidentFactory(assignment_group=team)
    answer = browser_for(desk_agent).post(
        reverse("incidents:bulk"), {"incidents": [incident.pk], "action": "", "next": target}
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith("/")
    assert not answer["Location"].startswith("//")


def test_an_agent_saves_a_filter_and_finds_it_again(desk_agent, team):
    urgent = IncidentFactory(assignment_group=team, priority=1, short_description="Urgent one")
    calm = IncidentFactory(assignment_group=team, priority=5, short_description="Calm one")
    browser = browser_for(desk_agent)
    queue = reverse("incidents:queue", args=["open"])
    answer = browser.post(
        reverse("incidents:saved-filter-save", args=["open"]),
        {"name": "P1 only", "query": "priority=1&after=abc"},
    )
    assert answer.status_code == 302 and answer["Location"] == f"{queue}?priority=1"
    page = browser.get(queue).content.decode()
    assert "P1 only" in page
    filtered = browser.get(answer["Location"]).content.decode()
    assert urgent.number in filtered and calm.number not in filtered


def test_the_freshest_filters_come_from_the_page_being_looked_at(desk_agent):
    browser = browser_for(desk_agent)
    queue = reverse("incidents:queue", args=["mine"])
    answer = browser.post(
        reverse("incidents:saved-filter-save", args=["mine"]),
        {"name": "Mine by priority", "query": "stale=1"},
        HTTP_REFERER=f"http://testserver{queue}?sort=priority",
    )
    assert answer["Location"] == f"{queue}?sort=priority"


def test_saved_filters_are_private_and_need_a_name(desk_agent, team):
    from opsdesk.incidents.models import SavedFilter

    other = UserFactory(roles=[Role.AGENT])
    browser_for(other).post(
        reverse("incidents:saved-filter-save", args=["open"]), {"name": "Theirs", "query": ""}
    )
    theirs = SavedFilter.objects.get(name="Theirs")
    browser = browser_for(desk_agent)
    assert "Theirs" not in browser.get(reverse("incidents:queue", args=["open"])).content.decode()
    assert (
        browser.post(reverse("incidents:saved-filter-delete", args=[theirs.pk])).status_code == 404
    )
    browser.post(reverse("incidents:saved-filter-save", args=["open"]), {"name": " "})
    assert not SavedFilter.objects.filter(owner=desk_agent).exists()
    assert (
        browser.post(
            reverse("incidents:saved-filter-save", args=["nonsense"]), {"name": "x"}
        ).status_code
        == 302
    )
    assert not SavedFilter.objects.filter(owner=desk_agent).exists()


def test_deleting_a_saved_filter_is_audited(desk_agent):
    from opsdesk.core.models import AuditEntry
    from opsdesk.incidents.models import SavedFilter

    browser = browser_for(desk_agent)
    browser.post(
        reverse("incidents:saved-filter-save", args=["open"]), {"name": "P1 only", "query": ""}
    )
    saved = SavedFilter.objects.get(owner=desk_agent)
    browser.post(reverse("incidents:saved-filter-delete", args=[saved.pk]))
    assert not SavedFilter.objects.filter(pk=saved.pk).exists()
    entry = AuditEntry.objects.get(object_id=str(saved.pk), action="savedfilter.deleted")
    assert entry.actor == desk_agent and entry.changes["name"]["from"] == "P1 only"

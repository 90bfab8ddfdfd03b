"""The agent workspace pages, driven like a browser, including the permission boundaries."""

import pytest
from django.urls import reverse

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.testing.views import browser_for
from opsdesk.core.timeline import timeline_add
from opsdesk.incidents.models import Incident, State
from opsdesk.incidents.testing import IncidentFactory, resolution_code

pytestmark = pytest.mark.django_db


def test_queues_show_the_right_work(desk_agent, team):
    mine = IncidentFactory(
        assignment_group=team,
        assignee=desk_agent,
        state=State.IN_PROGRESS,
        short_description="Mine to fix",
    )
    unassigned = IncidentFactory(assignment_group=team, short_description="Nobody has it")
    closed = IncidentFactory(state=State.CLOSED, short_description="Long gone")
    browser = browser_for(desk_agent)
    page = browser.get(reverse("incidents:queue", args=["mine"])).content.decode()
    assert mine.number in page and unassigned.number not in page
    page = browser.get(reverse("incidents:queue", args=["unassigned"])).content.decode()
    assert unassigned.number in page and mine.number not in page
    page = browser.get(reverse("incidents:queue", args=["open"])).content.decode()
    assert mine.number in page and closed.number not in page
    assert browser.get(reverse("incidents:queue", args=["breaching"])).status_code == 200
    assert browser.get(reverse("incidents:queue", args=["nonsense"])).status_code == 404


def test_queue_pages_by_cursor_without_gaps_or_repeats(desk_agent, team):
    made = [IncidentFactory(assignment_group=team) for _ in range(55)]
    browser = browser_for(desk_agent)
    first = browser.get(reverse("incidents:queue", args=["open"]))
    rows = first.context["objects"]
    assert len(rows) == 50
    cursor = first.context["page"].next_cursor
    second = browser.get(reverse("incidents:queue", args=["open"]), {"after": cursor})
    seen = [i.pk for i in rows] + [i.pk for i in second.context["objects"]]
    assert sorted(seen) == sorted(i.pk for i in made)
    assert second.context["page"].next_cursor is None
    mangled = browser.get(reverse("incidents:queue", args=["open"]), {"after": "!!"})
    assert mangled.status_code == 200


def test_sort_and_filter(desk_agent, team):
    low = IncidentFactory(assignment_group=team, priority=4)
    high = IncidentFactory(assignment_group=team, priority=1)
    browser = browser_for(desk_agent)
    response = browser.get(reverse("incidents:queue", args=["open"]), {"sort": "priority"})
    assert [i.pk for i in response.context["objects"]] == [high.pk, low.pk]
    response = browser.get(reverse("incidents:queue", args=["open"]), {"q": low.number})
    assert [i.pk for i in response.context["objects"]] == [low.pk]


def test_requesters_have_no_workspace(caller):
    assert browser_for(caller).get(reverse("incidents:queue", args=["open"])).status_code == 403
    assert browser_for(caller).get(reverse("incidents:create")).status_code == 403


def test_create_form_logs_an_incident(desk_agent, caller, team):
    browser = browser_for(desk_agent)
    assert browser.get(reverse("incidents:create")).status_code == 200
    response = browser.post(
        reverse("incidents:create"),
        {
            "caller": caller.pk,
            "short_description": "Teams calls drop",
            "channel": "phone",
            "impact": 2,
            "urgency": 2,
        },
    )
    incident = Incident.objects.get(short_description="Teams calls drop")
    assert response.status_code == 302 and incident.priority == 3
    bad = browser.post(reverse("incidents:create"), {"caller": caller.pk, "impact": 9})
    assert bad.status_code == 200 and "short_description" in bad.context["form"].errors
    preview = browser.get(reverse("incidents:preview"), {"impact": 1, "urgency": 1})
    assert "P1" in preview.content.decode()


def test_quick_actions_answer_the_record_panel(desk_agent, incident):
    browser = browser_for(desk_agent)
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "record"}
    url = reverse("incidents:action", args=[incident.pk, "assign_me"])
    response = browser.post(url, **htmx)
    assert response.status_code == 200 and b'id="record"' in response.content
    assert b"<html" not in response.content  # a partial, not a full page
    incident.refresh_from_db()
    assert incident.assignee == desk_agent and incident.state == State.IN_PROGRESS
    refused = browser.post(reverse("incidents:action", args=[incident.pk, "resolve"]), **htmx)
    assert b"resolution code" in refused.content.lower()
    browser.post(
        reverse("incidents:action", args=[incident.pk, "resolve"]),
        {"resolution_code": resolution_code().pk, "resolution_notes": "Reset the profile"},
        **htmx,
    )
    incident.refresh_from_db()
    assert incident.state == State.RESOLVED


def test_escalate_without_a_next_tier_says_so(desk_agent, incident):
    response = browser_for(desk_agent).post(
        reverse("incidents:action", args=[incident.pk, "escalate"]), HTTP_HX_REQUEST="true"
    )
    assert b"no escalation team" in response.content


def test_bulk_update_assigns_many(desk_agent, team):
    a, b = IncidentFactory(assignment_group=team), IncidentFactory(assignment_group=team)
    other = TeamFactory(name="Network Operations")
    response = browser_for(desk_agent).post(
        reverse("incidents:bulk"), {"incidents": [a.pk, b.pk], "assignment_group": other.pk}
    )
    assert response.status_code == 302
    assert set(Incident.objects.filter(assignment_group=other)) == {a, b}


def test_requester_page_hides_work_notes(caller, desk_agent, team):
    incident = IncidentFactory(caller=caller, assignment_group=team)
    timeline_add(record=incident, kind="work_note", author=desk_agent, body="Internal only")
    timeline_add(record=incident, kind="comment", author=desk_agent, body="We are on it")
    page = browser_for(caller).get(reverse("incidents:detail", args=[incident.pk]))
    text = page.content.decode()
    assert "We are on it" in text and "Internal only" not in text
    assert "Assign to me" not in text
    agent_page = browser_for(desk_agent).get(reverse("incidents:detail", args=[incident.pk]))
    assert "Internal only" in agent_page.content.decode()


def test_guessing_ids_answers_404(caller, team):
    someone_elses = IncidentFactory(assignment_group=team)
    confidential = IncidentFactory(confidential=True, assignment_group=team)
    outsider_agent = UserFactory(roles=[Role.AGENT])
    assert (
        browser_for(caller).get(reverse("incidents:detail", args=[someone_elses.pk])).status_code
        == 404
    )
    assert (
        browser_for(caller)
        .post(reverse("incidents:action", args=[someone_elses.pk, "comment"]), {"body": "hi"})
        .status_code
        == 404
    )
    assert (
        browser_for(outsider_agent)
        .get(reverse("incidents:detail", args=[confidential.pk]))
        .status_code
        == 404
    )


def test_requester_may_comment_on_own_but_not_work_it(caller, team):
    incident = IncidentFactory(caller=caller, assignment_group=team)
    browser = browser_for(caller)
    browser.post(
        reverse("incidents:action", args=[incident.pk, "comment"]),
        {"body": "It is still slow", "internal": "on"},
    )
    from opsdesk.core.models import TimelineEntry

    assert not TimelineEntry.objects.filter(kind="work_note").exists()
    browser.post(
        reverse("incidents:action", args=[incident.pk, "comment"]), {"body": "It is still slow"}
    )
    assert TimelineEntry.objects.filter(kind="comment", body="It is still slow").exists()
    browser.post(reverse("incidents:action", args=[incident.pk, "cancel"]), {"reason": "x"})
    incident.refresh_from_db()
    assert incident.state == State.NEW


def test_bulk_update_changes_each_incident_wholly_or_not_at_all(desk_agent, team):
    # "b" is already in progress: its start is refused, so its new group must not stay.
    a = IncidentFactory(assignment_group=team, assignee=None)
    b = IncidentFactory(assignment_group=team, assignee=None, state=State.IN_PROGRESS)
    other = TeamFactory(name="Network Operations")
    response = browser_for(desk_agent).post(
        reverse("incidents:bulk"),
        {"incidents": [a.pk, b.pk], "assignment_group": other.pk, "action": "start"},
        follow=True,
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.assignment_group, a.state) == (other, State.IN_PROGRESS)
    assert (b.assignment_group, b.state) == (team, State.IN_PROGRESS)
    shown = [str(m) for m in response.context["messages"]]
    assert f"1 incident changed: {a.number}." in shown
    assert any(m.startswith(f"{b.number} was not changed: Cannot start") for m in shown)
    assert not any("0 incident" in m for m in shown)


def test_bulk_update_that_changes_nothing_says_so(desk_agent, team):
    closed = IncidentFactory(assignment_group=team, state=State.CLOSED)
    response = browser_for(desk_agent).post(
        reverse("incidents:bulk"),
        {"incidents": [closed.pk], "assignee": desk_agent.pk},
        follow=True,
    )
    closed.refresh_from_db()
    assert closed.assignee is None
    shown = [str(m) for m in response.context["messages"]]
    assert "No incident was changed." in shown

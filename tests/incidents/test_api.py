"""The incident API: CRUD, lifecycle actions, filters, search and permission boundaries."""

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.models import AuditEntry, Team
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.models import Incident, State
from opsdesk.incidents.testing import CategoryFactory, IncidentFactory, make_ci, resolution_code

pytestmark = pytest.mark.django_db


def url(name, **kwargs):
    return reverse(f"incident-{name}", kwargs=kwargs or None)


class TestIncidentCrud(APICrudSuite):
    basename = "incident"
    factory = IncidentFactory
    create_data = {
        "short_description": "Outlook keeps asking for my password",
        "channel": "email",
        "impact": 2,
        "urgency": 2,
    }
    update_data = {"description": "Since the password change this morning."}
    invalid_data = {"impact": 9}
    reader_roles = [Role.AGENT, Role.ADMINISTRATOR]
    writer_roles = [Role.AGENT]
    outsider_roles = [Role.REQUESTER]
    filter_cases = {"open": ("false", "true")}  # the incident made for filters is resolved

    # Anyone signed in reports incidents for themselves; TestPermissions checks what a
    # requester may set.
    self_service_roles = [Role.REQUESTER, Role.ADMINISTRATOR]

    def make_for_filters(self):
        """An incident with every filtered field set, and another differing in each."""
        IncidentFactory(channel="phone", priority=5, impact=3, urgency=3)
        network = CategoryFactory(name="Network")
        vpn = CategoryFactory(name="VPN", parent=network)
        CategoryFactory(name="Hardware")
        # Other rows of each related kind, so a filter on this incident's own has one to drop.
        make_ci("ERP", "business_service")
        make_ci("erp-01")
        service, ci = make_ci("Email", "business_service"), make_ci("mail-01")
        incident = IncidentFactory(
            channel="email",
            priority=2,
            impact=1,
            urgency=2,
            category=network,
            subcategory=vpn,
            service=service,
            ci=ci,
            assignee=UserFactory(),
            opened_by=UserFactory(),
            is_major=True,
            major_proposed=True,
            parent=IncidentFactory(),
            state=State.RESOLVED,
            hold_reason="awaiting_vendor",
            resolution_code=resolution_code(),
            resolved_at=timezone.now(),
            watchers=[UserFactory()],
        )
        incident.affected_services.add(service)
        return incident


class TestConfigurationEndpoints(APICrudSuite):
    basename = "incident-category"
    factory = staticmethod(
        lambda: __import__(
            "opsdesk.incidents.testing", fromlist=["CategoryFactory"]
        ).CategoryFactory()
    )
    create_data = {"name": "Network"}
    invalid_data = {"parent": 999999}
    update_data = {"name": "Networking"}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]

    versioned = False  # configuration rows: the last edit wins


def test_priority_matrix_is_admin_editable(admin_user_, agent_user):
    rows = client_for(agent_user).get(reverse("priority-matrix-list")).json()["results"]
    assert len(rows) == 9
    cell = rows[0]
    refused = client_for(agent_user).patch(
        reverse("priority-matrix-detail", args=[cell["id"]]), {"priority": 2}, format="json"
    )
    assert_error_shape(refused, 403)
    changed = client_for(admin_user_).patch(
        reverse("priority-matrix-detail", args=[cell["id"]]), {"priority": 2}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["priority"] == 2
    assert AuditEntry.objects.filter(action="prioritymatrixrow.updated").exists()


def test_assignment_rules_and_resolution_codes_list(admin_user_):
    client = client_for(admin_user_)
    team = TeamFactory()
    made = client.post(
        reverse("assignment-rule-list"),
        {"name": "VPN", "keywords": "vpn", "assignment_group": team.pk},
        format="json",
    )
    assert made.status_code == 201, made.content
    codes = client.get(reverse("resolution-code-list")).json()["results"]
    assert "duplicate" in [c["key"] for c in codes]


class TestLifecycleThroughTheAPI:
    def test_whole_lifecycle(self, desk_agent, team, caller):
        client = client_for(desk_agent)
        made = client.post(
            url("list"),
            {
                "short_description": "Wi-Fi down on floor 3",
                "caller": caller.pk,
                "channel": "phone",
                "impact": 2,
                "urgency": 1,
            },
            format="json",
        )
        assert made.status_code == 201, made.content
        body = made.json()
        assert body["priority"] == 2 and body["number"].startswith("INC")
        pk = body["id"]
        assigned = client.post(
            url("assign", pk=pk),
            {"assignment_group": team.pk, "assignee": desk_agent.pk},
            format="json",
        )
        assert assigned.json()["state"] == "in_progress"
        assert client.post(url("acknowledge", pk=pk)).json()["acknowledged_at"]
        assert (
            client.post(url("comments", pk=pk), {"body": "On my way"}, format="json").status_code
            == 201
        )
        assert (
            client.post(
                url("work-notes", pk=pk), {"body": "AP 3 reboot"}, format="json"
            ).status_code
            == 201
        )
        held = client.post(url("hold", pk=pk), {"hold_reason": "awaiting_vendor"}, format="json")
        assert held.json()["state"] == "on_hold"
        assert client.post(url("resume", pk=pk), {}, format="json").json()["state"] == "in_progress"
        resolved = client.post(
            url("resolve", pk=pk),
            {"resolution_code": "solved_permanently", "resolution_notes": "Replaced AP"},
            format="json",
        )
        assert resolved.json()["state"] == "resolved" and resolved.json()["resolved_at"]
        reopened = client.post(url("reopen", pk=pk), {"reason": "Down again"}, format="json")
        assert reopened.json()["reopen_count"] == 1
        client.post(
            url("resolve", pk=pk),
            {"resolution_code": "workaround_applied", "resolution_notes": "Cable"},
            format="json",
        )
        closed = client.post(url("close", pk=pk), {}, format="json")
        assert closed.json()["state"] == "closed" and closed.json()["closed_at"]
        kinds = [e["kind"] for e in client.get(url("timeline", pk=pk)).json()]
        assert {"comment", "work_note", "state_change", "system"} <= set(kinds)

    def test_refused_transition_is_400_naming_allowed_ones(self, desk_agent, incident):
        response = client_for(desk_agent).post(url("close", pk=incident.pk), {}, format="json")
        error = assert_error_shape(response, 400)
        assert error["code"] == "transition_refused"
        assert "start" in error["message"] and "resolve" in error["message"]

    def test_resolve_without_notes_gets_field_errors(self, desk_agent, incident):
        response = client_for(desk_agent).post(
            url("resolve", pk=incident.pk), {"resolution_code": "nope"}, format="json"
        )
        assert_error_shape(response, 400, field="resolution_code")
        incident.refresh_from_db()
        assert incident.state == State.NEW

    def test_stale_version_on_an_action_is_409(self, desk_agent, incident):
        client = client_for(desk_agent)
        client.post(url("start", pk=incident.pk), {"version": incident.version}, format="json")
        stale = client.post(
            url("cancel", pk=incident.pk),
            {"version": incident.version, "reason": "dup"},
            format="json",
        )
        assert_error_shape(stale, 409)

    def test_escalate_and_override_priority(self, desk_agent, incident, team):
        team.escalation_team = TeamFactory(name="Tier 2")
        team.save()
        client = client_for(desk_agent)
        escalated = client.post(url("escalate", pk=incident.pk), {"reason": "DB"}, format="json")
        assert escalated.json()["assignment_group"] == team.escalation_team_id
        bad = client.post(url("override-priority", pk=incident.pk), {"priority": 1}, format="json")
        assert_error_shape(bad, 400, field="reason")

    def test_major_incident_through_the_api(self, mim, incident):
        client = client_for(mim)
        declared = client.post(
            url("declare-major", pk=incident.pk), {"cadence_minutes": 15}, format="json"
        )
        assert declared.json()["is_major"], declared.content
        assert (
            client.post(
                url("stakeholder-updates", pk=incident.pk), {"body": "Investigating"}, format="json"
            ).status_code
            == 200
        )
        ended = client.post(
            url("end-major", pk=incident.pk),
            {"outage_start": "2025-01-01T10:00:00Z", "outage_end": "2025-01-01T09:00:00Z"},
            format="json",
        )
        assert_error_shape(ended, 400, field="outage_end")
        ended = client.post(
            url("end-major", pk=incident.pk),
            {"outage_start": "2025-01-01T09:00:00Z", "outage_end": "2025-01-01T10:00:00Z"},
            format="json",
        )
        assert ended.status_code == 201 and ended.json()["incident"] == incident.pk


class TestFiltersAndSearch:
    def test_search_over_number_and_text(self, desk_agent, team):
        a = IncidentFactory(short_description="Payroll export fails", assignment_group=team)
        IncidentFactory(short_description="Mouse broken", description="left button")
        client = client_for(desk_agent)
        hits = client.get(url("list"), {"search": "payroll"}).json()["results"]
        assert [h["id"] for h in hits] == [a.pk]
        hits = client.get(url("list"), {"search": a.number}).json()["results"]
        assert [h["id"] for h in hits] == [a.pk]
        hits = client.get(url("list"), {"search": "left button"}).json()["results"]
        assert len(hits) == 1

    def test_filters(self, desk_agent, team):
        urgent = IncidentFactory(priority=1, assignment_group=team)
        IncidentFactory(priority=4, state=State.CLOSED)
        client = client_for(desk_agent)
        assert [
            r["id"] for r in client.get(url("list"), {"priority": "1,2"}).json()["results"]
        ] == [urgent.pk]
        assert [r["id"] for r in client.get(url("list"), {"open": "true"}).json()["results"]] == [
            urgent.pk
        ]
        assert [
            r["id"]
            for r in client.get(url("list"), {"state": "closed,cancelled"}).json()["results"]
        ] != [urgent.pk]
        bad = client.get(url("list"), {"state": "exploded"})
        assert_error_shape(bad, 400, field="state")


class TestPermissions:
    def test_requester_sees_own_and_watched_only(self, caller):
        own = IncidentFactory(caller=caller)
        watched = IncidentFactory(watchers=[caller])
        other = IncidentFactory()
        client = client_for(caller)
        ids = {r["id"] for r in client.get(url("list")).json()["results"]}
        assert ids == {own.pk, watched.pk}
        # Guessing another record's id answers 404, like a record that does not exist.
        assert_error_shape(client.get(url("detail", pk=other.pk)), 404)
        assert_error_shape(
            client.post(url("comments", pk=other.pk), {"body": "hi"}, format="json"), 404
        )

    def test_requester_comments_but_never_sees_work_notes(self, caller, desk_agent, team):
        incident = IncidentFactory(caller=caller, assignment_group=team)
        agent_client = client_for(desk_agent)
        agent_client.post(
            url("work-notes", pk=incident.pk), {"body": "Secret root cause"}, format="json"
        )
        client = client_for(caller)
        assert (
            client.post(
                url("comments", pk=incident.pk), {"body": "Thanks"}, format="json"
            ).status_code
            == 201
        )
        assert_error_shape(
            client.post(url("work-notes", pk=incident.pk), {"body": "x"}, format="json"), 403
        )
        bodies = [e["body"] for e in client.get(url("timeline", pk=incident.pk)).json()]
        assert "Thanks" in bodies and "Secret root cause" not in bodies
        assert_error_shape(
            client.patch(url("detail", pk=incident.pk), {"description": "x"}, format="json"), 403
        )

    def test_requester_creates_for_themselves(self, caller, team):
        client = client_for(caller)
        made = client.post(
            url("list"), {"short_description": "Laptop will not boot"}, format="json"
        )
        assert made.status_code == 201 and made.json()["caller"] == caller.pk
        someone = UserFactory()
        refused = client.post(
            url("list"), {"short_description": "x", "caller": someone.pk}, format="json"
        )
        assert_error_shape(refused, 403)

    def test_confidential_only_for_its_group_and_admins(self, team, desk_agent, admin_user_):
        hr_case = IncidentFactory(confidential=True, assignment_group=team)
        outsider = UserFactory(roles=[Role.AGENT])
        assert_error_shape(client_for(outsider).get(url("detail", pk=hr_case.pk)), 404)
        assert hr_case.pk not in {
            r["id"] for r in client_for(outsider).get(url("list")).json()["results"]
        }
        assert client_for(desk_agent).get(url("detail", pk=hr_case.pk)).status_code == 200
        assert client_for(admin_user_).get(url("detail", pk=hr_case.pk)).status_code == 200

    def test_unknown_group_in_assign_is_a_field_error(self, desk_agent, incident):
        response = client_for(desk_agent).post(
            url("assign", pk=incident.pk), {"assignment_group": 99999}, format="json"
        )
        assert_error_shape(response, 400, field="assignment_group")
        assert Team.objects.filter(pk=99999).count() == 0
        assert Incident.objects.get(pk=incident.pk).version == incident.version


def test_a_category_in_use_is_not_deleted(admin_user_):
    from opsdesk.incidents.models import Category

    network = CategoryFactory(name="Network")
    IncidentFactory(category=network)
    before = AuditEntry.objects.count()
    answer = client_for(admin_user_).delete(reverse("incident-category-detail", args=[network.pk]))
    error = assert_error_shape(answer, 409)
    assert "still used by 1 incident" in error["message"]
    assert Category.objects.filter(pk=network.pk).exists()
    assert AuditEntry.objects.count() == before

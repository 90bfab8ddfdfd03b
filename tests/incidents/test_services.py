"""Opening, routing, assignment, escalation, conversation and auto-close of incidents."""

from datetime import UTC, datetime

import pytest

from opsdesk.core.errors import NotPermitted, StaleVersion, TransitionRefused, ValidationFailed
from opsdesk.core.models import AuditEntry, OutboxEvent, TimelineEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents import auto_close, services
from opsdesk.incidents.models import AssignmentRule, Incident, PriorityMatrixRow, State
from opsdesk.incidents.testing import (
    CategoryFactory,
    IncidentFactory,
    depends,
    make_ci,
    resolution_code,
)

pytestmark = pytest.mark.django_db


def topics() -> list[str]:
    return list(OutboxEvent.objects.order_by("id").values_list("topic", flat=True))


def open_incident(actor, caller, **kwargs):
    kwargs.setdefault("short_description", "Cannot print payslips")
    return services.incident_open(actor=actor, caller=caller, **kwargs)


class TestOpen:
    def test_numbered_prioritised_and_announced(self, desk_agent, caller, team):
        incident = open_incident(desk_agent, caller, impact=1, urgency=2, channel="phone")
        assert incident.number.startswith("INC") and len(incident.number) == 10
        assert incident.priority == 2  # from the seeded matrix
        assert incident.state == State.NEW
        assert incident.assignment_group == team  # falls back to the service desk
        assert incident.opened_by == desk_agent and incident.opened_at is not None
        assert {"incident.opened", "incident.assigned"} <= set(topics())
        assert AuditEntry.objects.filter(action="incident.opened").exists()

    def test_numbers_are_unique_and_increasing(self, desk_agent, caller):
        first = open_incident(desk_agent, caller)
        second = open_incident(desk_agent, caller)
        assert second.number > first.number

    def test_admin_edited_matrix_is_used(self, desk_agent, caller):
        PriorityMatrixRow.objects.filter(impact=3, urgency=3).update(priority=4)
        assert open_incident(desk_agent, caller, impact=3, urgency=3).priority == 4

    def test_bad_input_writes_nothing(self, desk_agent, caller):
        before = Incident.objects.count()
        with pytest.raises(ValidationFailed) as failure:
            open_incident(desk_agent, caller, short_description="", impact=7)
        assert {"short_description", "impact"} <= set(failure.value.fields)
        assert Incident.objects.count() == before

    def test_subcategory_must_belong_to_category(self, desk_agent, caller):
        hardware, software = CategoryFactory(name="Hardware"), CategoryFactory(name="Software")
        printer = CategoryFactory(name="Printer", parent=hardware)
        with pytest.raises(ValidationFailed) as failure:
            open_incident(desk_agent, caller, category=software, subcategory=printer)
        assert "subcategory" in failure.value.fields

    def test_requester_reports_only_for_themselves(self, caller, team):
        other = UserFactory(roles=[Role.REQUESTER])
        with pytest.raises(NotPermitted):
            open_incident(caller, other)
        incident = open_incident(caller, caller, assignment_group=TeamFactory(), confidential=True)
        assert incident.assignment_group == team and not incident.confidential

    def test_p1_is_paged_and_proposed_as_major(self, desk_agent, caller, monkeypatch):
        pages = []
        monkeypatch.setattr(
            "opsdesk.incidents.paging.page_on_call", lambda **kw: pages.append(kw["reason"])
        )
        incident = open_incident(desk_agent, caller, impact=1, urgency=1)
        assert incident.priority == 1 and incident.major_proposed
        assert pages == ["opened"]
        assert "incident.major_proposed" in topics()

    def test_low_priority_is_not_paged(self, desk_agent, caller, monkeypatch):
        pages = []
        monkeypatch.setattr("opsdesk.incidents.paging.page_on_call", lambda **kw: pages.append(kw))
        open_incident(desk_agent, caller, impact=3, urgency=2)
        assert pages == []


class TestRouting:
    def test_first_matching_rule_wins(self, desk_agent, caller):
        network, erp = TeamFactory(name="Network Operations"), TeamFactory(name="ERP")
        AssignmentRule.objects.create(
            name="VPN", order=1, keywords="vpn, tunnel", assignment_group=network
        )
        AssignmentRule.objects.create(
            name="Finance", order=2, caller_department="finance", assignment_group=erp
        )
        assert (
            open_incident(desk_agent, caller, short_description="VPN drops").assignment_group
            == network
        )
        assert (
            open_incident(desk_agent, caller, short_description="Ledger slow").assignment_group
            == erp
        )

    def test_rule_on_category_and_channel(self, desk_agent, caller, team):
        net = TeamFactory(name="Network Operations")
        wifi = CategoryFactory(name="Wi-Fi")
        AssignmentRule.objects.create(
            name="Wi-Fi by chat", category=wifi, channel="chat", assignment_group=net
        )
        assert (
            open_incident(desk_agent, caller, category=wifi, channel="chat").assignment_group == net
        )
        assert (
            open_incident(desk_agent, caller, category=wifi, channel="email").assignment_group
            == team
        )

    def test_falls_back_to_the_cis_supporting_team(self, desk_agent, caller):
        storage = TeamFactory(name="Server & Storage")
        server = make_ci("srv-db-01", supporting_team=storage)
        assert open_incident(desk_agent, caller, ci=server).assignment_group == storage

    def test_round_robin_and_least_loaded(self, desk_agent, caller):
        group = TeamFactory(name="Tier 2")
        a, b = UserFactory(roles=[Role.AGENT]), UserFactory(roles=[Role.AGENT])
        group.members.add(a, b)
        rule = AssignmentRule.objects.create(
            name="rr", keywords="disk", assignment_group=group, auto_assign="round_robin"
        )
        picks = [
            open_incident(desk_agent, caller, short_description="disk full").assignee
            for _ in range(3)
        ]
        assert picks == [a, b, a]
        assert all(
            i.state == State.IN_PROGRESS for i in Incident.objects.filter(assignee__isnull=False)
        )
        rule.auto_assign = "least_loaded"
        rule.save()
        assert open_incident(desk_agent, caller, short_description="disk").assignee == b

    def test_ci_fills_affected_business_services(self, desk_agent, caller):
        payroll = make_ci("Payroll", "business_service", criticality=1)
        app = make_ci("payroll-app", "application")
        server = make_ci("srv-pay-01")
        depends(payroll, app)
        depends(app, server, "runs_on")
        incident = open_incident(desk_agent, caller, ci=server)
        assert list(incident.affected_services.all()) == [payroll]
        other = make_ci("srv-other")
        updated = services.incident_update(actor=desk_agent, incident=incident, ci=other)
        assert list(updated.affected_services.all()) == []


class TestUpdate:
    def test_impact_change_recomputes_priority(self, desk_agent, incident):
        updated = services.incident_update(
            actor=desk_agent,
            incident=incident,
            impact=1,
            urgency=1,
            expected_version=incident.version,
        )
        assert updated.priority == 1 and updated.version == incident.version + 1
        assert TimelineEntry.objects.filter(data__field="priority").exists()

    def test_stale_version_is_refused(self, desk_agent, incident):
        services.incident_update(actor=desk_agent, incident=incident, description="one")
        with pytest.raises(StaleVersion):
            services.incident_update(
                actor=desk_agent,
                incident=incident,
                description="two",
                expected_version=incident.version,
            )

    def test_state_cannot_be_edited_directly(self, desk_agent, incident):
        with pytest.raises(ValidationFailed) as failure:
            services.incident_update(actor=desk_agent, incident=incident, state="closed")
        assert "state" in failure.value.fields

    def test_requester_cannot_edit(self, caller, incident):
        with pytest.raises(NotPermitted):
            services.incident_update(actor=caller, incident=incident, description="mine")

    def test_override_priority_needs_a_reason_and_is_audited(self, desk_agent, incident):
        with pytest.raises(ValidationFailed):
            services.incident_override_priority(
                actor=desk_agent, incident=incident, priority=2, reason=" "
            )
        updated = services.incident_override_priority(
            actor=desk_agent, incident=incident, priority=2, reason="CEO's laptop"
        )
        assert updated.priority == 2 and updated.priority_overridden
        assert AuditEntry.objects.filter(action="incident.priority_overridden").exists()
        # The matrix no longer moves an overridden priority.
        again = services.incident_update(actor=desk_agent, incident=updated, urgency=3)
        assert again.priority == 2


class TestAssignment:
    def test_assignee_must_be_in_the_group(self, desk_agent, incident):
        outsider = UserFactory(roles=[Role.AGENT])
        with pytest.raises(ValidationFailed) as failure:
            services.incident_assign(
                actor=desk_agent,
                incident=incident,
                assignment_group=incident.assignment_group,
                assignee=outsider,
            )
        assert "assignee" in failure.value.fields

    def test_assigning_a_person_starts_work_once(self, desk_agent, incident):
        updated = services.incident_assign(
            actor=desk_agent,
            incident=incident,
            assignment_group=incident.assignment_group,
            assignee=desk_agent,
        )
        assert updated.state == State.IN_PROGRESS and updated.assignee == desk_agent
        first = updated.first_assigned_at
        again = services.incident_assign(
            actor=desk_agent, incident=updated, assignment_group=TeamFactory(name="Other")
        )
        assert again.assignee is None and again.first_assigned_at == first

    def test_cannot_assign_a_closed_incident(self, desk_agent):
        closed = IncidentFactory(state=State.CLOSED)
        with pytest.raises(TransitionRefused):
            services.incident_assign(
                actor=desk_agent, incident=closed, assignment_group=closed.assignment_group
            )

    def test_escalation_goes_to_the_next_tier(self, desk_agent, incident, team):
        tier2 = TeamFactory(name="Tier 2")
        team.escalation_team = tier2
        team.save()
        escalated = services.incident_escalate(
            actor=desk_agent, incident=incident, reason="Needs a DBA"
        )
        assert escalated.assignment_group == tier2 and escalated.escalation_level == 1
        assert "incident.escalated" in topics()
        with pytest.raises(TransitionRefused) as refusal:
            services.incident_escalate(actor=desk_agent, incident=escalated)
        assert "escalation team" in refusal.value.message


class TestConversation:
    def test_first_public_agent_comment_is_the_first_response(self, desk_agent, caller, incident):
        services.incident_comment(actor=caller, incident=incident, body="Any news?")
        services.incident_comment(
            actor=desk_agent, incident=incident, body="Looking", internal=True
        )
        incident.refresh_from_db()
        assert incident.first_response_at is None
        services.incident_comment(actor=desk_agent, incident=incident, body="On it")
        incident.refresh_from_db()
        first = incident.first_response_at
        assert first is not None
        services.incident_comment(actor=desk_agent, incident=incident, body="Again")
        incident.refresh_from_db()
        assert incident.first_response_at == first

    def test_requester_cannot_write_work_notes(self, caller, incident):
        with pytest.raises(NotPermitted):
            services.incident_comment(actor=caller, incident=incident, body="x", internal=True)

    def test_empty_comment_is_refused(self, desk_agent, incident):
        with pytest.raises(ValidationFailed) as failure:
            services.incident_comment(actor=desk_agent, incident=incident, body="  ")
        assert "body" in failure.value.fields

    def test_acknowledge_sets_response_once(self, desk_agent, incident):
        acked = services.incident_acknowledge(actor=desk_agent, incident=incident)
        assert acked.acknowledged_at and acked.first_response_at == acked.acknowledged_at
        again = services.incident_acknowledge(actor=desk_agent, incident=acked)
        assert again.acknowledged_at == acked.acknowledged_at and again.version == acked.version


class TestResolutionByCaller:
    def test_caller_confirms_or_rejects(self, caller):
        from django.utils import timezone

        resolved = IncidentFactory(state=State.RESOLVED, caller=caller, resolved_at=timezone.now())
        assert (
            services.incident_confirm_resolution(actor=caller, incident=resolved).state
            == State.CLOSED
        )
        other = IncidentFactory(state=State.RESOLVED, caller=caller, resolved_at=timezone.now())
        reopened = services.incident_reject_resolution(
            actor=caller, incident=other, reason="Still failing"
        )
        assert reopened.state == State.IN_PROGRESS and reopened.reopen_count == 1


class TestAutoClose:
    def at(self, *args):
        return datetime(*args, tzinfo=UTC)

    def test_counts_business_days_only(self, settings):
        settings.OPSDESK_INCIDENT_AUTO_CLOSE_DAYS = 2
        friday = IncidentFactory(state=State.RESOLVED, resolved_at=self.at(2025, 3, 7, 10))
        # Monday 11:00 is one business day after Friday 10:00: not yet.
        assert auto_close.incident_auto_close_due(now=self.at(2025, 3, 10, 11)) == 0
        assert auto_close.incident_auto_close_due(now=self.at(2025, 3, 11, 11)) == 1
        friday.refresh_from_db()
        assert friday.state == State.CLOSED and friday.closed_at == self.at(2025, 3, 11, 11)
        # Running again closes nothing twice.
        assert auto_close.incident_auto_close_due(now=self.at(2025, 3, 12, 11)) == 0


class TestBulk:
    def test_bulk_assign_and_transition_report_refusals(self, desk_agent, team):
        a, b = (
            IncidentFactory(assignment_group=team),
            IncidentFactory(state=State.CLOSED, assignment_group=team),
        )
        report = services.incident_bulk_update(
            actor=desk_agent, incident_ids=[a.pk, b.pk], assignee=desk_agent
        )
        assert report.changed == [a.number] and list(report.refused) == [b.number]
        a.refresh_from_db()
        assert a.assignee == desk_agent

    def test_assign_and_start_together(self, desk_agent, team):
        # Assigning a new incident starts it; asking for "start" as well is not a refusal.
        team.members.add(desk_agent)
        fresh, working = (
            IncidentFactory(assignment_group=team),
            IncidentFactory(assignment_group=team, state=State.IN_PROGRESS),
        )
        report = services.incident_bulk_update(
            actor=desk_agent,
            incident_ids=[fresh.pk, working.pk],
            assignee=desk_agent,
            action="start",
            reason="Bulk update",
        )
        assert report.changed == [fresh.number] and list(report.refused) == [working.number]
        fresh.refresh_from_db()
        assert (fresh.state, fresh.assignee) == (State.IN_PROGRESS, desk_agent)

    def test_resolution_code_fixture(self):
        assert resolution_code().name == "Solved permanently"

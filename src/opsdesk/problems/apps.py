from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "opsdesk.problems"
    label = "problems"
    nav_items = [("Problems", "problems:queue", "agent")]

    def ready(self):
        _register_ticket_type()
        _add_panels()


def _register_ticket_type():
    from django.urls import reverse

    from opsdesk.core.roles import is_agent
    from opsdesk.core.tickets.registry import TicketType, default_visible_to, register
    from opsdesk.problems.clocks import PROBLEM_CLOCKS
    from opsdesk.problems.models import Problem
    from opsdesk.problems.queues import workspace_queues
    from opsdesk.problems.selectors import problem_list
    from opsdesk.problems.workflow import PROBLEM_WORKFLOW
    from opsdesk.sla.hold_reasons import register_states

    register(
        TicketType(
            key="problem",
            label="Problem",
            model=Problem,
            prefix=Problem.NUMBER_PREFIX,
            workflow=PROBLEM_WORKFLOW,
            url=lambda record: reverse("problems:detail", args=[record.number]),
            # The desk's own records: requesters see published workarounds, not problems.
            visible_to=lambda record, user: is_agent(user) and default_visible_to(record, user),
            visible=lambda viewer: problem_list(viewer=viewer),
            search_fields={
                "short_description": "A",
                "symptoms": "B",
                "description": "C",
                "root_cause": "C",
                "workaround": "C",
            },
            clocks=PROBLEM_CLOCKS,
            # The problem manager hears a problem is theirs; the other ticket facts mean
            # what they mean for every record type.
            notification_events={"manager_assigned": "manager_assigned"},
            # The workspace queue at /work/problem/, beside open, mine and unassigned.
            queues=workspace_queues(),
        )
    )
    register_states(record_type="problem", choices=PROBLEM_WORKFLOW.states.items())


def _add_panels():
    from opsdesk.core.tickets.registry import add_panel

    add_panel("problem", slot="after_details", template="core/tasks/_panel.html", order=10)
    # On an incident: the problems behind it, with the workaround, and raising one from it.
    add_panel("incident", slot="details", template="problems/_incident_panel.html", order=30)
    # While an agent logs an incident: known errors matching what is typed.
    add_panel("incident", slot="create", template="problems/_intake.html", order=10)
    # In the incident queue's bulk bar: a problem raised from the ticked incidents.
    add_panel("incident", slot="bulk", template="problems/_bulk_create.html", order=10)

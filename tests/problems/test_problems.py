"""Raising problems from incidents, linking with the impact tally, analysis, the known error,
its clocks, the incident page's panel, and who may do what."""

from datetime import date, timedelta

import pytest
from django.test import Client

from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import TicketHistory
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.services import incident_open
from opsdesk.problems import services
from opsdesk.problems.models import Problem, ProblemIncident
from tests.sla.factories import CalendarFactory, PolicyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers():
    return TeamFactory(name="Server & Storage")


@pytest.fixture
def engineer(servers):
    user = UserFactory(roles=[Role.AGENT, Role.PROBLEM_MANAGER], display_name="Pat Engineer")
    servers.members.add(user)
    return user


@pytest.fixture
def incidents(desk_agent, caller, team):
    other = UserFactory(roles=[Role.REQUESTER])
    return [
        incident_open(
            actor=desk_agent,
            caller=who,
            short_description=f"Payslips do not open ({n})",
            assignment_group=team,
        )
        for n, who in enumerate([caller, caller, other])
    ]


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_problem_raised_from_incidents_links_them_and_counts_the_impact(
    engineer, servers, incidents
):
    problem = services.problem_create(
        actor=engineer,
        short_description="Payroll PDFs time out",
        assignment_group=servers,
        incidents=incidents,
        reason="Same error in all three",
    )
    assert problem.number.startswith("PRB")
    problem.refresh_from_db()
    assert problem.incident_count == 3 and problem.people_affected == 2
    link = ProblemIncident.objects.filter(problem=problem).first()
    assert link.linked_by == engineer and link.reason == "Same error in all three"
    # Linking again adds nothing; the incident's timeline names the problem.
    assert (
        services.problem_link_incidents(actor=engineer, problem=problem, incidents=incidents) == 0
    )
    from opsdesk.core.timeline import timeline_for

    assert timeline_for(record=incidents[0]).filter(body__contains=problem.number).exists()


def test_the_lifecycle_from_analysis_to_closure(engineer, servers, incidents):
    problem = services.problem_create(
        actor=engineer, short_description="Payroll PDFs time out", assignment_group=servers
    )
    for action in ("assess", "analyse"):
        problem = services.problem_transition(actor=engineer, problem=problem, action=action)
    with pytest.raises(TransitionRefused) as refused:
        services.problem_transition(actor=engineer, problem=problem, action="known_error")
    assert {"symptoms", "root_cause", "workaround"} <= set(refused.value.fields)
    problem = services.problem_update(
        actor=engineer,
        problem=problem,
        whys=["PDFs time out", "The renderer queues", "One worker", "Default config", ""],
        contributing_factors=[{"category": "process", "text": "No capacity review"}],
        root_cause="The PDF renderer runs one worker.",
        symptoms="Payslip download spins, then fails.",
        workaround="Download from the HR portal's archive tab.",
    )
    assert problem.whys[-1] == "Default config"  # the empty why is dropped
    problem = services.problem_transition(actor=engineer, problem=problem, action="known_error")
    assert problem.root_cause_at is not None
    problem = services.problem_transition(actor=engineer, problem=problem, action="start_fix")
    problem = services.problem_transition(
        actor=engineer, problem=problem, action="resolve", reason="Renderer runs four workers."
    )
    assert problem.permanent_fix == "Renderer runs four workers."
    problem = services.problem_transition(actor=engineer, problem=problem, action="close")
    changes = list(
        TicketHistory.objects.filter(record_type="problem", change="state").values_list(
            "to_value", flat=True
        )
    )
    assert changes == [
        "assessed",
        "root_cause_analysis",
        "known_error",
        "fix_in_progress",
        "resolved",
        "closed",
    ]


def test_accepting_a_known_error_needs_a_reason_and_a_review_date(engineer, servers):
    problem = Problem.objects.get(
        pk=services.problem_create(
            actor=engineer, short_description="Old printers jam", assignment_group=servers
        ).pk
    )
    Problem.objects.filter(pk=problem.pk).update(
        state="known_error", symptoms="E42", root_cause="Worn rollers", workaround="Use floor 2"
    )
    with pytest.raises(TransitionRefused):
        services.problem_transition(actor=engineer, problem=problem, action="accept", reason="x")
    accepted = services.problem_transition(
        actor=engineer,
        problem=problem,
        action="accept",
        reason="Printers are replaced in March",
        review_on=date(2027, 3, 1),
    )
    assert accepted.state == "accepted" and accepted.review_on == date(2027, 3, 1)


@pytest.mark.parametrize(
    "values,field",
    [
        ({"whys": "not a list"}, "whys"),
        ({"contributing_factors": [{"category": "luck", "text": "bad"}]}, "contributing_factors"),
        ({"contributing_factors": [{"category": "process"}]}, "contributing_factors"),
        ({"state": "closed"}, "state"),
    ],
)
def test_bad_analysis_is_refused_with_the_field(engineer, servers, values, field):
    problem = services.problem_create(
        actor=engineer, short_description="X", assignment_group=servers
    )
    with pytest.raises(ValidationFailed) as refused:
        services.problem_update(actor=engineer, problem=problem, **values)
    assert field in refused.value.fields


def test_requesters_neither_see_nor_write_problems(engineer, servers, caller, incidents):
    with pytest.raises(NotPermitted):
        services.problem_create(actor=caller, short_description="Mine")
    problem = services.problem_create(
        actor=engineer, short_description="PDF", assignment_group=servers
    )
    client = signed_in(caller)
    assert client.get(f"/problems/{problem.number}/").status_code == 403
    assert client.get("/problems/").status_code == 403


def test_time_to_root_cause_is_met_when_it_becomes_a_known_error(engineer, servers):
    from opsdesk.sla.models import SlaTimer

    always = CalendarFactory(name="24x7", always_open=True, working_hours={})
    PolicyFactory(
        name="Problem P3",
        record_type="problem",
        conditions={},
        response_target=timedelta(days=5),
        response_calendar=always,
        resolution_target=timedelta(days=20),
    )
    problem = services.problem_create(
        actor=engineer, short_description="PDF", assignment_group=servers
    )
    for action in ("assess", "analyse"):
        problem = services.problem_transition(actor=engineer, problem=problem, action=action)
    services.problem_update(
        actor=engineer, problem=problem, symptoms="s", root_cause="r", workaround="w"
    )
    services.problem_transition(actor=engineer, problem=problem, action="known_error")
    response = SlaTimer.objects.get(record_type="problem", kind="response")
    resolution = SlaTimer.objects.get(record_type="problem", kind="resolution")
    assert response.state == "met" and resolution.state == "running"


def test_pages_raise_edit_and_link(engineer, servers, incidents):
    client = signed_in(engineer)
    form = client.get(f"/problems/new/?incidents={incidents[0].number}").content.decode()
    assert "Payslips do not open (0)" in form
    response = client.post(
        "/problems/new/",
        {
            "short_description": "Payroll PDFs time out",
            "impact": 2,
            "urgency": 2,
            "assignment_group": servers.pk,
            "incidents": f"{incidents[0].number}, INC9999999",
        },
    )
    assert "No such incident: INC9999999." in response.content.decode()
    assert not Problem.objects.exists()
    response = client.post(
        "/problems/new/",
        {
            "short_description": "Payroll PDFs time out",
            "impact": 2,
            "urgency": 2,
            "assignment_group": servers.pk,
            "incidents": incidents[0].number,
        },
        follow=True,
    )
    problem = Problem.objects.get()
    assert f"Problem {problem.number} is raised." in response.content.decode()
    page = client.post(
        f"/problems/{problem.number}/link/",
        {"incidents": incidents[1].number, "reason": "Same error"},
        follow=True,
    ).content.decode()
    assert "1 incident(s) linked" in page
    page = client.post(
        f"/problems/{problem.number}/edit/analysis/",
        {
            "rca-version": problem.version,
            "rca-root_cause": "One renderer worker.",
            "rca-factors_text": "luck: bad",
        },
        follow=True,
    ).content.decode()
    assert "Not saved" in page and "start with a category" in page
    page = client.post(
        f"/problems/{problem.number}/edit/analysis/",
        {
            "rca-version": Problem.objects.get().version,
            "rca-root_cause": "One renderer worker.",
            "rca-whys_text": "PDFs time out\nOne worker",
            "rca-factors_text": "technology: single worker",
        },
        follow=True,
    ).content.decode()
    assert f"{problem.number} is saved." in page and "One renderer worker." in page
    # The incident's page names the problem behind it.
    incident_page = client.get(f"/incidents/{incidents[0].pk}/").content.decode()
    assert problem.number in incident_page and "Known problem" in incident_page

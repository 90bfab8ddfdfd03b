"""The known-error database at work: published as knowledge articles, fixed with the
incidents resolved and their callers told, recurrences after the fix, problems raised from
the incident queue, the CSV export, the problem manager's mail and the problem queues."""

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from opsdesk.core.models import AuditEntry, OutboxEvent
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import assert_error_shape
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_open, incident_transition
from opsdesk.notifications.models import Delivery, InAppNotification
from opsdesk.problems import services
from opsdesk.problems.models import Problem, ProblemIncident, Recurrence
from opsdesk.servicedesk.knowledge import article_list
from opsdesk.servicedesk.models import KnowledgeArticle
from tests.cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db


def drain():
    """Deliver the outbox until it is empty (handlers publish facts of their own)."""
    for _ in range(10):
        delivered, failed = outbox_deliver_due()
        assert failed == 0, OutboxEvent.objects.exclude(last_error="").values("last_error")
        if not delivered:
            return
    raise AssertionError("the outbox never settled")


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def servers():
    return TeamFactory(name="Server & Storage")


@pytest.fixture
def manager(servers):
    user = UserFactory(
        roles=[Role.AGENT, Role.PROBLEM_MANAGER], display_name="Pat Problem", email="pat@x.test"
    )
    servers.members.add(user)
    return user


@pytest.fixture
def payroll():
    return CIFactory(name="Payroll")


def known_error(actor, team, *, services_=(), public=False, incidents=()):
    problem = services.problem_create(
        actor=actor,
        short_description="Payslip PDFs time out",
        assignment_group=team,
        services=services_,
        incidents=incidents,
    )
    for action in ("assess", "analyse"):
        problem = services.problem_transition(actor=actor, problem=problem, action=action)
    services.problem_update(
        actor=actor,
        problem=problem,
        symptoms="The payslip download spins and fails",
        root_cause="One PDF renderer worker for the whole company",
        workaround="Open the payslip from the HR portal's archive tab.",
        workaround_public=public,
    )
    return services.problem_transition(actor=actor, problem=problem, action="known_error")


# --- publishing a known error as a knowledge article -----------------------------------------
def test_publishing_writes_a_known_error_article_for_agents_only(manager, servers, caller):
    problem = known_error(manager, servers)
    page = signed_in(manager).post(f"/problems/{problem.number}/publish/", follow=True)
    assert "is sent to the knowledge base" in page.content.decode()
    drain()
    article = KnowledgeArticle.objects.get()
    assert (article.kind, article.state, article.audience) == (
        "known_error",
        "published",
        "internal",
    )
    assert article.problem == problem and article.title == "Known error: Payslip PDFs time out"
    assert "archive tab" in article.body and "PDF renderer worker" in article.body
    assert list(article_list(viewer=manager)) == [article]
    assert list(article_list(viewer=caller)) == []
    page = signed_in(manager).get(f"/problems/{problem.number}/").content.decode()
    assert (
        f"/portal/desk/knowledge/{article.pk}/" in page and "Publish the known error again" in page
    )
    desk_page = signed_in(manager).get(f"/portal/desk/knowledge/{article.pk}/").content.decode()
    assert "Known error" in desk_page and "known_error" not in desk_page
    assert signed_in(caller).get(f"/portal/knowledge/{article.number}/").status_code in (403, 404)


def test_publishing_again_updates_the_same_article_and_opens_it_to_requesters(
    manager, servers, caller
):
    problem = known_error(manager, servers)
    services.known_error_publish(actor=manager, problem=problem)
    drain()
    first = KnowledgeArticle.objects.get()
    problem = services.problem_update(
        actor=manager,
        problem=Problem.objects.get(pk=problem.pk),
        workaround="Download it from the archive tab instead.",
        workaround_public=True,
    )
    services.known_error_publish(actor=manager, problem=problem)
    drain()
    article = KnowledgeArticle.objects.get()
    assert article.pk == first.pk and article.version == first.version + 1
    assert article.audience == "public" and "archive tab instead" in article.body
    assert list(article_list(viewer=caller)) == [article]
    assert article.revisions.count() == 2
    page = signed_in(caller).get(f"/portal/knowledge/{article.number}/").content.decode()
    assert "archive tab instead" in page


def test_resolving_a_published_known_error_puts_the_fix_in_its_article(manager, servers):
    problem = known_error(manager, servers)
    services.known_error_publish(actor=manager, problem=problem)
    services.problem_transition(
        actor=manager,
        problem=Problem.objects.get(pk=problem.pk),
        action="resolve",
        reason="Four renderer workers",
    )
    drain()
    article = KnowledgeArticle.objects.get()
    assert "## Permanent fix\n\nFour renderer workers" in article.body


def test_only_a_complete_known_error_is_published(manager, servers, api):
    problem = services.problem_create(
        actor=manager, short_description="Slow ERP", assignment_group=servers
    )
    client = api(manager)
    response = client.post(f"/api/problems/problems/{problem.number}/publish/")
    assert_error_shape(response, 400, "state")
    problem = known_error(manager, servers)
    response = client.post(f"/api/problems/problems/{problem.number}/publish/")
    assert response.status_code == 200 and response.json()["published_at"]
    drain()
    assert KnowledgeArticle.objects.filter(problem=problem).count() == 1
    assert not KnowledgeArticle.objects.filter(problem__short_description="Slow ERP").exists()


# --- resolving a problem with its incidents --------------------------------------------------
@pytest.fixture
def calls(desk_agent, caller, team):
    other = UserFactory(roles=[Role.REQUESTER], email="sam@x.test")
    return [
        incident_open(
            actor=desk_agent,
            caller=who,
            short_description=f"My payslip will not open ({n})",
            assignment_group=team,
        )
        for n, who in enumerate([caller, other, caller])
    ]


def test_resolving_offers_and_resolves_the_open_incidents_with_a_message(
    manager, servers, calls, desk_agent
):
    first, held, done = calls
    incident_transition(actor=desk_agent, incident=held, action="start")
    incident_transition(
        actor=desk_agent, incident=held, action="hold", hold_reason="awaiting_caller"
    )
    from opsdesk.incidents.models import ResolutionCode

    incident_transition(
        actor=desk_agent,
        incident=done,
        action="resolve",
        resolution_code=ResolutionCode.objects.get(key="solved_permanently"),
        resolution_notes="Fixed by hand",
    )
    problem = known_error(manager, servers, incidents=calls)
    client = signed_in(manager)
    page = client.get(f"/problems/{problem.number}/").content.decode()
    assert "Resolve the 2 linked open incidents" in page
    drain()
    Delivery.objects.all().delete()
    page = client.post(
        f"/problems/{problem.number}/resolve/",
        {
            "reason": "Four renderer workers",
            "resolve_incidents": "on",
            "message": "Payslips open again; sorry for the wait.",
        },
        follow=True,
    ).content.decode()
    assert "is resolved" in page and "their callers get your message" in page
    problem = Problem.objects.get(pk=problem.pk)
    assert problem.state == "resolved" and problem.fixed_at is not None
    drain()
    first, held, done = (Incident.objects.get(pk=i.pk) for i in calls)
    assert (first.state, held.state) == ("resolved", "resolved")
    assert (
        "Payslips open again" in first.resolution_notes and problem.number in held.resolution_notes
    )
    assert done.resolution_notes == "Fixed by hand"
    # Each one audited as the problem's doing.
    audited = AuditEntry.objects.filter(action="problem.incident_resolved")
    assert sorted(e.object_id for e in audited) == sorted([str(first.pk), str(held.pk)])
    # Each caller hears through the incident's own resolution mail.
    mail = {d.address: d for d in Delivery.objects.filter(event="resolved")}
    assert {first.caller.email, held.caller.email} <= set(mail)
    assert "Payslips open again; sorry for the wait." in mail[held.caller.email].body_text


def test_resolving_incidents_needs_a_message_and_changes_nothing_without_it(
    manager, servers, calls
):
    problem = known_error(manager, servers, incidents=calls)
    page = (
        signed_in(manager)
        .post(
            f"/problems/{problem.number}/resolve/",
            {"reason": "Four workers", "resolve_incidents": "on", "message": " "},
            follow=True,
        )
        .content.decode()
    )
    assert "Tell the callers what was fixed." in page
    problem = Problem.objects.get(pk=problem.pk)
    assert problem.state == "known_error" and problem.fixed_at is None
    assert not OutboxEvent.objects.filter(topic="problem.incident_resolution_requested").exists()


def test_the_api_resolves_with_the_incidents(manager, servers, calls, api):
    problem = known_error(manager, servers, incidents=calls[:1])
    client = api(manager)
    response = client.post(
        f"/api/problems/problems/{problem.number}/resolve/",
        {"reason": "Fixed", "resolve_incidents": True, "message": ""},
        format="json",
    )
    assert_error_shape(response, 400, "message")
    response = client.post(
        f"/api/problems/problems/{problem.number}/resolve/",
        {"reason": "Fixed", "resolve_incidents": True, "message": "It works again."},
        format="json",
    )
    assert response.status_code == 200 and response.json()["fixed_at"]
    drain()
    assert Incident.objects.get(pk=calls[0].pk).state == "resolved"
    assert Incident.objects.get(pk=calls[1].pk).state != "resolved"  # not linked


# The fixed mark follows the moves: (move, state afterwards, fixed afterwards).
FIXED_AFTER = [
    ("resolve", "resolved", True),
    ("reopen", "root_cause_analysis", False),
    ("known_error", "known_error", False),
    ("resolve", "resolved", True),
    ("close", "closed", True),
]


def test_the_fixed_mark_follows_resolve_and_reopen(manager, servers):
    problem = known_error(manager, servers)
    for action, state, fixed in FIXED_AFTER:
        kwargs = {"reason": "Because"} if action in ("resolve", "reopen") else {}
        problem = services.problem_transition(
            actor=manager, problem=problem, action=action, **kwargs
        )
        assert (action, problem.state, problem.fixed_at is not None) == (action, state, fixed)


# --- recurrence after the fix ----------------------------------------------------------------
@pytest.fixture
def fixed(manager, servers, payroll):
    problem = known_error(manager, servers, services_=[payroll])
    return services.problem_transition(
        actor=manager, problem=problem, action="resolve", reason="Four workers"
    )


def test_a_like_incident_on_the_same_service_after_the_fix_is_a_recurrence(
    fixed, desk_agent, caller, payroll, manager
):
    incident = incident_open(
        actor=desk_agent, caller=caller, short_description="Payslip PDF times out", service=payroll
    )
    unrelated = incident_open(
        actor=desk_agent, caller=caller, short_description="Printer jammed", service=payroll
    )
    elsewhere = incident_open(actor=desk_agent, caller=caller, short_description="Payslip PDF")
    drain()
    recurrence = Recurrence.objects.get()
    assert (recurrence.problem, recurrence.incident, recurrence.via) == (fixed, incident, "matched")
    assert recurrence.fixed_at == fixed.fixed_at and recurrence.detected_at
    link = ProblemIncident.objects.get(incident=incident)
    assert link.via == "recurrence"
    assert not Recurrence.objects.filter(incident__in=[unrelated, elsewhere]).exists()
    page = signed_in(manager).get(f"/problems/{fixed.number}/").content.decode()
    assert "Recurrences after the fix (1)" in page and incident.number in page
    assert "Matched the known error" in page
    # Delivered again: still one.
    from opsdesk.flows.incidents_and_problems import flag_recurrence

    flag_recurrence(event_id=0, topic="incident.opened", payload={"incident_id": incident.pk})
    assert Recurrence.objects.count() == 1


def test_after_thirty_days_it_is_not_a_recurrence(fixed, desk_agent, caller, payroll):
    Problem.objects.filter(pk=fixed.pk).update(fixed_at=timezone.now() - timedelta(days=31))
    incident_open(
        actor=desk_agent, caller=caller, short_description="Payslip PDF times out", service=payroll
    )
    drain()
    assert not Recurrence.objects.exists()


def test_an_agent_linking_a_new_incident_after_the_fix_flags_it(
    fixed, desk_agent, caller, manager, api
):
    incident = incident_open(actor=desk_agent, caller=caller, short_description="Something odd")
    services.problem_link_incidents(actor=desk_agent, problem=fixed, incidents=[incident])
    recurrence = Recurrence.objects.get()
    assert (recurrence.incident, recurrence.via) == (incident, "linked")
    client = api(manager)
    assert client.get(f"/api/problems/problems/{fixed.number}/").json()["recurrence_count"] == 1


# --- a problem from the incident queue -------------------------------------------------------
def test_ticked_incidents_in_the_queue_open_the_problem_form_linked(manager, servers, calls):
    client = signed_in(manager)
    queue = client.get("/incidents/").content.decode()
    assert "Create a problem" in queue and "/problems/from-incidents/" in queue
    response = client.post(
        "/problems/from-incidents/", {"incidents": [calls[0].pk, calls[2].pk, "x"]}
    )
    assert response.status_code == 302
    form = client.get(response["Location"]).content.decode()
    assert f"{calls[0].number} {calls[2].number}" in form
    assert "My payslip will not open (0)" in form
    client.post(
        "/problems/new/",
        {
            "short_description": "Payslips",
            "impact": 2,
            "urgency": 2,
            "assignment_group": servers.pk,
            "incidents": f"{calls[0].number} {calls[2].number}",
        },
    )
    problem = Problem.objects.get()
    assert set(problem.incident_links.values_list("incident", flat=True)) == {
        calls[0].pk,
        calls[2].pk,
    }
    none = client.post("/problems/from-incidents/", {}, follow=True).content.decode()
    assert "Tick the incidents the problem explains." in none


# --- the KEDB as CSV -------------------------------------------------------------------------
def test_the_known_errors_download_as_csv_for_agents(manager, servers, payroll, calls, caller):
    problem = known_error(manager, servers, services_=[payroll], incidents=calls[:2])
    services.problem_update(
        actor=manager, problem=Problem.objects.get(pk=problem.pk), symptoms="=HYPERLINK(1)"
    )
    services.problem_create(actor=manager, short_description="Not known yet")
    client = signed_in(manager)
    assert (
        "Download the known errors (CSV)" in client.get("/problems/?queue=known").content.decode()
    )
    response = client.get("/problems/known-errors.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "Number",
        "Title",
        "State",
        "Services",
        "Symptoms",
        "Root cause",
        "Workaround",
        "Linked incidents",
        "Review date",
        "Fixed at",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Number"] == problem.number and row["State"] == "Known error"
    assert row["Services"] == "Payroll" and row["Linked incidents"] == "2"
    assert row["Symptoms"] == "'=HYPERLINK(1)" and row["Fixed at"] == ""
    assert signed_in(caller).get("/problems/known-errors.csv").status_code == 403


# --- the problem manager hears ---------------------------------------------------------------
def test_the_problem_manager_hears_a_problem_is_theirs(manager, servers, desk_agent):
    problem = services.problem_create(
        actor=desk_agent,
        short_description="VPN drops hourly",
        assignment_group=servers,
        problem_manager=manager,
    )
    drain()
    mail = Delivery.objects.get(address=manager.email, event="manager_assigned")
    assert problem.number in mail.body_text and "problem manager" in mail.body_text
    assert InAppNotification.objects.filter(user=manager, event="manager_assigned").exists()
    other = UserFactory(roles=[Role.AGENT, Role.PROBLEM_MANAGER], email="kim@x.test")
    services.problem_update(
        actor=desk_agent, problem=Problem.objects.get(pk=problem.pk), problem_manager=other
    )
    services.problem_update(
        actor=desk_agent, problem=Problem.objects.get(pk=problem.pk), description="More"
    )
    drain()
    assert Delivery.objects.filter(event="manager_assigned").count() == 2
    assert Delivery.objects.filter(address=other.email, event="manager_assigned").exists()


# --- queues ----------------------------------------------------------------------------------
def test_the_problem_queues_include_known_errors_awaiting_fix_and_overdue_root_cause(
    manager, servers
):
    from opsdesk.sla.services import sla_check_due
    from tests.sla.factories import CalendarFactory, PolicyFactory

    always = CalendarFactory(name="24x7", always_open=True, working_hours={})
    PolicyFactory(
        name="Problem P3",
        record_type="problem",
        conditions={},
        response_target=timedelta(days=5),
        response_calendar=always,
        resolution_target=timedelta(days=20),
    )
    late = services.problem_create(
        actor=manager, short_description="Late analysis", assignment_group=servers
    )
    known = known_error(manager, servers)
    sla_check_due(now=timezone.now() + timedelta(days=6))
    client = signed_in(manager)
    tabs = client.get("/problems/").content.decode()
    for label in ("Known errors", "Awaiting fix", "Overdue root cause"):
        assert label in tabs
    overdue = client.get("/problems/?queue=overdue").content.decode()
    assert late.number in overdue and known.number not in overdue
    fix = client.get("/problems/?queue=fix").content.decode()
    assert known.number in fix and late.number not in fix
    workspace = client.get("/work/problem/overdue/").content.decode()
    assert "Overdue root cause" in workspace
    assert late.number in workspace and known.number not in workspace

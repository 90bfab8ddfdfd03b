"""Known errors at intake: suggested by the words typed and the service, applied in one step;
requesters get only the workarounds they may apply themselves."""

import pytest
from django.test import Client

from opsdesk.incidents.models import Incident
from opsdesk.incidents.services import incident_open
from opsdesk.problems import services
from opsdesk.problems.models import Problem, ProblemIncident
from opsdesk.problems.selectors import known_error_suggestions

pytestmark = pytest.mark.django_db


def known_error(actor, team, title, symptoms, workaround, *, public=False, services_=()):
    problem = services.problem_create(
        actor=actor, short_description=title, assignment_group=team, services=services_
    )
    for action in ("assess", "analyse"):
        problem = services.problem_transition(actor=actor, problem=problem, action=action)
    services.problem_update(
        actor=actor,
        problem=problem,
        symptoms=symptoms,
        root_cause="Found",
        workaround=workaround,
        workaround_public=public,
    )
    return services.problem_transition(actor=actor, problem=problem, action="known_error")


@pytest.fixture
def errors(desk_agent, team):
    vpn = known_error(
        desk_agent,
        team,
        "VPN client drops the tunnel hourly",
        "VPN disconnects every hour, shared drives vanish",
        "Install GlobalProtect 6.2 from Software Center.",
        public=True,
    )
    payslip = known_error(
        desk_agent,
        team,
        "Payslip PDFs time out",
        "Payslip download spins and fails",
        "Open the payslip from the HR portal's archive tab.",
    )
    return vpn, payslip


def test_the_words_typed_find_the_known_error(desk_agent, errors):
    vpn, payslip = errors
    found = known_error_suggestions(viewer=desk_agent, text="my vpn keeps disconnecting")
    assert found[0] == vpn
    found = known_error_suggestions(viewer=desk_agent, text="payslip will not download")
    assert found[0] == payslip
    assert known_error_suggestions(viewer=desk_agent, text="printer toner") == []


def test_the_same_service_lifts_a_known_error(desk_agent, team):
    from tests.cmdb.factories import CIFactory

    payroll = CIFactory(name="Payroll")
    on_service = known_error(
        desk_agent, team, "Slow month end", "Everything is slow", "Wait", services_=[payroll]
    )
    known_error(desk_agent, team, "Slow laptops", "Everything is slow", "Restart")
    found = known_error_suggestions(viewer=desk_agent, text="slow", service_id=payroll.pk)
    assert found[0] == on_service


def test_requesters_see_only_public_workarounds(caller, errors):
    vpn, _ = errors
    found = known_error_suggestions(viewer=caller, text="vpn payslip")
    assert found == [vpn]


def test_applying_the_workaround_links_tells_the_caller_and_resolves(desk_agent, caller, errors):
    _, payslip = errors
    incident = incident_open(
        actor=desk_agent, caller=caller, short_description="Cannot open my payslip"
    )
    client = Client()
    client.force_login(desk_agent)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Known errors that may match" in page and payslip.number in page
    response = client.post(
        f"/problems/{payslip.number}/apply/", {"incident": incident.number}, follow=True
    )
    assert f"The workaround of {payslip.number} is sent" in response.content.decode()
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.state == "resolved" and incident.resolution_code.key == "workaround_applied"
    assert "archive tab" in incident.resolution_notes
    link = ProblemIncident.objects.get(incident=incident)
    assert link.via == "workaround" and link.linked_by == desk_agent
    assert Problem.objects.get(pk=payslip.pk).incident_count == 1


def test_the_intake_endpoint_answers_as_you_type(desk_agent, caller, errors):
    client = Client()
    client.force_login(desk_agent)
    page = client.get("/problems/suggest/", {"short_description": "vpn drops"}).content.decode()
    assert "GlobalProtect 6.2" in page and "Apply the workaround" not in page
    client.force_login(caller)
    page = client.get("/problems/suggest/", {"short_description": "payslip"}).content.decode()
    assert "archive tab" not in page
    form = Client()
    form.force_login(desk_agent)
    assert "Known errors that may match" in form.get("/incidents/new/").content.decode()


def test_a_problem_without_workaround_cannot_be_applied(desk_agent, caller, team):
    problem = services.problem_create(
        actor=desk_agent, short_description="Odd", assignment_group=team
    )
    incident = incident_open(actor=desk_agent, caller=caller, short_description="Odd")
    from opsdesk.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.known_error_apply(actor=desk_agent, problem=problem, incident=incident)


def test_a_requester_typing_a_known_problem_is_told_we_know_about_it(caller, errors):
    client = Client()
    client.force_login(caller)
    page = client.get(
        "/portal/report/suggestions/", {"short_description": "VPN keeps disconnecting"}
    ).content.decode()
    assert "We know about this: VPN client drops the tunnel hourly" in page
    assert "GlobalProtect 6.2" in page
    # The payslip workaround is the desk's: a requester is not shown it.
    page = client.get(
        "/portal/report/suggestions/", {"short_description": "payslip"}
    ).content.decode()
    assert "We know about this" not in page

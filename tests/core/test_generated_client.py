"""A client generated from ``/api/schema/`` works an incident from report to closure.

openapi-python-client turns the schema the app serves into a typed Python client, as an
integrator would. Generating it fails, or its models refuse what the API answers, whenever
the schema documents something other than what the API does; this test makes that visible.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from opsdesk.core.roles import Role
from opsdesk.core.services import token_create
from opsdesk.core.testing.factories import TeamFactory, UserFactory

pytest.importorskip("openapi_python_client")

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "opsdesk_client"
# Raw uploads (a CSV import, one RFC 822 message) have no typed form in a generated client.
RAW_UPLOADS = "Unsupported content type"


def generate_client(directory: Path):
    """Generate the client from the schema served in-process and import it."""
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200, schema.content[:500]
    (directory / "schema.json").write_bytes(schema.content)
    # No formatter afterwards: the generated code is imported, not read.
    (directory / "generator.yaml").write_text("post_hooks: []\n")
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(directory / "schema.json"),
            "--config",
            str(directory / "generator.yaml"),
            "--output-path",
            str(directory / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and (directory / PACKAGE).is_dir(), output
    problems = [w for w in output.split("WARNING")[1:] if RAW_UPLOADS not in w]
    assert not problems, "\n".join(problems)
    sys.path.insert(0, str(directory))
    importlib.invalidate_caches()
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(directory))


@pytest.fixture
def generated(tmp_path):
    package = generate_client(tmp_path)
    yield package
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def op(name: str):
    return importlib.import_module(f"{PACKAGE}.api.api.{name}")


def test_an_agent_works_an_incident_through_the_generated_client(
    django_db_serialized_rollback, transactional_db, live_server, generated
):
    models = importlib.import_module(f"{PACKAGE}.models")
    team = TeamFactory(name="Service Desk")
    desk_agent = UserFactory(username="sam", roles=[Role.AGENT])
    team.members.add(desk_agent)
    caller = UserFactory(username="carol", roles=[Role.REQUESTER])
    _, secret = token_create(actor=None, user=desk_agent, name="integration")
    # Closed before the live server stops: a kept-alive connection would outlive it.
    with generated.AuthenticatedClient(
        base_url=live_server.url, token=secret, raise_on_unexpected_status=True
    ) as client:
        work_the_incident(models, client, team=team, desk_agent=desk_agent, caller=caller)


def work_the_incident(models, client, *, team, desk_agent, caller):
    State = models.IncidentStateEnum

    created = op("api_incidents_incidents_create").sync(
        client=client,
        body=models.IncidentCreateRequest(
            short_description="Wi-Fi down on floor 3",
            caller=caller.pk,
            channel=models.IncidentChannelEnum.PHONE,
            impact=models.ImpactUrgencyEnum.VALUE_2,
            urgency=models.ImpactUrgencyEnum.VALUE_1,
        ),
    )
    assert created.state is State.NEW and created.number.startswith("INC")
    assert created.caller_detail.username == "carol"
    assert created.priority is models.PriorityEnum.VALUE_2
    pk = created.id

    assigned = op("api_incidents_incidents_assign_create").sync(
        pk,
        client=client,
        body=models.AssignRequest(assignment_group=team.pk, assignee=desk_agent.pk),
    )
    assert assigned.state is State.IN_PROGRESS
    assert assigned.assignee_detail.username == "sam"

    comment = op("api_incidents_incidents_comments_create").sync(
        pk, client=client, body=models.CommentRequest(body="On my way to floor 3")
    )
    assert comment.kind is models.TimelineEntryKindEnum.COMMENT
    assert comment.author.username == "sam"

    held = op("api_incidents_incidents_hold_create").sync(
        pk,
        client=client,
        body=models.HoldRequest(
            hold_reason=models.HoldReasonEnum.AWAITING_VENDOR, reason="Access point on order"
        ),
    )
    assert held.state is State.ON_HOLD and held.state_label == "On hold"
    assert held.hold_reason is models.HoldReasonEnum.AWAITING_VENDOR

    resumed = op("api_incidents_incidents_resume_create").sync(
        pk, client=client, body=models.ReasonRequest(reason="Access point delivered")
    )
    assert resumed.state is State.IN_PROGRESS

    resolved = op("api_incidents_incidents_resolve_create").sync(
        pk,
        client=client,
        body=models.ResolveRequest(
            resolution_code="solved_permanently", resolution_notes="Replaced the access point"
        ),
    )
    assert resolved.state is State.RESOLVED and resolved.resolved_at is not None
    assert resolved.resolution_notes == "Replaced the access point"

    closed = op("api_incidents_incidents_close_create").sync(
        pk, client=client, body=models.ReasonRequest()
    )
    assert closed.state is State.CLOSED and closed.closed_at >= closed.resolved_at

    fetched = op("api_incidents_incidents_retrieve").sync(pk, client=client)
    assert (fetched.state, fetched.state_label) == (State.CLOSED, "Closed")
    timeline = op("api_incidents_incidents_timeline_list").sync(pk, client=client)
    assert "On my way to floor 3" in [entry.body for entry in timeline]
    assert models.TimelineEntryKindEnum.STATE_CHANGE in {entry.kind for entry in timeline}

"""The problem API: raise from incidents, analyse, move, link; requesters get nothing."""

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.incidents.services import incident_open

pytestmark = pytest.mark.django_db


@pytest.fixture
def engineer():
    team = TeamFactory(name="Server & Storage")
    user = UserFactory(roles=[Role.AGENT, Role.PROBLEM_MANAGER])
    team.members.add(user)
    return user


def test_raise_analyse_and_move_through_the_api(engineer, desk_agent, caller, team):
    incident = incident_open(
        actor=desk_agent, caller=caller, short_description="VPN drops", assignment_group=team
    )
    api = client_for(engineer)
    created = api.post(
        "/api/problems/problems/",
        {
            "short_description": "VPN drops hourly",
            "assignment_group": "Server & Storage",
            "incident_numbers": [incident.number],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    number = body["number"]
    assert body["incidents"][0]["incident"] == incident.number and body["incident_count"] == 1
    for move in ("assess", "analyse"):
        assert (
            api.post(f"/api/problems/problems/{number}/{move}/", {}, format="json").status_code
            == 200
        )
    refused = api.post(f"/api/problems/problems/{number}/known_error/", {}, format="json")
    assert_error_shape(refused, 400, "root_cause")
    patched = api.patch(
        f"/api/problems/problems/{number}/",
        {"symptoms": "Drops hourly", "root_cause": "Token renewal", "workaround": "Upgrade to 6.2"},
        format="json",
    )
    assert patched.status_code == 200
    moved = api.post(f"/api/problems/problems/{number}/known_error/", {}, format="json")
    assert moved.json()["state_label"] == "Known error"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"short_description": ""}, "short_description"),
        ({"short_description": "X", "incident_numbers": ["INC0"]}, "incident_numbers"),
        ({"short_description": "X", "impact": 9}, "impact"),
    ],
)
def test_bad_input_gets_field_messages(engineer, payload, field):
    response = client_for(engineer).post("/api/problems/problems/", payload, format="json")
    assert_error_shape(response, 400, field)


def test_requesters_get_nothing(engineer, caller):
    number = (
        client_for(engineer)
        .post("/api/problems/problems/", {"short_description": "X"}, format="json")
        .json()["number"]
    )
    api = client_for(caller)
    assert api.get("/api/problems/problems/").json()["results"] == []
    assert api.get(f"/api/problems/problems/{number}/").status_code == 404
    assert_error_shape(
        api.post("/api/problems/problems/", {"short_description": "Mine"}, format="json"), 403
    )

"""The approvals API: my requests, approve and reject, and the schemes for administrators."""

import pytest

from opsdesk.approvals.models import ApprovalRequest, ApprovalScheme
from opsdesk.approvals.services import approval_start
from opsdesk.core.testing.factories import admin, agent
from tests.approvals.conftest import make_scheme

pytestmark = pytest.mark.django_db

REQUESTS = "/api/approvals/requests/"
SCHEMES = "/api/approvals/schemes/"


@pytest.fixture
def pending(order, desk_agent, approvers):
    approval = approval_start(
        subject=order,
        scheme=make_scheme({"from_users": approvers[:1]}),
        answers={"amount": 1200},
        requested_for=None,
        actor=desk_agent,
    )
    return ApprovalRequest.objects.get(run__approval=approval)


def test_my_requests_list_and_detail(api, pending, approvers, order):
    mine = api(approvers[0]).get(REQUESTS, {"state": "pending"}).json()["results"]
    assert [r["id"] for r in mine] == [pending.pk]
    detail = api(approvers[0]).get(f"{REQUESTS}{pending.pk}/").json()
    assert detail["subject"]["number"] == order.number
    assert detail["answers"] == {"amount": 1200} and detail["state_label"]


def test_others_requests_are_not_found(api, pending, approvers):
    other = api(approvers[1])
    assert other.get(REQUESTS).json()["results"] == []
    assert other.get(f"{REQUESTS}{pending.pk}/").status_code == 404
    assert other.post(f"{REQUESTS}{pending.pk}/approve/", {}).status_code == 404


def test_reject_with_a_comment(api, pending, approvers):
    response = api(approvers[0]).post(
        f"{REQUESTS}{pending.pk}/reject/", {"comment": "No budget"}, format="json"
    )
    assert response.status_code == 200
    assert (
        response.json()["state"] == "rejected" and response.json()["approval_state"] == "rejected"
    )
    again = api(approvers[0]).post(f"{REQUESTS}{pending.pk}/approve/", {}, format="json")
    assert again.status_code == 410 and again.json()["error"]["code"] == "already_decided"


def test_a_too_long_comment_is_a_field_error(api, pending, approvers):
    response = api(approvers[0]).post(
        f"{REQUESTS}{pending.pk}/approve/", {"comment": "x" * 4001}, format="json"
    )
    assert response.status_code == 400 and "comment" in response.json()["error"]["fields"]
    pending.refresh_from_db()
    assert pending.state == "pending"


def test_administrators_create_and_change_schemes(api, approvers):
    boss = admin()
    body = {
        "name": "Hardware over budget",
        "stages": [
            {"name": "Manager", "rule": "any", "from_manager": True},
            {
                "name": "Finance",
                "rule": "count",
                "required_count": 2,
                "from_users": [a.pk for a in approvers[:3]],
                "condition": "amount > 1000",
                "timeout_hours": 24,
                "timeout_action": "reject",
                "reminder_hours": 8,
            },
        ],
    }
    created = api(boss).post(SCHEMES, body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert [s["name"] for s in data["stages"]] == ["Manager", "Finance"]
    assert data["stages"][1]["from_users"] == [a.pk for a in approvers[:3]]
    changed = api(boss).patch(f"{SCHEMES}{data['id']}/", {"active": False}, format="json")
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert api(boss).delete(f"{SCHEMES}{data['id']}/").status_code == 204


@pytest.mark.parametrize(
    "stage,field",
    [
        ({"name": "N", "rule": "count", "from_manager": True}, "stages[0].required_count"),
        (
            {"name": "S", "rule": "share", "required_percent": 150, "from_manager": True},
            "stages[0].required_percent",
        ),
        (
            {"name": "C", "rule": "any", "condition": "amount >> 1", "from_manager": True},
            "stages[0].condition",
        ),
        (
            {
                "name": "E",
                "rule": "any",
                "timeout_hours": 4,
                "timeout_action": "escalate",
                "from_manager": True,
            },
            "stages[0].fallback_approver",
        ),
        ({"name": "Nobody", "rule": "any"}, "stages[0].from_users"),
    ],
)
def test_bad_stages_are_field_errors_and_write_nothing(api, stage, field):
    response = api(admin()).post(SCHEMES, {"name": "Broken", "stages": [stage]}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not ApprovalScheme.objects.filter(name="Broken").exists()


def test_a_duplicate_name_is_a_field_error(api):
    make_scheme({"from_manager": True}, name="Taken")
    response = api(admin()).post(
        SCHEMES,
        {"name": "Taken", "stages": [{"name": "M", "rule": "any", "from_manager": True}]},
        format="json",
    )
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]


def test_schemes_are_for_administrators_only(api):
    assert api(agent()).get(SCHEMES).status_code == 403


def test_the_schema_describes_the_approvals_api(api):
    schema = api(admin()).get("/api/schema/", {"format": "json"}).json()
    assert "/api/approvals/requests/{id}/approve/" in schema["paths"]
    assert "/api/approvals/schemes/" in schema["paths"]

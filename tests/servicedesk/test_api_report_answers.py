"""Reporting through the API asks the portal's question, and the answer means the same urgency."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import requester
from opsdesk.incidents.models import Incident

pytestmark = pytest.mark.django_db

LIST = "incident-list"


def api_report(user, **fields):
    body = {"short_description": "VPN drops every hour", **fields}
    return client_for(user).post(reverse(LIST), body, format="json")


def portal_report(client, user, work):
    client.force_login(user)
    data = {"short_description": "VPN drops", "who": "me", "work": work}
    client.post(reverse("servicedesk:report"), data)
    return Incident.objects.filter(caller=user).latest("id")


@pytest.mark.parametrize("answer", ["yes", "slow", "no"])
def test_api_answer_gives_the_urgency_the_portal_gives(client, alice, answer):
    made = api_report(alice, can_keep_working=answer)
    assert made.status_code == 201, made.content
    through_api = Incident.objects.get(pk=made.json()["id"])
    through_portal = portal_report(client, requester(), answer)
    assert through_api.urgency == through_portal.urgency
    # Impact stays the desk's: the default, whatever the requester says about working.
    assert through_api.impact == 3
    assert made.json()["urgency"] == through_api.urgency
    assert "can_keep_working" not in made.json()


def test_blocked_requester_gets_high_urgency_and_the_matching_priority(alice):
    made = api_report(alice, can_keep_working="no").json()
    assert (made["impact"], made["urgency"]) == (3, 1)
    # impact 3 x urgency 1 in the seeded matrix.
    assert made["priority"] == 3


@pytest.mark.parametrize("field", ["impact", "urgency", "priority"])
def test_requester_still_cannot_set_itil_fields(alice, field):
    refused = api_report(alice, **{field: 1}, can_keep_working="no")
    error = assert_error_shape(refused, 400, field=field)
    assert "can_keep_working" in error["message"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("answer", ["blocked", "", 1, None])
def test_unknown_answer_is_a_field_error(alice, answer):
    refused = api_report(alice, can_keep_working=answer)
    assert_error_shape(refused, 400, field="can_keep_working")
    assert not Incident.objects.exists()


def test_agent_may_answer_instead_of_urgency_but_not_both(desk_agent):
    made = api_report(desk_agent, can_keep_working="slow", impact=1)
    assert made.status_code == 201 and (made.json()["impact"], made.json()["urgency"]) == (1, 2)
    both = api_report(desk_agent, can_keep_working="slow", urgency=1)
    assert_error_shape(both, 400, field="can_keep_working")
    assert Incident.objects.count() == 1


def test_anonymous_cannot_report(db):
    body = {"short_description": "x", "can_keep_working": "no"}
    assert_error_shape(APIClient().post(reverse(LIST), body, format="json"), 401)


def test_the_schema_documents_the_question_for_create_only(admin_user_):
    schema = client_for(admin_user_).get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    create = components["IncidentCreateRequest"]["properties"]["can_keep_working"]
    (enum_ref,) = [part["$ref"] for part in create["allOf"]]
    enum = components[enum_ref.rsplit("/", 1)[-1]]["enum"]
    assert enum == ["yes", "slow", "no"]
    assert "Can you keep working?" in create["description"]
    assert "can_keep_working" not in components["Incident"]["properties"]
    assert "can_keep_working" not in components.get("PatchedIncidentUpdateRequest", {}).get(
        "properties", {}
    )

"""Related records: symmetric links between two tickets, for agents, audited, in both timelines."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import AuditEntry, RecordLink
from opsdesk.core.related import record_link, record_unlink, related_records
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.core.timeline import timeline_for
from opsdesk.incidents.testing import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vpn(team, caller):
    return IncidentFactory(assignment_group=team, caller=caller, number="INC0001234")


@pytest.fixture
def mail(team, caller):
    return IncidentFactory(assignment_group=team, caller=caller, number="INC0001240")


def numbers(viewer, record):
    return [item.number for item in related_records(viewer=viewer, record=record)]


def system_entries(record):
    return list(timeline_for(record=record).filter(kind="system").values_list("body", flat=True))


# --- services --------------------------------------------------------------------------------
def test_a_link_shows_on_both_records(desk_agent, vpn, mail):
    link = record_link(actor=desk_agent, record=vpn, other=mail)
    assert numbers(desk_agent, vpn) == ["INC0001240"]
    assert numbers(desk_agent, mail) == ["INC0001234"]
    assert system_entries(vpn) == ["Related to INC0001240."]
    assert system_entries(mail) == ["Related to INC0001234."]
    entry = AuditEntry.objects.get(action="record_link.created")
    assert entry.actor == desk_agent and entry.object_id == str(link.pk)
    assert entry.changes["records"]["to"] == ["INC0001234", "INC0001240"]


def test_the_same_pair_in_either_direction_is_refused(desk_agent, vpn, mail):
    record_link(actor=desk_agent, record=vpn, other=mail)
    for record, other in ((vpn, mail), (mail, vpn)):
        with pytest.raises(ValidationFailed) as refusal:
            record_link(actor=desk_agent, record=record, other=other)
        assert "already related" in refusal.value.message and "number" in refusal.value.fields
    assert RecordLink.objects.count() == 1


def test_a_record_cannot_be_related_to_itself(desk_agent, vpn):
    with pytest.raises(ValidationFailed) as refusal:
        record_link(actor=desk_agent, record=vpn, other=vpn)
    assert "itself" in refusal.value.message
    assert not RecordLink.objects.exists()


def test_requesters_neither_link_nor_see_links(desk_agent, caller, vpn, mail):
    with pytest.raises(NotPermitted):
        record_link(actor=caller, record=vpn, other=mail)
    link = record_link(actor=desk_agent, record=vpn, other=mail)
    assert numbers(caller, vpn) == []
    with pytest.raises(NotPermitted):
        record_unlink(actor=caller, link=link)
    assert RecordLink.objects.count() == 1


def test_a_confidential_record_stays_hidden_from_agents_outside_its_group(desk_agent, vpn):
    hr_case = IncidentFactory(confidential=True, assignment_group=TeamFactory(name="HR"))
    outsider = UserFactory(roles=[Role.AGENT])
    with pytest.raises(ValidationFailed):
        record_link(actor=outsider, record=vpn, other=hr_case)
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    record_link(actor=admin, record=vpn, other=hr_case)
    assert numbers(outsider, vpn) == []
    assert numbers(admin, vpn) == [hr_case.number]


def test_unlink_removes_it_from_both_and_says_so(desk_agent, vpn, mail):
    link = record_link(actor=desk_agent, record=vpn, other=mail)
    record_unlink(actor=desk_agent, link=link)
    assert numbers(desk_agent, vpn) == numbers(desk_agent, mail) == []
    assert "No longer related to INC0001240." in system_entries(vpn)
    assert "No longer related to INC0001234." in system_entries(mail)
    assert AuditEntry.objects.filter(action="record_link.deleted", actor=desk_agent).exists()


# --- API -------------------------------------------------------------------------------------
def links_url(record):
    return reverse("record-links", kwargs={"record_type": "incident", "id": record.pk})


def link_url(record, link_id):
    kwargs = {"record_type": "incident", "id": record.pk, "link_id": link_id}
    return reverse("record-link", kwargs=kwargs)


def test_api_link_by_number_list_on_both_sides_and_unlink(desk_agent, vpn, mail):
    client = client_for(desk_agent)
    made = client.post(links_url(vpn), {"number": "inc1240"}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["number"] == "INC0001240" and body["record_type"] == "incident"
    assert body["record_type_label"] == "Incident" and body["record_id"] == mail.pk
    assert body["url"] == reverse("incidents:detail", args=[mail.pk])
    assert body["linked_by"]["id"] == desk_agent.pk
    other_side = client.get(links_url(mail)).json()
    assert [item["number"] for item in other_side] == ["INC0001234"]
    assert other_side[0]["id"] == body["id"]
    assert client.delete(link_url(mail, body["id"])).status_code == 204
    assert client.get(links_url(vpn)).json() == []
    assert_error_shape(client.delete(link_url(mail, body["id"])), 404)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"number": "INC0099999"}, "No record INC0099999"),
        ({"number": "hello"}, "No record HELLO"),
        ({"number": "INC0001234"}, "itself"),
        ({"number": ""}, "number"),
        ({}, "number"),
    ],
    ids=["unknown", "not-a-number", "self", "blank", "missing"],
)
def test_api_bad_numbers_are_field_errors(desk_agent, vpn, given, message):
    response = client_for(desk_agent).post(links_url(vpn), given, format="json")
    error = assert_error_shape(response, 400, field="number")
    assert message in error["message"]
    assert not RecordLink.objects.exists()


def test_api_duplicate_is_a_field_error(desk_agent, vpn, mail):
    client = client_for(desk_agent)
    assert client.post(links_url(vpn), {"number": mail.number}, format="json").status_code == 201
    again = client.post(links_url(mail), {"number": vpn.number}, format="json")
    error = assert_error_shape(again, 400, field="number")
    assert "already related" in error["message"]


def test_api_refuses_requesters_and_anonymous(desk_agent, caller, vpn, mail):
    link = record_link(actor=desk_agent, record=vpn, other=mail)
    requester = client_for(caller)
    assert_error_shape(requester.get(links_url(vpn)), 403)
    assert_error_shape(requester.post(links_url(vpn), {"number": mail.number}, format="json"), 403)
    assert_error_shape(requester.delete(link_url(vpn, link.pk)), 403)
    anonymous = APIClient()
    assert_error_shape(anonymous.get(links_url(vpn)), 401)
    assert_error_shape(anonymous.delete(link_url(vpn, link.pk)), 401)
    assert RecordLink.objects.count() == 1


def test_api_hidden_record_is_404_and_its_number_unknown(desk_agent, vpn):
    hr_case = IncidentFactory(confidential=True, assignment_group=TeamFactory(name="HR"))
    client = client_for(desk_agent)
    assert_error_shape(client.get(links_url(hr_case)), 404)
    refused = client.post(links_url(vpn), {"number": hr_case.number}, format="json")
    assert_error_shape(refused, 400, field="number")
    unknown_type = reverse("record-links", kwargs={"record_type": "spaceship", "id": vpn.pk})
    assert_error_shape(client.get(unknown_type), 404)


def test_api_unlink_of_another_records_link_is_404(desk_agent, vpn, mail, team):
    third = IncidentFactory(assignment_group=team)
    link = record_link(actor=desk_agent, record=vpn, other=mail)
    assert_error_shape(client_for(desk_agent).delete(link_url(third, link.pk)), 404)
    assert RecordLink.objects.count() == 1

"""The on-call API: CRUD suites, the team lead's rights, who is on call, spans and gaps."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory, requester
from opsdesk.oncall.models import Override, Schedule
from tests.oncall.factories import (
    MONDAY_0900,
    EscalationPolicyFactory,
    LayerFactory,
    OverrideFactory,
    ScheduleFactory,
    staff,
)


class TestScheduleAPI(APICrudSuite):
    basename = "schedule"
    factory = ScheduleFactory
    update_data = {"description": "Weekend cover included"}

    def make_for_filters(self):
        ScheduleFactory()  # another team's schedule
        layer = LayerFactory(people=[staff()])
        return layer.schedule

    invalid_data = {"time_zone": "Mars/Olympus"}
    reader_roles = [Role.AGENT, Role.TEAM_LEAD]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]
    supports_delete = True

    def create_body(self):
        person = staff()
        return {
            "team": TeamFactory().pk,
            "name": "Primary",
            "time_zone": "Europe/London",
            "layers": [
                {
                    "name": "Weekly",
                    "priority": 1,
                    "turn": "weekly",
                    "handoff_time": "09:00",
                    "rotation_start": "2025-01-06T09:00:00Z",
                    "time_zone": "Europe/London",
                    "restrictions": [],
                    "participants": [person.pk],
                }
            ],
        }


class TestOverrideAPI(APICrudSuite):
    basename = "override"
    factory = OverrideFactory
    update_data = {"note": "Swapped with Ann"}

    def make_for_filters(self):
        OverrideFactory()  # on another schedule, for another person
        return OverrideFactory()

    invalid_data = {"end": "2025-01-07T11:00:00Z"}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]

    def create_body(self):
        return {
            "schedule": ScheduleFactory().pk,
            "user": staff().pk,
            "start": "2025-01-07T12:00:00Z",
            "end": "2025-01-07T18:00:00Z",
        }


class TestEscalationPolicyAPI(APICrudSuite):
    basename = "escalation-policy"
    factory = EscalationPolicyFactory
    update_data = {"repeat": 2}

    def make_for_filters(self):
        EscalationPolicyFactory(team=TeamFactory())
        return EscalationPolicyFactory(team=TeamFactory())

    invalid_data = {"repeat": 42}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]

    def create_body(self):
        return {
            "team": TeamFactory().pk,
            "name": "Default",
            "repeat": 2,
            "steps": [
                {"target": "team_on_call", "delay_minutes": 15},
                {"target": "team_lead", "delay_minutes": 15},
            ],
        }


@pytest.fixture
def rota(db):
    ann, bob = staff(display_name="Ann"), staff(display_name="Bob")
    lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD])
    team = TeamFactory(lead=lead)
    schedule = ScheduleFactory(team=team)
    LayerFactory(schedule=schedule, people=[ann, bob])
    return team, schedule, ann, bob, lead


def now_url(team):
    return reverse("oncall-team-now", kwargs={"team_id": team.pk})


def test_who_is_on_call_at_a_given_time(rota):
    team, _schedule, _ann, bob, _lead = rota
    client = client_for(staff())
    body = client.get(now_url(team), {"at": "2025-01-14T10:00:00Z"}).json()
    assert [p["id"] for p in body["on_call"]] == [bob.pk]
    body = client.get(now_url(team), {"at": "2025-01-01T10:00:00+00:00"}).json()
    assert body["on_call"] == []  # before the rotation starts: a gap


def test_now_refuses_bad_input_and_outsiders(rota):
    team, *_ = rota
    client = client_for(staff())
    assert_error_shape(client.get(now_url(team), {"at": "next tuesday"}), 400, field="at")
    assert_error_shape(client.get(reverse("oncall-team-now", kwargs={"team_id": 999999})), 404)
    assert_error_shape(client_for(requester()).get(now_url(team)), 403)


def test_spans_report_people_and_gaps(rota):
    _team, schedule, ann, bob, _lead = rota
    url = reverse("schedule-spans", kwargs={"pk": schedule.pk})
    response = client_for(staff()).get(
        url, {"start": "2025-01-05T09:00:00Z", "end": "2025-01-20T12:00:00Z"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [s["user"]["id"] for s in body["spans"]] == [ann.pk, bob.pk, ann.pk]
    assert body["spans"][0]["start"].startswith("2025-01-06T09:00")
    assert body["gaps"] == [{"start": "2025-01-05T09:00:00Z", "end": "2025-01-06T09:00:00Z"}]


def test_spans_refuse_reversed_or_huge_windows(rota):
    _team, schedule, *_ = rota
    url = reverse("schedule-spans", kwargs={"pk": schedule.pk})
    client = client_for(staff())
    assert_error_shape(client.get(url, {"start": "2025-02-01", "end": "2025-01-01"}), 400, "end")
    assert_error_shape(client.get(url, {"start": "2025-01-01", "end": "2026-01-01"}), 400, "end")


def test_team_lead_manages_own_team_only(rota):
    team, schedule, _ann, bob, lead = rota
    client = client_for(lead)
    body = {
        "schedule": schedule.pk,
        "user": bob.pk,
        "start": "2025-01-07T12:00:00Z",
        "end": "2025-01-07T13:00:00Z",
    }
    created = client.post(reverse("override-list"), body, format="json")
    assert created.status_code == 201, created.content
    elsewhere = ScheduleFactory()
    refused = client.post(
        reverse("override-list"), {**body, "schedule": elsewhere.pk}, format="json"
    )
    assert_error_shape(refused, 403)
    moved = client.patch(
        reverse("override-detail", kwargs={"pk": created.json()["id"]}),
        {"schedule": elsewhere.pk},
        format="json",
    )
    assert_error_shape(moved, 403)
    assert Override.objects.get(pk=created.json()["id"]).schedule == schedule
    at = datetime(2025, 1, 7, 12, 30, tzinfo=UTC).isoformat()
    on_call = client.get(now_url(team), {"at": at}).json()["on_call"]
    assert [p["id"] for p in on_call] == [bob.pk]


def test_agent_cannot_delete_but_lead_can(rota):
    _team, schedule, *_rest, lead = rota
    url = reverse("schedule-detail", kwargs={"pk": schedule.pk})
    assert_error_shape(client_for(staff()).delete(url), 403)
    assert client_for(lead).delete(url).status_code == 204
    assert not Schedule.objects.filter(pk=schedule.pk).exists()
    assert AuditEntry.objects.filter(action="schedule.deleted").exists()


def test_layer_errors_name_the_layer_and_write_nothing(rota):
    team, *_ = rota
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    before = (Schedule.objects.count(), AuditEntry.objects.count())
    response = client_for(admin).post(
        reverse("schedule-list"),
        {
            "team": team.pk,
            "name": "Broken",
            "layers": [
                {
                    "name": "Custom",
                    "priority": 1,
                    "turn": "custom",
                    "rotation_start": "2025-01-06T09:00:00Z",
                    "participants": [requester().pk],
                }
            ],
        },
        format="json",
    )
    error = assert_error_shape(response, 400)
    assert {"layers.0.turn_seconds", "layers.0.participants"} <= set(error["fields"])
    assert (Schedule.objects.count(), AuditEntry.objects.count()) == before


def test_schedule_detail_lists_participants_in_order(rota):
    _team, schedule, ann, bob, _lead = rota
    body = client_for(staff()).get(reverse("schedule-detail", kwargs={"pk": schedule.pk})).json()
    assert body["layers"][0]["participants"] == [ann.pk, bob.pk]
    assert body["layers"][0]["participant_details"][1]["display_name"] == "Bob"


def test_now_defaults_to_the_present(rota):
    team, *_ = rota
    body = client_for(staff()).get(now_url(team)).json()
    at = datetime.fromisoformat(body["at"].replace("Z", "+00:00"))
    assert abs(at - datetime.now(UTC)) < timedelta(minutes=5)
    assert at > MONDAY_0900


@pytest.mark.django_db
def test_bad_escalation_steps_are_named_by_position():
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    response = client_for(admin).post(
        reverse("escalation-policy-list"),
        {
            "team": TeamFactory().pk,
            "name": "Broken",
            "steps": [
                {"target": "team_on_call", "delay_minutes": 15},
                {"target": "user", "delay_minutes": 5},
            ],
        },
        format="json",
    )
    error = assert_error_shape(response, 400)
    assert "steps.1.user" in error["fields"]
    pigeon = client_for(admin).post(
        reverse("escalation-policy-list"),
        {"team": TeamFactory().pk, "name": "P", "steps": [{"target": "carrier_pigeon"}]},
        format="json",
    )
    assert_error_shape(pigeon, 400, field="steps.0.target")

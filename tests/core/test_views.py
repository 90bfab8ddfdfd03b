"""People and team pages through the UI base suite, plus what is particular to each."""

import pytest
from django.urls import reverse

from opsdesk.core.models import AuditEntry, Team, User
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, admin, agent
from opsdesk.core.testing.views import ViewCrudSuite, browser_for, form_post_data


class TestPeoplePages(ViewCrudSuite):
    list_url = "core:user-list"
    detail_url = "core:user-detail"
    create_url = "core:user-create"
    edit_url = "core:user-edit"
    factory = UserFactory
    create_data = {
        "username": "n.okafor",
        "display_name": "Ngozi Okafor",
        "email": "n.okafor@example.com",
        "department": "Legal",
        "time_zone": "Europe/Berlin",
        "is_active": "on",
        "roles": ["agent"],
        "password": "a long enough passphrase 42",
    }
    created_lookup = {"username": "n.okafor"}
    invalid_data = {"email": "not an address"}
    edit_changes = {"department": "Logistics", "phone": "+44 20 7946 0000"}
    reader_roles = [Role.AGENT, Role.TEAM_LEAD]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]

    def test_created_person_gets_roles_and_can_sign_in(self, client):
        self.writer().post(reverse(self.create_url), self.create_body())
        person = User.objects.get(username="n.okafor")
        assert list(person.groups.values_list("name", flat=True)) == ["agent"]
        signed_in = client.post(
            reverse("core:login"),
            {"username": "n.okafor", "password": "a long enough passphrase 42"},
        )
        assert signed_in.status_code == 302

    def test_weak_initial_password_is_refused(self):
        response = self.writer().post(
            reverse(self.create_url), {**self.create_body(), "password": "123"}
        )
        assert "password" in response.context["form"].errors
        assert not User.objects.filter(username="n.okafor").exists()

    def test_taken_username_is_a_field_error(self):
        UserFactory(username="N.Okafor")
        response = self.writer().post(reverse(self.create_url), self.create_body())
        assert response.context["form"].errors["username"] == ["Someone already has this username."]

    def test_role_change_is_audited(self):
        person = agent()
        client = self.writer()
        body = self.edit_body(client, person)
        body["roles"] = ["agent", "team lead"]
        client.post(reverse(self.edit_url, kwargs={"pk": person.pk}), body)
        assert sorted(person.groups.values_list("name", flat=True)) == ["agent", "team lead"]
        assert AuditEntry.objects.filter(
            action="user.roles_changed", object_id=str(person.pk)
        ).exists()

    @pytest.mark.parametrize(
        "query, expected",
        [
            ({"q": "zanzibar"}, ["zanzi"]),
            ({"role": "team lead"}, ["lead"]),
            ({"department": "Legal"}, ["zanzi"]),
            ({"team": "network"}, ["lead"]),
        ],
    )
    def test_filters(self, query, expected):
        UserFactory(username="zanzi", display_name="Zoe Zanzibar", department="Legal")
        lead = UserFactory(username="lead", roles=[Role.TEAM_LEAD], department="IT")
        team = TeamFactory(name="Network")
        team.members.add(lead)
        if "team" in query:
            query = {"team": team.pk}
        response = browser_for(admin(username="boss", department="IT")).get(
            reverse(self.list_url), query
        )
        found = [u.username for u in response.context["page_obj"].object_list]
        assert found == expected

    def test_no_match_offers_to_clear_the_filters(self):
        response = self.reader().get(reverse(self.list_url), {"q": "nobody-by-this-name"})
        assert "Nobody matches these filters" in response.content.decode()


class TestTeamPages(ViewCrudSuite):
    list_url = "core:team-list"
    detail_url = "core:team-detail"
    create_url = "core:team-create"
    edit_url = "core:team-edit"
    factory = TeamFactory
    create_data = {"name": "Network Operations", "type": "operations"}
    created_lookup = {"name": "Network Operations"}
    invalid_data = {"type": "no-such-type"}
    edit_changes = {"description": "Routers, switches and firewalls"}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER, Role.APPROVER]

    def test_members_and_lead_are_saved(self):
        lead, member = agent(), agent()
        response = self.writer().post(
            reverse(self.create_url),
            {**self.create_body(), "lead": lead.pk, "members": [lead.pk, member.pk]},
        )
        team = Team.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])
        assert team.lead == lead
        assert set(team.members.all()) == {lead, member}

    def test_a_team_cannot_escalate_to_itself(self):
        team = TeamFactory()
        client = self.writer()
        body = self.edit_body(client, team)
        body["escalation_team"] = team.pk
        response = client.post(reverse(self.edit_url, kwargs={"pk": team.pk}), body)
        assert response.status_code == 200
        assert "escalation_team" in response.context["form"].errors
        team.refresh_from_db()
        assert team.escalation_team is None and team.version == 1

    def test_duplicate_name_is_a_field_error(self):
        TeamFactory(name="Service Desk")
        response = self.writer().post(
            reverse(self.create_url), {"name": "service desk", "type": "service_desk"}
        )
        assert response.context["form"].errors["name"]
        assert Team.objects.filter(name__iexact="service desk").count() == 1

    def test_type_filter(self):
        TeamFactory(name="Desk", type="service_desk")
        TeamFactory(name="Apps", type="application")
        response = self.reader().get(reverse(self.list_url), {"type": "application"})
        assert [t.name for t in response.context["page_obj"].object_list] == ["Apps"]

    def test_edit_form_round_trips_unchanged(self):
        """Saving an untouched form changes nothing: no version bump, no audit noise."""
        team = TeamFactory(description="As is")
        client = self.writer()
        page = client.get(reverse(self.edit_url, kwargs={"pk": team.pk}))
        before = AuditEntry.objects.count()
        client.post(
            reverse(self.edit_url, kwargs={"pk": team.pk}), form_post_data(page.context["form"])
        )
        team.refresh_from_db()
        assert team.version == 1
        assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_edit_without_a_version_is_refused():
    team = TeamFactory(description="Before")
    client = browser_for(admin())
    response = client.post(
        reverse("core:team-edit", kwargs={"pk": team.pk}),
        {"name": team.name, "type": team.type, "description": "After"},
    )
    assert response.status_code == 200
    team.refresh_from_db()
    assert team.description == "Before"


def test_a_malformed_multipart_body_is_a_400_not_a_500(client):
    boundary = "b0undary"
    body = f"--{boundary}\r\nX-Big: {'a' * 20000}\r\n\r\nx\r\n--{boundary}--\r\n"
    response = client.post(
        "/api/incidents/incidents/",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert "malformed" in response.json()["error"]["message"]


def test_a_form_body_to_the_pagerduty_endpoint_is_refused_not_a_500(client):
    response = client.post("/v2/enqueue", {"routing_key": "x"})
    assert response.status_code < 500

"""The CMDB API: CRUD through the generic suite, permission boundaries, validation, impact."""

import pytest
from django.urls import reverse

from opsdesk.cmdb.models import ConfigurationItem, Relationship
from opsdesk.core.models import AuditEntry, OutboxEvent
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from tests.cmdb.factories import CIFactory, business_service, ci_class, link

pytestmark = pytest.mark.django_db


class TestConfigurationItemAPI(APICrudSuite):
    basename = "ci"
    factory = CIFactory
    create_data = {"name": "esx-lon-07", "ci_class": "server", "criticality": 2}
    update_data = {"status": "maintenance", "vendor": "Dell"}
    invalid_data = {"criticality": 7}
    reader_roles = [Role.AGENT, Role.SERVICE_OWNER]
    writer_roles = [Role.ADMINISTRATOR, Role.SERVICE_OWNER]
    outsider_roles = [Role.REQUESTER]

    def make_for_filters(self):
        TeamFactory(name="Network")  # another team, so filtering by the CI's own drops it
        return CIFactory(service_owner=UserFactory(), location="Leeds DC1")


class TestRelationshipAPI(APICrudSuite):
    basename = "relationship"
    invalid_data = {"type": "likes"}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.SERVICE_OWNER]
    outsider_roles = [Role.REQUESTER]
    filter_cases = {"ci": lambda rel: (str(rel.source_id), str(CIFactory().pk))}

    @staticmethod
    def factory():
        return link(CIFactory(), "runs_on", CIFactory())

    def create_body(self):
        return {"source": CIFactory().pk, "type": "hosted_on", "target": CIFactory().pk}

    editable = False  # relationships are created and removed, never edited


def url(name, **kwargs):
    return reverse(name, kwargs=kwargs or None)


def user(*roles):
    return UserFactory(roles=list(roles))


def test_requester_sees_business_services_only_even_when_guessing_ids():
    service = business_service("Payroll")
    server = CIFactory(name="esx-01")
    client = client_for(user(Role.REQUESTER))
    listing = client.get(url("ci-list"))
    assert [row["id"] for row in listing.json()["results"]] == [service.pk]
    assert client.get(url("ci-detail", pk=service.pk)).status_code == 200
    assert_error_shape(client.get(url("ci-detail", pk=server.pk)), 404)
    assert_error_shape(client.get(url("ci-impact", pk=server.pk)), 403)
    assert_error_shape(client.get(url("ci-dependencies", pk=service.pk)), 403)
    assert_error_shape(client.patch(url("ci-detail", pk=service.pk), {"vendor": "x"}), 403)
    assert_error_shape(client.get(url("relationship-list")), 403)
    assert ConfigurationItem.objects.get(pk=service.pk).vendor == ""


def test_agent_reads_but_cannot_change():
    ci = CIFactory()
    client = client_for(user(Role.AGENT))
    assert client.get(url("ci-detail", pk=ci.pk)).status_code == 200
    response = client.patch(url("ci-detail", pk=ci.pk), {"status": "retired"}, format="json")
    assert_error_shape(response, 403)
    response = client.post(
        url("relationship-list"), {"source": ci.pk, "type": "runs_on", "target": CIFactory().pk}
    )
    assert_error_shape(response, 403)
    assert not Relationship.objects.exists()


def test_attributes_are_checked_against_the_class_schema():
    client = client_for(user(Role.SERVICE_OWNER))
    body = {"name": "db-erp", "ci_class": "database", "attributes": {"engine": "excel", "port": 0}}
    error = assert_error_shape(client.post(url("ci-list"), body, format="json"), 400, "attributes")
    assert any("excel" in m for m in error["fields"]["attributes"])
    assert any("port" in m for m in error["fields"]["attributes"])
    body["attributes"] = {"engine": "postgresql", "port": 5432}
    assert client.post(url("ci-list"), body, format="json").status_code == 201


def test_the_supporting_team_must_own_infrastructure():
    desk = TeamFactory(name="Service Desk", type="service_desk")
    client = client_for(user(Role.ADMINISTRATOR))
    body = {"name": "esx-09", "ci_class": "server", "supporting_team": desk.pk}
    assert_error_shape(client.post(url("ci-list"), body, format="json"), 400, "supporting_team")
    assert not ConfigurationItem.objects.filter(name="esx-09").exists()


def test_names_are_unique_per_class_only():
    CIFactory(name="erp")
    client = client_for(user(Role.ADMINISTRATOR))
    dup = client.post(url("ci-list"), {"name": "erp", "ci_class": "server"}, format="json")
    assert_error_shape(dup, 400)
    assert "already exists" in dup.json()["error"]["message"]
    other = client.post(url("ci-list"), {"name": "erp", "ci_class": "application"}, format="json")
    assert other.status_code == 201


def test_relationships_refuse_self_loops_and_duplicates():
    a, b = CIFactory(), CIFactory()
    client = client_for(user(Role.ADMINISTRATOR))
    loop = client.post(
        url("relationship-list"), {"source": a.pk, "type": "depends_on", "target": a.pk}
    )
    assert "itself" in assert_error_shape(loop, 400)["message"]
    body = {"source": a.pk, "type": "depends_on", "target": b.pk}
    assert client.post(url("relationship-list"), body).status_code == 201
    assert (
        "already" in assert_error_shape(client.post(url("relationship-list"), body), 400)["message"]
    )
    assert Relationship.objects.count() == 1


def test_removing_a_relationship_is_audited_and_published():
    rel = link(CIFactory(), "runs_on", CIFactory())
    client = client_for(user(Role.SERVICE_OWNER))
    assert client.delete(url("relationship-detail", pk=rel.pk)).status_code == 204
    assert not Relationship.objects.exists()
    assert AuditEntry.objects.filter(action="relationship.deleted").exists()
    assert OutboxEvent.objects.filter(topic="cmdb.relationship.deleted").exists()


def test_impact_and_dependencies_endpoints():
    service = business_service("Email & Calendar")
    app = CIFactory(name="exchange", ci_class=ci_class("application"))
    vm = CIFactory(name="vm-mail-01", ci_class=ci_class("virtual_machine"))
    link(service, "depends_on", app)
    link(app, "runs_on", vm)
    client = client_for(user(Role.AGENT))
    impact = client.get(url("ci-impact", pk=vm.pk)).json()
    assert impact["start"]["name"] == "vm-mail-01"
    [item] = impact["items"]
    assert item["ci"]["name"] == "Email & Calendar"
    assert [c["name"] for c in item["path"]] == ["vm-mail-01", "exchange", "Email & Calendar"]
    assert [h["label"] for h in item["hops"]] == ["runs on", "depends on"]
    assert "exchange runs on vm-mail-01" in item["explanation"]
    deps = client.get(url("ci-dependencies", pk=service.pk), {"max_depth": 1}).json()
    assert [i["ci"]["name"] for i in deps["items"]] == ["exchange"]
    assert deps["depth_limit_reached"] is True
    bad = client.get(url("ci-impact", pk=vm.pk), {"max_depth": "lots"})
    assert_error_shape(bad, 400, "max_depth")


def test_updates_are_published_to_the_outbox():
    ci = CIFactory()
    client = client_for(user(Role.ADMINISTRATOR))
    client.patch(url("ci-detail", pk=ci.pk), {"status": "retired"}, format="json")
    event = OutboxEvent.objects.get(topic="cmdb.ci.updated")
    assert event.payload["status"] == {"from": "in_use", "to": "retired"}


def test_classes_are_listed_with_their_schema():
    response = client_for(user(Role.AGENT)).get(url("ci-class-list"))
    keys = {row["key"] for row in response.json()}
    assert {"business_service", "server", "network_device", "cloud_resource", "other"} <= keys
    assert len(keys) == 12

"""CMDB pages: filters and pagination, the CI page's panels, forms, and who may use them."""

import pytest
from django.urls import reverse

from opsdesk.cmdb.models import ConfigurationItem, Relationship
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from tests.cmdb.factories import CIFactory, business_service, ci_class, link

pytestmark = pytest.mark.django_db


def signed_in(client, *roles):
    client.force_login(UserFactory(roles=list(roles)))
    return client


def test_list_filters_by_class_status_and_criticality(client):
    signed_in(client, Role.AGENT)
    CIFactory(name="esx-01", criticality=1)
    CIFactory(name="esx-02", criticality=3, status="retired")
    business_service("Payroll")
    page = client.get(reverse("cmdb:ci-list"), {"ci_class": "server", "criticality": 1})
    assert b"esx-01" in page.content and b"esx-02" not in page.content
    assert b"Payroll" not in page.content
    page = client.get(reverse("cmdb:ci-list"), {"status": "retired"})
    assert b"esx-02" in page.content and b"esx-01" not in page.content


def test_list_is_paginated(client):
    signed_in(client, Role.AGENT)
    CIFactory.create_batch(30)
    first = client.get(reverse("cmdb:ci-list"))
    assert len(first.context["page_obj"].object_list) == 25
    assert b"Page 1 of 2" in first.content
    assert len(client.get(reverse("cmdb:ci-list"), {"page": 2}).context["page_obj"]) == 5


def test_ci_page_shows_impacted_services_and_the_graph(client):
    signed_in(client, Role.AGENT)
    service = business_service("Payroll")
    vm = CIFactory(name="vm-payroll-01", ci_class=ci_class("virtual_machine"))
    link(service, "depends_on", vm)
    page = client.get(reverse("cmdb:ci-detail", args=[vm.pk]))
    html = page.content.decode()
    assert "Impacted services" in html
    assert "Payroll depends on vm-payroll-01" in html
    assert "<svg" in html and reverse("cmdb:ci-detail", args=[service.pk]) in html
    assert "style=" not in html and "<script>" not in html  # the strict CSP allows neither
    assert "Edit" not in html  # agents read only


def test_requester_sees_services_only_and_no_relationships(client):
    signed_in(client, Role.REQUESTER)
    service = business_service("Payroll")
    server = CIFactory(name="esx-01")
    link(service, "depends_on", server)
    listing = client.get(reverse("cmdb:ci-list"))
    assert b"Payroll" in listing.content and b"esx-01" not in listing.content
    detail = client.get(reverse("cmdb:ci-detail", args=[service.pk]))
    assert detail.status_code == 200 and b"esx-01" not in detail.content
    assert client.get(reverse("cmdb:ci-detail", args=[server.pk])).status_code == 404
    assert client.get(reverse("cmdb:ci-create")).status_code == 403


def test_service_owner_creates_and_edits_a_ci(client):
    signed_in(client, Role.SERVICE_OWNER)
    form = {
        "name": "db-erp",
        "ci_class": ci_class("database").pk,
        "status": "in_use",
        "environment": "production",
        "criticality": 1,
        "attributes": '{"engine": "oracle"}',
    }
    response = client.post(reverse("cmdb:ci-create"), form)
    ci = ConfigurationItem.objects.get(name="db-erp")
    assert response.status_code == 302 and ci.attributes == {"engine": "oracle"}
    edit = {**form, "vendor": "Oracle", "version": ci.version}
    assert client.post(reverse("cmdb:ci-edit", args=[ci.pk]), edit).status_code == 302
    ci.refresh_from_db()
    assert (ci.vendor, ci.version) == ("Oracle", 2)
    stale = client.post(reverse("cmdb:ci-edit", args=[ci.pk]), {**edit, "vendor": "Other"})
    assert stale.status_code == 200 and b"changed by someone else" in stale.content
    ci.refresh_from_db()
    assert ci.vendor == "Oracle"


def test_form_shows_schema_errors_next_to_the_field(client):
    signed_in(client, Role.ADMINISTRATOR)
    form = {
        "name": "db-erp",
        "ci_class": ci_class("database").pk,
        "status": "in_use",
        "environment": "production",
        "criticality": 1,
        "attributes": '{"engine": "excel"}',
    }
    response = client.post(reverse("cmdb:ci-create"), form)
    assert response.status_code == 200
    assert "excel" in " ".join(response.context["form"].errors["attributes"])
    assert not ConfigurationItem.objects.exists()


def test_relationships_are_added_and_removed_from_the_ci_page(client):
    signed_in(client, Role.SERVICE_OWNER)
    vm = CIFactory(name="vm-01", ci_class=ci_class("virtual_machine"))
    host = CIFactory(name="esx-01")
    add = reverse("cmdb:relationship-add", args=[vm.pk])
    body = {
        "direction": "out",
        "type": "hosted_on",
        "other_class": "server",
        "other_name": "ESX-01",
    }
    client.post(add, body)
    rel = Relationship.objects.get()
    assert (rel.source, rel.type, rel.target) == (vm, "hosted_on", host)
    client.post(add, {**body, "other_name": "vm-01", "other_class": "virtual_machine"})
    assert Relationship.objects.count() == 1  # a self-loop is refused
    client.post(reverse("cmdb:relationship-delete", args=[vm.pk, rel.pk]))
    assert not Relationship.objects.exists()


def test_agents_cannot_post_changes(client):
    signed_in(client, Role.AGENT)
    vm, host = CIFactory(), CIFactory()
    response = client.post(
        reverse("cmdb:relationship-add", args=[vm.pk]),
        {"direction": "out", "type": "hosted_on", "other_class": "server", "other_name": host.name},
    )
    assert response.status_code == 403
    assert not Relationship.objects.exists()

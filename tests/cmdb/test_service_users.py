"""Who uses a service: consumer departments and subscribers, their rules, reads and screens."""

import json

import pytest
from django.urls import reverse

from opsdesk.cmdb import services
from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.cmdb.selectors import service_users, services_used_by
from opsdesk.cmdb.transfer import cmdb_export, cmdb_import
from opsdesk.core.errors import NotPermitted, StaleVersion, ValidationFailed
from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import UserFactory
from tests.cmdb.factories import CIFactory, business_service, ci_class

pytestmark = pytest.mark.django_db


def person(username, department="", roles=(Role.REQUESTER,), **kwargs):
    return UserFactory(username=username, department=department, roles=list(roles), **kwargs)


@pytest.fixture
def owner():
    return person("owner", "IT", roles=[Role.SERVICE_OWNER])


# --- the rules ----------------------------------------------------------------------------------
def test_business_and_technical_services_take_users_and_names_are_tidied(owner):
    ann = person("ann", "Finance")
    payroll = services.ci_create(
        actor=owner,
        name="Payroll",
        ci_class=ci_class("business_service"),
        consumer_departments=["  Finance ", "finance", "Human Resources", ""],
        subscribers=[ann],
    )
    assert payroll.consumer_departments == ["Finance", "Human Resources"]
    assert list(payroll.subscribers.all()) == [ann]
    sso = services.ci_create(
        actor=owner,
        name="Single sign-on",
        ci_class=ci_class("technical_service"),
        consumer_departments=["IT"],
    )
    assert sso.consumer_departments == ["IT"]


def test_other_classes_are_refused_field_by_field_and_nothing_is_written(owner):
    ann = person("ann", "Finance")
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as refusal:
        services.ci_create(
            actor=owner,
            name="esx-01",
            ci_class=ci_class("server"),
            consumer_departments=["Finance"],
            subscribers=[ann],
        )
    assert set(refusal.value.fields) == {"consumer_departments", "subscribers"}
    assert "business and technical services" in refusal.value.fields["subscribers"][0]
    assert not ConfigurationItem.objects.filter(name="esx-01").exists()
    assert AuditEntry.objects.count() == before


def test_a_service_with_users_cannot_silently_become_a_server(owner):
    payroll = business_service("Payroll")
    payroll.subscribers.add(person("ann"))
    with pytest.raises(ValidationFailed) as refusal:
        services.ci_update(actor=owner, ci=payroll, ci_class=ci_class("server"))
    assert "remove them" in refusal.value.fields["subscribers"][0]
    moved = services.ci_update(actor=owner, ci=payroll, ci_class=ci_class("server"), subscribers=[])
    assert moved.ci_class.key == "server" and not moved.subscribers.exists()


def test_departments_must_be_a_list_of_short_names(owner):
    payroll = business_service("Payroll")
    for bad in ("Finance", [1, 2], ["x" * 101]):
        with pytest.raises(ValidationFailed) as refusal:
            services.ci_update(actor=owner, ci=payroll, consumer_departments=bad)
        assert "consumer_departments" in refusal.value.fields
    assert ConfigurationItem.objects.get(pk=payroll.pk).consumer_departments == []


def test_editing_subscribers_is_audited_and_versioned(owner):
    payroll = business_service("Payroll")
    ann = person("ann")
    updated = services.ci_update(
        actor=owner, ci=payroll, subscribers=[ann], expected_version=payroll.version
    )
    assert updated.version == payroll.version + 1
    entry = AuditEntry.objects.filter(object_id=str(payroll.pk)).latest("id")
    assert entry.changes["subscribers"] == {"from": [], "to": [ann.pk]}
    with pytest.raises(StaleVersion):
        services.ci_update(actor=owner, ci=updated, subscribers=[], expected_version=1)


# --- following -----------------------------------------------------------------------------------
def test_following_is_idempotent_audited_and_makes_an_open_edit_stale(owner):
    payroll = business_service("Payroll")
    ann = person("ann")
    services.service_subscribe(actor=ann, service=payroll)
    services.service_subscribe(actor=ann, service=payroll)
    assert list(payroll.subscribers.all()) == [ann]
    payroll.refresh_from_db()
    assert payroll.version == 2
    actions = AuditEntry.objects.filter(object_id=str(payroll.pk)).values_list("action", flat=True)
    assert list(actions) == ["configurationitem.subscribed"]
    # An editor's form opened at version 1 would drop Ann: it is refused instead.
    with pytest.raises(StaleVersion):
        services.ci_update(actor=owner, ci=payroll, vendor="ADP", expected_version=1)
    services.service_unsubscribe(actor=ann, service=payroll)
    services.service_unsubscribe(actor=ann, service=payroll)
    assert not payroll.subscribers.exists()


def test_requesters_follow_business_services_only():
    ann = person("ann")
    with pytest.raises(ValidationFailed) as refusal:
        services.service_subscribe(actor=ann, service=CIFactory(name="esx-01"))
    assert "service" in refusal.value.fields
    sso = CIFactory(name="Single sign-on", ci_class=ci_class("technical_service"))
    with pytest.raises(NotPermitted):
        services.service_subscribe(actor=ann, service=sso)
    agent = person("dana", "IT", roles=[Role.AGENT])
    services.service_subscribe(actor=agent, service=sso)
    assert list(sso.subscribers.all()) == [agent]


# --- the selector ------------------------------------------------------------------------------
def test_service_users_are_active_department_members_and_subscribers_each_once():
    payroll = business_service("Payroll", consumer_departments=["Finance", "human resources"])
    store = business_service("Online Store", consumer_departments=["Sales"])
    ann = person("ann", "FINANCE")
    hugo = person("hugo", "Human Resources")  # named in another case on the service
    both = person("bea", "Finance")
    follower = person("fred", "Legal")
    person("gone", "Finance", is_active=False)
    person("sam", "Sales")
    person("nobody", "")
    payroll.subscribers.add(both, follower)
    store.subscribers.add(both)
    users = list(service_users([payroll.pk]))
    assert sorted(u.username for u in users) == ["ann", "bea", "fred", "hugo"]
    assert ann in users and hugo in users
    # Several services at once: still each person once.
    names = [u.username for u in service_users([payroll.pk, store.pk])]
    assert sorted(names) == ["ann", "bea", "fred", "hugo", "sam"]
    assert list(service_users([])) == []


def test_the_selector_asks_the_database_twice_however_many_users(django_assert_num_queries):
    payroll = business_service("Payroll", consumer_departments=["Finance"])
    for n in range(30):
        person(f"fin{n}", "Finance")
        payroll.subscribers.add(person(f"fan{n}", "Legal"))
    with django_assert_num_queries(2):
        assert len(list(service_users([payroll.pk]))) == 60


def test_a_server_never_has_users_even_when_written_behind_the_services_back():
    server = CIFactory(name="esx-01", consumer_departments=["Finance"])
    person("ann", "Finance")
    assert list(service_users([server.pk])) == []


def test_services_used_by_a_person_are_their_departments_and_their_follows():
    payroll = business_service("Payroll", consumer_departments=["Finance"])
    store = business_service("Online Store")
    business_service("Email")
    ann = person("ann", "finance")
    store.subscribers.add(ann)
    assert services_used_by(user=ann) == {payroll.pk, store.pk}
    assert services_used_by(user=person("nobody", "")) == set()


# --- API ----------------------------------------------------------------------------------------
def test_api_writes_users_and_answers_bad_input_with_field_errors(owner):
    ann = person("ann")
    client = client_for(owner)
    created = client.post(
        reverse("ci-list"),
        {
            "name": "Payroll",
            "ci_class": "business_service",
            "consumer_departments": ["Finance"],
            "subscribers": [ann.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["consumer_departments"] == ["Finance"] and body["subscribers"] == [ann.pk]
    url = reverse("ci-detail", kwargs={"pk": body["id"]})
    for bad, field in (
        ({"consumer_departments": "Finance"}, "consumer_departments"),
        ({"consumer_departments": [""]}, "consumer_departments.0"),
        ({"subscribers": [999999]}, "subscribers"),
        ({"subscribers": [person("gone", is_active=False).pk]}, "subscribers"),
    ):
        assert_error_shape(client.patch(url, bad, format="json"), 400, field=field)
    server = client.post(
        reverse("ci-list"),
        {"name": "esx-01", "ci_class": "server", "consumer_departments": ["Finance"]},
        format="json",
    )
    assert_error_shape(server, 400, field="consumer_departments")
    server = client.post(
        reverse("ci-list"),
        {"name": "esx-01", "ci_class": "server", "subscribers": [ann.pk]},
        format="json",
    )
    assert_error_shape(server, 400, field="subscribers")
    assert not ConfigurationItem.objects.filter(name="esx-01").exists()


def test_requesters_cannot_change_users_nor_see_who_follows(owner):
    payroll = business_service("Payroll", consumer_departments=["Finance"])
    payroll.subscribers.add(person("fred"))
    ann = person("ann", "Finance")
    client = client_for(ann)
    url = reverse("ci-detail", kwargs={"pk": payroll.pk})
    shown = client.get(url).json()
    assert shown["consumer_departments"] == ["Finance"] and "subscribers" not in shown
    for change in ({"consumer_departments": ["Sales"]}, {"subscribers": [ann.pk]}):
        assert_error_shape(client.patch(url, change, format="json"), 403)
    assert payroll.subscribers.count() == 1
    assert ConfigurationItem.objects.get(pk=payroll.pk).consumer_departments == ["Finance"]
    # Agents read the list, but may not change it either.
    agent_client = client_for(person("dana", "IT", roles=[Role.AGENT]))
    assert agent_client.get(url).json()["subscribers"] == [payroll.subscribers.get().pk]
    response = agent_client.patch(url, {"subscribers": []}, format="json")
    assert_error_shape(response, 403)


# --- pages --------------------------------------------------------------------------------------
def test_service_owner_edits_users_on_the_form_and_sees_them_on_the_page(client, owner):
    payroll = business_service("Payroll")
    ann, bob = person("ann"), person("Bob")
    client.force_login(owner)
    form = client.get(reverse("cmdb:ci-edit", args=[payroll.pk]))
    assert b"Used by departments" in form.content and b"Subscribers" in form.content
    data = {
        "name": "Payroll",
        "ci_class": payroll.ci_class_id,
        "status": "in_use",
        "environment": "production",
        "criticality": 3,
        "attributes": "{}",
        "consumer_departments": "Finance\nHuman Resources; Legal",
        "subscribers": "ann, bob",
        "version": payroll.version,
    }
    response = client.post(reverse("cmdb:ci-edit", args=[payroll.pk]), data)
    assert response.status_code == 302, response.content
    payroll.refresh_from_db()
    assert payroll.consumer_departments == ["Finance", "Human Resources", "Legal"]
    assert set(payroll.subscribers.all()) == {ann, bob}
    page = client.get(reverse("cmdb:ci-detail", args=[payroll.pk])).content.decode()
    assert "Service users" in page and "Human Resources" in page and "ann" in page
    # The form shows what is stored, and a stale copy of it is refused.
    again = client.get(reverse("cmdb:ci-edit", args=[payroll.pk])).content.decode()
    assert "Finance\nHuman Resources\nLegal" in again
    stale = client.post(reverse("cmdb:ci-edit", args=[payroll.pk]), {**data, "subscribers": ""})
    assert stale.status_code == 200 and b"changed by someone else" in stale.content
    assert payroll.subscribers.count() == 2


def test_the_form_names_unknown_people_and_refuses_users_on_a_server(client, owner):
    server = CIFactory(name="esx-01")
    client.force_login(owner)
    data = {
        "name": "esx-01",
        "ci_class": server.ci_class_id,
        "status": "in_use",
        "environment": "production",
        "criticality": 3,
        "attributes": "{}",
        "consumer_departments": "",
        "subscribers": "nosuchperson",
        "version": server.version,
    }
    url = reverse("cmdb:ci-edit", args=[server.pk])
    response = client.post(url, data)
    assert response.status_code == 200 and b"No user called nosuchperson" in response.content
    person("ann")
    response = client.post(url, {**data, "subscribers": "ann", "consumer_departments": "IT"})
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("Only business and technical services have") == 2
    server.refresh_from_db()
    assert server.consumer_departments == [] and not server.subscribers.exists()


def test_requesters_and_agents_cannot_open_the_form(client):
    payroll = business_service("Payroll")
    for roles in ([Role.REQUESTER], [Role.AGENT]):
        client.force_login(person(f"u{roles[0]}".replace(" ", ""), roles=roles))
        assert client.get(reverse("cmdb:ci-edit", args=[payroll.pk])).status_code == 403
        posted = client.post(
            reverse("cmdb:ci-edit", args=[payroll.pk]), {"consumer_departments": "Sales"}
        )
        assert posted.status_code == 403
    page = client.get(reverse("cmdb:ci-detail", args=[payroll.pk])).content.decode()
    assert "Service users" in page  # agents read who uses it
    client.force_login(person("ann", "Finance"))
    page = client.get(reverse("cmdb:ci-detail", args=[payroll.pk])).content.decode()
    assert "Service users" not in page  # requesters do not
    assert ConfigurationItem.objects.get(pk=payroll.pk).consumer_departments == []


# --- import and export --------------------------------------------------------------------------
def test_users_round_trip_through_export_and_import(owner):
    payroll = business_service("Payroll", consumer_departments=["Finance", "Legal"])
    ann = person("ann")
    payroll.subscribers.add(ann, person("bob"))
    text = cmdb_export(fmt="csv", kind="cis")
    assert "Finance; Legal" in text and "ann; bob" in text
    report = cmdb_import(actor=owner, text=text, fmt="csv")
    assert report.errors == [] and report.unchanged == 1
    as_json = json.loads(cmdb_export(fmt="json"))
    assert as_json["cis"][0]["subscribers"] == ["ann", "bob"]

    csv_text = (
        "class,name,consumer_departments,subscribers\n"
        "business_service,Payroll,Finance;Sales,ann\n"
        "server,esx-01,,\n"
    )
    report = cmdb_import(actor=owner, text=csv_text, fmt="csv")
    assert report.errors == [], report.errors
    payroll.refresh_from_db()
    assert payroll.consumer_departments == ["Finance", "Sales"]
    assert list(payroll.subscribers.all()) == [ann]

    bad = "class,name,subscribers\nbusiness_service,Payroll,nobody\nserver,esx-01,ann\n"
    report = cmdb_import(actor=owner, text=bad, fmt="csv")
    reasons = [e.reason for e in report.errors]
    assert "subscribers: no user called 'nobody'" in reasons[0]
    assert "subscribers:" in reasons[1] and len(reasons) == 2
    assert list(payroll.subscribers.all()) == [ann]

"""Following services from the portal, and a status panel made of the services one uses."""

import pytest
from django.urls import reverse

from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import requester
from opsdesk.incidents.testing import IncidentFactory, make_ci

pytestmark = pytest.mark.django_db

FOLLOW = reverse("servicedesk:service-follow")
HTMX = {"HTTP_HX_REQUEST": "true"}


def major(description, *services, **fields):
    incident = IncidentFactory(is_major=True, short_description=description, **fields)
    incident.affected_services.add(*services)
    return incident


def home(client):
    return client.get(reverse("servicedesk:home")).content.decode()


@pytest.fixture
def payroll(db):
    return make_ci("Payroll", "business_service")


@pytest.fixture
def store(db):
    return make_ci("Online Store", "business_service")


def test_a_requester_follows_and_unfollows_with_htmx(client, alice, payroll):
    client.force_login(alice)
    assert "You follow no service yet" in home(client)
    panel = client.post(FOLLOW, {"service": payroll.pk, "action": "follow"}, **HTMX)
    assert panel.status_code == 200
    html = panel.content.decode()
    assert 'id="service-status"' in html and "<html" not in html  # the panel only
    assert "You follow Payroll" in html and "Unfollow Payroll" in html
    assert list(payroll.subscribers.all()) == [alice]
    assert AuditEntry.objects.filter(
        action="configurationitem.subscribed", object_id=str(payroll.pk), actor=alice
    ).exists()

    panel = client.post(FOLLOW, {"service": payroll.pk, "action": "unfollow"}, **HTMX)
    assert "You no longer follow Payroll" in panel.content.decode()
    assert not payroll.subscribers.exists()


def test_without_htmx_the_follow_form_goes_back_to_the_portal(client, alice, payroll):
    client.force_login(alice)
    response = client.post(FOLLOW, {"service": payroll.pk, "action": "follow"})
    assert response.status_code == 302 and response.url == reverse("servicedesk:home")
    page = home(client)
    assert "You follow Payroll" in page  # the flash message
    assert "Services I follow" in page and "Unfollow Payroll" in page


def test_bad_follow_requests_are_refused_and_change_nothing(client, alice, payroll):
    server = make_ci("esx-01", "server")
    sso = make_ci("Single sign-on", "technical_service")
    client.force_login(alice)
    for data in (
        {"service": payroll.pk, "action": "adore"},
        {"service": "", "action": "follow"},
        {"service": "99999999999999999999999", "action": "follow"},
        {"service": server.pk, "action": "follow"},
        {"service": sso.pk, "action": "follow"},
    ):
        response = client.post(FOLLOW, data)
        assert response.status_code == 400, data
        panel = client.post(FOLLOW, data, **HTMX).content.decode()
        assert 'role="alert"' in panel, data
    assert not payroll.subscribers.exists() and not sso.subscribers.exists()
    assert client.get(FOLLOW).status_code == 405
    client.logout()
    response = client.post(FOLLOW, {"service": payroll.pk, "action": "follow"})
    assert response.status_code == 302 and "login" in response.url
    assert not payroll.subscribers.exists()


def test_the_follow_list_offers_business_services_in_use_not_yet_followed(
    client, alice, payroll, store
):
    make_ci("Fax", "business_service", status="retired")
    make_ci("esx-01", "server")
    store.subscribers.add(alice)
    client.force_login(alice)
    page = home(client)
    choices = page.split('id="follow-service"')[1].split("</select>")[0]
    assert "Payroll" in choices
    assert "Online Store" not in choices and "Fax" not in choices and "esx-01" not in choices


def test_status_panel_shows_majors_on_followed_and_department_services_only(
    client, alice, payroll, store
):
    email = make_ci("Email", "business_service")
    payroll.consumer_departments = [alice.department.upper()]
    payroll.save()
    store.subscribers.add(alice)
    major("Payroll runs are failing", payroll)
    major("Checkout is down", store)
    major("Mail is down for everyone", email)
    major("Hidden outage", payroll, confidential=True)
    client.force_login(alice)
    page = home(client)
    assert "Payroll runs are failing" in page and "Checkout is down" in page
    assert "Mail is down for everyone" not in page and "Hidden outage" not in page
    # Each disrupted service line carries its toggle: Online Store is followed, Payroll not.
    assert "Unfollow Online Store" in page and "Follow Payroll" in page


def test_someone_who_uses_nothing_yet_sees_every_disruption(client, payroll):
    major("Payroll runs are failing", payroll)
    newcomer = requester(username="newcomer", department="")
    client.force_login(newcomer)
    assert "Payroll runs are failing" in home(client)


def test_following_a_service_narrows_the_panel_to_it(client, alice, payroll, store):
    major("Payroll runs are failing", payroll)
    major("Checkout is down", store)
    client.force_login(alice)
    client.post(FOLLOW, {"service": store.pk, "action": "follow"})
    page = home(client)
    assert "Checkout is down" in page and "Payroll runs are failing" not in page

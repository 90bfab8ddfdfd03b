"""The rule action ``notify``: who an opened alert is mailed to, once, and bad recipients."""

import json

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from opsdesk.core.models import OutboxEvent
from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.testing.api import assert_error_shape, client_for
from opsdesk.core.testing.factories import TeamFactory, admin, agent, requester
from opsdesk.events.models import Alert, AlertStatus, Rule, hash_secret
from opsdesk.events.processing import events_process_all
from opsdesk.events.testing import SECRET, IntegrationFactory, RuleFactory
from opsdesk.notifications.handlers import alert_fired
from opsdesk.notifications.models import Delivery, Event, InAppNotification
from opsdesk.notifications.services import preference_set
from opsdesk.notifications.tasks import send_due
from tests.oncall.factories import LayerFactory, ScheduleFactory

pytestmark = pytest.mark.django_db

OUTSIDE = "noc-pager@partner.example"


@pytest.fixture
def people(db):
    """Team Network (nina, omar), Dave on his own, Dina on call for Databases, a requester."""
    network = TeamFactory(name="Network")
    nina, omar = agent(username="nina"), agent(username="omar")
    network.members.add(nina, omar)
    databases = TeamFactory(name="Databases")
    dina, dmitri = agent(username="dina"), agent(username="dmitri")
    databases.members.add(dina, dmitri)
    LayerFactory(schedule=ScheduleFactory(team=databases), people=[dina])
    return {
        "nina": nina,
        "omar": omar,
        "dave": agent(username="dave"),
        "dina": dina,
        "dmitri": dmitri,
        "carla": requester(username="carla"),
    }


@pytest.fixture
def integration(db):
    return IntegrationFactory(name="Prometheus", secret_hash=hash_secret(SECRET))


def save_rule(actions: dict, **fields):
    cache.clear()
    body = {"name": "Core network", "conditions": [], "actions": actions, **fields}
    return client_for(admin()).post("/api/events/rules/", body, format="json")


def fire(*events: dict) -> None:
    """A monitoring tool posts the events; the worker processes them."""
    cache.clear()
    response = APIClient().post(
        "/api/events/ingest",
        json.dumps(list(events)),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {SECRET}",
    )
    assert response.status_code == 202, response.content
    events_process_all()


def run_worker():
    outbox_deliver_due()
    return send_due()


def addressees(mailoutbox) -> list[str]:
    return sorted(address for mail in mailoutbox for address in mail.to)


def test_an_opened_alert_mails_each_named_recipient_once(people, integration, mailoutbox):
    response = save_rule(
        {
            "notify": [
                "team:Network",
                OUTSIDE,
                "user:dave",
                "user:nina",  # also in the team: still one mail
                "oncall:Databases",
            ]
        }
    )
    assert response.status_code == 201, response.content
    fire({"summary": "Core switch sw-01 down", "severity": "critical", "dedup_key": "sw-01"})
    alert = Alert.objects.get()

    run_worker()
    assert addressees(mailoutbox) == sorted(
        [OUTSIDE, *(f"{name}@example.com" for name in ("nina", "omar", "dave", "dina"))]
    )
    mail = mailoutbox[0]
    assert "Core switch sw-01 down" in mail.subject and "Critical" in mail.subject
    assert f"/events/alerts/{alert.pk}/" in mail.body
    assert "Severity: Critical" in mail.body
    assert mail.extra_headers["Auto-Submitted"] == "auto-generated"
    assert mail.extra_headers["X-Auto-Response-Suppress"] == "All"
    assert f"/events/alerts/{alert.pk}/" in mail.alternatives[0][0]
    # Agents also see it in the app; an outside address has no app.
    in_app = InAppNotification.objects.filter(event=Event.ALERT_FIRED)
    assert sorted(n.user.username for n in in_app) == ["dave", "dina", "nina", "omar"]
    assert in_app.first().url.endswith(f"/events/alerts/{alert.pk}/")

    # The outbox delivers at least once: handling the same fact again sends nothing new.
    fact = OutboxEvent.objects.get(topic="alert.opened")
    alert_fired(event_id=fact.pk, topic=fact.topic, payload=fact.payload)
    run_worker()
    assert len(mailoutbox) == 5
    assert Delivery.objects.filter(event=Event.ALERT_FIRED).count() == 5

    # A repeat of the same, still open alert opens nothing and mails nobody.
    fire({"summary": "Core switch sw-01 down", "severity": "critical", "dedup_key": "sw-01"})
    run_worker()
    assert len(mailoutbox) == 5


def test_alerts_that_fire_together_reach_a_person_in_one_mail(people, integration, mailoutbox):
    save_rule({"notify": ["user:dave"]})
    fire(
        {"summary": "Uplink A down", "severity": "major", "dedup_key": "a"},
        {"summary": "Uplink B down", "severity": "minor", "dedup_key": "b"},
    )
    run_worker()
    [mail] = mailoutbox
    assert "(and 1 more)" in mail.subject
    assert "Uplink A down" in mail.body and "Uplink B down" in mail.body
    for alert in Alert.objects.all():
        assert f"/events/alerts/{alert.pk}/" in mail.body


def test_rules_that_do_not_notify_send_no_alert_mail(people, integration, mailoutbox):
    save_rule({"create_incident": False, "set_severity": "minor"})
    fire({"summary": "Disk 91% full", "dedup_key": "disk"})
    run_worker()
    assert not Delivery.objects.filter(event=Event.ALERT_FIRED).exists()


def test_a_suppressed_alert_notifies_nobody(people, integration, mailoutbox):
    save_rule({"notify": ["team:Network", OUTSIDE], "suppress": True})
    fire({"summary": "Planned reboot of sw-02", "dedup_key": "sw-02"})
    assert Alert.objects.get().status == AlertStatus.SUPPRESSED
    run_worker()
    assert mailoutbox == []
    assert not InAppNotification.objects.exists()


def test_an_alert_suppressed_before_the_worker_runs_notifies_nobody(
    people, integration, mailoutbox
):
    save_rule({"notify": ["user:dave"]})
    fire({"summary": "Flaky link", "dedup_key": "flaky"})
    suppressed = client_for(people["dave"]).post(
        f"/api/events/alerts/{Alert.objects.get().pk}/act/", {"action": "suppress"}, format="json"
    )
    assert suppressed.json()["status"] == AlertStatus.SUPPRESSED
    run_worker()
    assert mailoutbox == []


def test_a_person_who_muted_alert_mail_still_sees_it_in_the_app(people, integration, mailoutbox):
    nina = people["nina"]
    preference_set(actor=nina, user=nina, event=Event.ALERT_FIRED, channel="email", enabled=False)
    save_rule({"notify": ["team:Network"]})
    fire({"summary": "Core switch sw-01 down", "dedup_key": "sw-01"})
    run_worker()
    assert addressees(mailoutbox) == ["omar@example.com"]
    assert InAppNotification.objects.filter(user=nina).exists()


def test_a_requester_named_by_user_gets_mail_but_no_in_app_line(people, integration, mailoutbox):
    save_rule({"notify": ["user:carla"]})
    fire({"summary": "Payroll export late", "dedup_key": "payroll"})
    run_worker()
    assert addressees(mailoutbox) == ["carla@example.com"]
    assert not InAppNotification.objects.exists()


def test_rules_api_refuses_a_bad_recipient_and_names_it(people):
    response = save_rule(
        {"notify": ["team:Network", "pager:0612345678", "user:ghost", "team:Netwrk", "not-mail"]}
    )
    error = assert_error_shape(response, 400, field="actions")
    messages = " ".join(error["fields"]["actions"])
    for bad in ("pager:0612345678", "user:ghost", "team:Netwrk", "not-mail"):
        assert repr(bad) in messages
    assert "'team:Network'" not in messages
    assert not Rule.objects.exists()

    for notify in ([], "team:Network", [42]):
        assert_error_shape(save_rule({"notify": notify}), 400, field="actions")
    assert not Rule.objects.exists()


def test_rules_api_refuses_a_bad_recipient_on_edit_and_keeps_the_rule(people):
    rule = RuleFactory(actions={"notify": ["team:Network"]})
    cache.clear()
    response = client_for(admin()).patch(
        f"/api/events/rules/{rule.pk}/",
        {"actions": {"notify": ["oncall:Nobody"]}, "version": 1},
        format="json",
    )
    assert "'oncall:Nobody'" in " ".join(
        assert_error_shape(response, 400, "actions")["fields"]["actions"]
    )
    rule.refresh_from_db()
    assert (rule.actions, rule.version) == ({"notify": ["team:Network"]}, 1)
    # Agents read rules but may not change who is notified.
    refused = client_for(people["nina"]).patch(
        f"/api/events/rules/{rule.pk}/", {"actions": {"notify": [OUTSIDE]}}, format="json"
    )
    assert refused.status_code == 403


def test_every_recipient_form_is_accepted(people):
    team_id = people["nina"].teams.get().pk
    response = save_rule(
        {"notify": [f"team:{team_id}", "TEAM:Network", "user:omar", "oncall:Databases", OUTSIDE]}
    )
    assert response.status_code == 201, response.content


def test_a_fact_whose_alerts_name_nobody_reads_nothing_back(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from opsdesk.core.models import OutboxEvent
    from opsdesk.notifications.services import notify_alerts_fired

    fact = OutboxEvent(
        topic="alert.opened",
        payload={"alerts": [{"alert_id": 1, "actions": {"create_incident": True}}]},
    )
    with CaptureQueriesContext(connection) as queries:
        assert notify_alerts_fired(event=fact) == 0
    assert len(queries) == 0

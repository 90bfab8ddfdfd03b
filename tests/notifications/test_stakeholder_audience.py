"""Major-incident mail reaches the users of the affected services: once, public text only."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import major
from opsdesk.incidents.services import incident_comment, incident_open
from opsdesk.incidents.testing import make_ci
from opsdesk.notifications.models import Delivery, InAppNotification, NotificationRule
from opsdesk.notifications.services import preference_set

pytestmark = pytest.mark.django_db


def person(username, department="", roles=(Role.REQUESTER,), **kwargs):
    return UserFactory(username=username, department=department, roles=list(roles), **kwargs)


def mails_to(mailoutbox, user):
    return [m for m in mailoutbox if user.email in m.to]


@pytest.fixture
def mim(team):
    user = person("mia", "IT", roles=[Role.MAJOR_INCIDENT_MANAGER])
    team.members.add(user)
    return user


@pytest.fixture
def payroll(db):
    return make_ci("Payroll", "business_service", consumer_departments=["Finance"])


@pytest.fixture
def store(db):
    return make_ci("Online Store", "business_service", consumer_departments=["Sales"])


@pytest.fixture
def payroll_major(agent, caller, team, payroll, mim):
    incident = incident_open(
        actor=agent,
        caller=caller,
        short_description="Payroll runs fail",
        description="Stack trace from db-payroll: ORA-00600 at 0x7f",
        assignment_group=team,
        assignee=agent,
        service=payroll,
    )
    return major.incident_declare_major(
        actor=mim, incident=incident, summary="Payroll cannot run; payslips are late."
    )


def test_a_stakeholder_update_mails_each_user_of_the_service_once_with_public_text_only(
    payroll_major, payroll, store, caller, agent, mim, deliver, later, mailoutbox
):
    ann = person("ann", "finance")  # the department, in another case
    fred = person("fred", "Legal")  # follows Payroll
    bea = person("bea", "Finance")  # in the department and following
    sam = person("sam", "Sales")  # uses only the Online Store
    person("gone", "Finance", is_active=False)
    payroll.subscribers.add(fred, bea)
    store.subscribers.add(person("olga", "Legal"))
    incident_comment(
        actor=agent, incident=payroll_major, body="Root password is hunter2", internal=True
    )
    deliver(later())
    mailoutbox.clear()

    major.incident_stakeholder_update(
        actor=mim, incident=payroll_major, body="A fix is being deployed; next update 15:00."
    )
    deliver(later(10))
    for user in (ann, fred, bea):
        [mail] = mails_to(mailoutbox, user)
        assert mail.subject.startswith(f"[{payroll_major.number}] Major incident update")
        assert "A fix is being deployed" in mail.body and "affecting Payroll" in mail.body
        # Only the public update: no work note, no description, no reply-to-comment invitation.
        for private in ("hunter2", "ORA-00600", "Reply to this mail"):
            assert private not in mail.body
            assert private not in mail.alternatives[0][0]
        # A link everyone may open: the portal's service status, not the agents' ticket page.
        assert f"Status of our services: {settings.BASE_URL}{reverse('servicedesk:home')}" in (
            mail.body
        )
        assert reverse("incidents:detail", args=[payroll_major.pk]) not in mail.body
    assert mails_to(mailoutbox, sam) == []
    assert [m for m in mailoutbox if "gone@" in m.to[0]] == []
    # The caller hears once too, however many rules name them; the author not at all.
    assert len(mails_to(mailoutbox, caller)) == 1
    assert mails_to(mailoutbox, mim) == []
    assert Delivery.objects.filter(address=ann.email).count() == 2  # declared, then update
    # Requesters have no in-app list.
    assert not InAppNotification.objects.filter(user__in=[ann, fred, bea]).exists()


def test_declaring_a_major_incident_tells_the_users_of_the_affected_services(
    agent, caller, team, payroll, store, mim, deliver, later, mailoutbox
):
    ann = person("ann", "Finance")
    sam = person("sam", "Sales")
    incident = incident_open(
        actor=agent,
        caller=caller,
        short_description="Payroll runs fail",
        assignment_group=team,
        service=payroll,
    )
    deliver(later())
    mailoutbox.clear()
    major.incident_declare_major(actor=mim, incident=incident, summary="Payslips are late.")
    deliver(later(10))
    [mail] = mails_to(mailoutbox, ann)
    assert "Service disruption: Payroll" in mail.subject
    assert "Payslips are late." in mail.body
    assert mails_to(mailoutbox, sam) == []
    assert len(mails_to(mailoutbox, caller)) == 1


def test_opt_outs_are_respected(payroll_major, payroll, mim, deliver, later, mailoutbox):
    ann = person("ann", "Finance")
    fred = person("fred", "Legal")
    payroll.subscribers.add(fred)
    preference_set(
        actor=fred, user=fred, event="stakeholder_update", channel="email", enabled=False
    )
    deliver(later())
    mailoutbox.clear()
    major.incident_stakeholder_update(actor=mim, incident=payroll_major, body="Still on it.")
    deliver(later(10))
    assert len(mails_to(mailoutbox, ann)) == 1
    assert mails_to(mailoutbox, fred) == []


def test_confidential_major_incidents_and_switched_off_rules_reach_no_service_user(
    payroll_major, payroll, mim, deliver, later, mailoutbox
):
    ann = person("ann", "Finance")
    deliver(later())
    mailoutbox.clear()
    NotificationRule.objects.filter(event="stakeholder_update", audience="service_users").update(
        active=False
    )
    major.incident_stakeholder_update(actor=mim, incident=payroll_major, body="Update one.")
    deliver(later(10))
    assert mails_to(mailoutbox, ann) == []

    NotificationRule.objects.filter(audience="service_users").update(active=True)
    type(payroll_major).objects.filter(pk=payroll_major.pk).update(confidential=True)
    payroll_major.refresh_from_db()
    major.incident_stakeholder_update(actor=mim, incident=payroll_major, body="Update two.")
    deliver(later(20))
    assert mails_to(mailoutbox, ann) == []


def test_finding_the_audience_does_not_ask_once_per_person(payroll_major, payroll, mim, later):
    """Who hears, and their roles, are looked up for everyone at once; only rows written for
    each person cost a query each."""
    outbox_deliver_due(now=later())
    # In-app on for the audience too, so every person's role is checked.
    NotificationRule.objects.filter(audience="service_users").update(in_app=True)

    def people_lookups(body, at):
        major.incident_stakeholder_update(actor=mim, incident=payroll_major, body=body)
        with CaptureQueriesContext(connection) as queries:
            outbox_deliver_due(now=later(at))
        sql = [q["sql"] for q in queries.captured_queries]
        return [q for q in sql if q.startswith("SELECT") and "core_user" in q.split("WHERE")[0]]

    for n in range(3):
        person(f"few{n}", "Finance")
    few = people_lookups("Update for a few.", 10)
    for n in range(25):
        payroll.subscribers.add(person(f"fan{n}", "Legal", roles=[Role.AGENT]))
    many = people_lookups("Update for many.", 20)
    assert len(many) == len(few), many
    mailed = {
        body: Delivery.objects.filter(body_text__contains=body).count()
        for body in ("Update for a few.", "Update for many.")
    }
    assert mailed["Update for many."] == mailed["Update for a few."] + 25
    assert InAppNotification.objects.filter(user__username__startswith="fan").count() == 25


def test_a_reply_to_the_broadcast_starts_its_own_ticket(
    payroll_major, payroll, mim, deliver, later, mailoutbox
):
    from opsdesk.servicedesk.inbound.services import mail_ingest
    from tests.servicedesk.mail import message, raw

    ann = person("ann", "Finance")
    deliver(later())
    mailoutbox.clear()
    major.incident_stakeholder_update(
        actor=mim, incident=payroll_major, body="A fix is being deployed; next update 15:00."
    )
    deliver(later(10))
    [update] = mails_to(mailoutbox, ann)
    reply = message(
        sender=f"Ann <{ann.email}>",
        subject=f"Re: {update.subject}",
        body="Will payslips be paid on time?",
        in_reply_to=update.extra_headers["Message-ID"],
    )
    result = mail_ingest(raw=raw(reply))
    # Everyone who uses Payroll got the update; none of them joined the major incident by it.
    assert result.outcome == "created"
    assert result.incident.pk != payroll_major.pk

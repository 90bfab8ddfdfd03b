"""What the requester hears: the desk's question and the delivery, each threaded by number."""

import pytest
from django.utils import timezone

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory
from opsdesk.notifications.tasks import send_due
from opsdesk.service_requests import services
from opsdesk.service_requests.testing import CatalogItemFactory

pytestmark = pytest.mark.django_db


def deliver():
    later = timezone.now() + timezone.timedelta(minutes=5)
    outbox_deliver_due(now=later)
    send_due(now=later)


def test_the_requester_hears_of_the_order_the_question_and_the_delivery(mailoutbox):
    desk = TeamFactory(name="Desk")
    agent = UserFactory(roles=[Role.AGENT])
    desk.members.add(agent)
    riley = UserFactory(roles=[Role.REQUESTER], email="riley@example.com")
    monitor = CatalogItemFactory(name="Monitor", slug="monitor", owner_team=desk)
    request = services.request_submit(actor=riley, lines=[(monitor, {}, 1)])
    item = request.items.get()
    deliver()
    # She ordered it herself and saw the confirmation: no mail for that, none per item.
    assert [m for m in mailoutbox if "riley@example.com" in m.to] == []
    services.item_transition(actor=agent, item=item, action="ask", reason="Which desk?")
    deliver()
    (asked,) = [m for m in mailoutbox if "riley@example.com" in m.to]
    assert asked.subject.startswith(f"[{item.number}] ") and "waiting for your answer" in asked.body
    assert f"/portal/requests/{request.number}/" in asked.body
    mailoutbox.clear()
    services.item_add_information(actor=riley, item=item, body="Desk 4.12")
    services.item_transition(actor=agent, item=item, action="fulfil")
    deliver()
    subjects = [m.subject for m in mailoutbox if "riley@example.com" in m.to]
    assert any("Resolved" in s and item.number in s for s in subjects)
    delivered = next(m for m in mailoutbox if "Resolved" in m.subject)
    assert "Monitor is delivered" in delivered.body


def test_a_delivered_item_asks_how_it_went(mailoutbox):
    from django.test import Client

    from opsdesk.servicedesk.models import Survey

    desk = TeamFactory(name="Desk")
    agent = UserFactory(roles=[Role.AGENT])
    desk.members.add(agent)
    riley = UserFactory(roles=[Role.REQUESTER], email="riley@example.com")
    monitor = CatalogItemFactory(name="Monitor", slug="monitor", owner_team=desk)
    request = services.request_submit(actor=riley, lines=[(monitor, {}, 1)])
    item = request.items.get()
    services.item_transition(actor=agent, item=item, action="fulfil")
    deliver()
    deliver()  # the survey's own fact, published by the first round
    survey = Survey.objects.get(record_type="request_item", record_id=item.pk)
    assert any("riley@example.com" in m.to and "/portal/survey/" in m.body for m in mailoutbox)
    client = Client()
    client.force_login(riley)
    page = client.get(f"/portal/requests/{request.number}/").content.decode()
    assert "Tell us how we did" in page
    assert survey.number == item.number

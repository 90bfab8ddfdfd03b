"""Mail goes out through a real SMTP server; when it is down, mail waits and none is lost."""

import pytest
from django.utils import timezone

from opsdesk.core.outbox import outbox_deliver_due
from opsdesk.incidents.services import incident_comment
from opsdesk.notifications.models import Delivery, DeliveryState
from opsdesk.notifications.tasks import send_due

pytestmark = pytest.mark.django_db


def test_an_smtp_outage_delays_mail_and_loses_none(smtp, incident, caller, agent, other_agent):
    smtp.stop()
    incident_comment(actor=other_agent, incident=incident, body="We are on it.")
    outbox_deliver_due()
    waiting = list(Delivery.objects.order_by("pk"))
    assert {d.address for d in waiting} >= {caller.email, agent.email}

    start = timezone.now() + timezone.timedelta(minutes=5)
    counts = send_due(now=start)["mail"]
    assert counts["sent"] == 0 and counts["failed"] == len(waiting)
    first_retry = {d.pk: d.next_attempt_at for d in Delivery.objects.all()}
    for delivery in Delivery.objects.all():
        assert delivery.state == DeliveryState.PENDING
        assert delivery.attempts == 1 and "Connection refused" in delivery.last_error
        assert delivery.next_attempt_at > start

    # Before the back-off has passed nothing is tried; after it, the wait grows.
    assert send_due(now=start)["mail"]["failed"] == 0
    send_due(now=max(first_retry.values()))
    for delivery in Delivery.objects.all():
        assert delivery.attempts == 2
        assert delivery.next_attempt_at - max(first_retry.values()) > (
            first_retry[delivery.pk] - start
        )
    assert smtp.received == []

    smtp.start()
    send_due(now=start + timezone.timedelta(hours=1))
    assert Delivery.objects.exclude(state=DeliveryState.SENT).count() == 0

    by_address = {}
    for recipients, message in smtp.received:
        for address in recipients:
            by_address.setdefault(address, []).append(message)
    # Exactly once each: the opening mail and the comment to the caller arrive as one digest.
    assert sorted(by_address) == sorted({d.address for d in Delivery.objects.all()})
    assert all(len(mails) == 1 for mails in by_address.values())
    [mail] = by_address[caller.email]
    assert mail["Subject"].startswith(f"[{incident.number}] ")
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] == "opsdesk@localhost"
    lead = Delivery.objects.get(address=caller.email, sent_in__isnull=True)
    assert mail["Message-ID"] == lead.message_id
    assert "We are on it." in mail.get_body(("plain",)).get_content()
    assert mail.get_body(("html",)) is not None

    # A later run, or a retry asked for after success, sends nothing again.
    send_due(now=start + timezone.timedelta(hours=2))
    assert len(smtp.received) == len(by_address)


def test_mail_after_the_first_threads_under_it(smtp, incident, caller, agent):
    outbox_deliver_due()
    send_due(now=timezone.now() + timezone.timedelta(minutes=5))
    incident_comment(actor=agent, incident=incident, body="Try the new profile.")
    outbox_deliver_due()
    send_due(now=timezone.now() + timezone.timedelta(minutes=10))
    first, second = [m for rcpt, m in smtp.received if caller.email in rcpt]
    assert second["In-Reply-To"] == first["Message-ID"]
    assert first["Message-ID"] in second["References"]
    assert second["Subject"].startswith(f"[{incident.number}]")

"""With no SMTP server configured, mail goes to the development sink and can be read in the app."""

import logging
from importlib import reload

import pytest

from opsdesk.core.testing.factories import admin
from opsdesk.incidents.services import incident_comment
from opsdesk.notifications.models import Delivery, DeliveryState, SentMail

pytestmark = pytest.mark.django_db

SINK = "opsdesk.notifications.sink.SinkBackend"


def test_out_of_the_box_mail_goes_to_the_sink_until_a_host_is_set(monkeypatch):
    import opsdesk.settings as project_settings

    monkeypatch.delenv("OPSDESK_EMAIL_HOST", raising=False)
    try:
        assert reload(project_settings).EMAIL_BACKEND == SINK
        monkeypatch.setenv("OPSDESK_EMAIL_HOST", "mail.example.org")
        assert reload(project_settings).EMAIL_BACKEND.endswith("smtp.EmailBackend")
    finally:
        monkeypatch.undo()
        reload(project_settings)


def test_a_notification_is_kept_and_shown_to_admins_only(
    settings, client, incident, caller, agent, other_agent, deliver, later, caplog
):
    settings.EMAIL_BACKEND = SINK
    incident_comment(actor=other_agent, incident=incident, body="We are on it <b>now</b>.")
    with caplog.at_level(logging.WARNING):
        deliver(later())
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert Delivery.objects.exclude(state=DeliveryState.SENT).count() == 0

    kept = SentMail.objects.get(to=caller.email)
    lead = Delivery.objects.get(address=caller.email, sent_in__isnull=True)
    assert kept.message_id == lead.message_id
    assert kept.subject.startswith(f"[{incident.number}] ")

    client.force_login(admin())
    page = client.get("/notifications/sent-mail/")
    assert page.status_code == 200
    assert kept.subject.encode() in page.content and caller.email.encode() in page.content
    detail = client.get(f"/notifications/sent-mail/{kept.pk}/")
    assert detail.status_code == 200
    assert b"Auto-Submitted" in detail.content and b"auto-generated" in detail.content
    # The body text is shown as text: markup in a comment is escaped, never rendered.
    assert b"We are on it &lt;b&gt;now&lt;/b&gt;." in detail.content

    # The incident page lists the mails about it.
    record = client.get(f"/incidents/{incident.pk}/")
    assert b"Mail log" in record.content
    assert f"/notifications/sent-mail/{kept.pk}/".encode() in record.content

    for user in (agent, caller):
        client.force_login(user)
        response = client.get("/notifications/sent-mail/")
        assert response.status_code in (302, 403)
        assert client.get(f"/notifications/sent-mail/{kept.pk}/").status_code in (302, 403)


def test_the_sent_mail_page_is_newest_first_and_paginated(settings, client):
    for n in range(30):
        SentMail.objects.create(subject=f"Mail number {n:02d}", to="a@example.org", raw="")
    client.force_login(admin())
    first = client.get("/notifications/sent-mail/").content
    assert b"Mail number 29" in first and b"Mail number 00" not in first
    assert first.index(b"Mail number 29") < first.index(b"Mail number 28")
    assert b"Mail number 00" in client.get("/notifications/sent-mail/?page=2").content

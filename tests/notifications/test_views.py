"""The pages: the bell and list, preferences, webhooks (admins), the template admin."""

import pytest

from opsdesk.core.testing.factories import admin, agent, requester
from opsdesk.notifications.models import (
    InAppNotification,
    NotificationPreference,
    NotificationTemplate,
    WebhookSubscription,
)

pytestmark = pytest.mark.django_db


def test_the_bell_counts_unread_and_mark_read_clears_it(client):
    me = agent()
    for n in range(2):
        InAppNotification.objects.create(
            user=me, source_event_id=n, event="assigned", title=f"Assigned #{n}"
        )
    client.force_login(me)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert b'data-testid="unread-count" aria-label="2 unread">2<' in page.content
    one = InAppNotification.objects.filter(user=me).first()
    client.post("/notifications/read/", {"id": one.pk})
    assert b'aria-label="1 unread">1<' in client.get("/notifications/").content
    client.post("/notifications/read/")
    assert not InAppNotification.objects.filter(user=me, read_at__isnull=True).exists()


def test_requesters_have_no_notification_list(client):
    client.force_login(requester())
    assert client.get("/notifications/").status_code == 403


def test_preferences_page_saves_and_keeps_pages_on(client):
    me = requester()
    client.force_login(me)
    assert client.get("/notifications/preferences/").status_code == 200
    wanted = {"opened:email": "on", "resolved:email": "on"}
    response = client.post("/notifications/preferences/", wanted)
    assert response.status_code == 302
    off = set(
        NotificationPreference.objects.filter(user=me, enabled=False).values_list(
            "event", "channel"
        )
    )
    assert ("commented", "email") in off and ("opened", "email") not in off
    assert ("page", "email") not in off


def test_webhook_pages_are_for_administrators(client):
    client.force_login(agent())
    assert client.get("/notifications/webhooks/").status_code == 403
    client.force_login(admin())
    response = client.post(
        "/notifications/webhooks/new/",
        {"name": "meta", "url": "http://169.254.169.254/", "topics": "*", "active": "on"},
    )
    assert response.status_code == 200 and b"not allowed" in response.content
    assert not WebhookSubscription.objects.exists()
    response = client.post(
        "/notifications/webhooks/new/",
        {"name": "chatops", "url": "http://192.0.2.10/h", "topics": "incident.*", "active": "on"},
    )
    sub = WebhookSubscription.objects.get(name="chatops")
    assert response.status_code == 302 and len(sub.secret) == 64
    client.post(
        f"/notifications/webhooks/{sub.pk}/edit/",
        {"name": "chatops", "url": "http://192.0.2.10/h", "topics": "sla.*", "active": "on"},
    )
    sub.refresh_from_db()
    assert sub.topics == "sla.*" and len(sub.secret) == 64  # an empty secret keeps the old one


def test_a_template_that_reaches_outside_the_sandbox_is_refused_in_the_admin(client):
    boss = admin(is_staff=True, is_superuser=True)
    client.force_login(boss)
    template = NotificationTemplate.objects.get(event="opened")
    response = client.post(
        f"/admin/notifications/notificationtemplate/{template.pk}/change/",
        {
            "event": "opened",
            "subject": "{% load static %}{% static 'x' %}",
            "body_text": "{% include 'core/base.html' %}",
            "body_html": "",
        },
    )
    assert response.status_code == 200 and b"Template error" in response.content
    template.refresh_from_db()
    assert "load" not in template.subject


def test_demo_is_idempotent():
    from opsdesk.incidents.testing import IncidentFactory
    from opsdesk.notifications import demo

    IncidentFactory(assignee=agent(), state="in_progress")
    lines = []
    demo.load(progress=lines.append)
    demo.load(progress=lines.append)
    assert WebhookSubscription.objects.filter(name="ChatOps (example)").count() == 1
    assert InAppNotification.objects.count() == 1
    assert lines[-1] == "0 in-app notifications for agents"

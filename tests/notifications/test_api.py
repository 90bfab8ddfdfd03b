"""Notifications API: my notifications, my preferences, webhook subscriptions for admins."""

import pytest

from opsdesk.core.roles import Role
from opsdesk.core.testing.api import APICrudSuite, assert_error_shape
from opsdesk.core.testing.factories import admin, agent
from opsdesk.notifications.models import InAppNotification, WebhookSubscription

pytestmark = pytest.mark.django_db


class TestWebhookSubscriptionAPI(APICrudSuite):
    basename = "webhook-subscription"
    create_data = {"name": "chatops", "url": "http://192.0.2.10/hook", "topics": "incident.*"}
    update_data = {"topics": "incident.* sla.*"}
    invalid_data = {"url": "http://169.254.169.254/"}
    reader_roles = [Role.ADMINISTRATOR]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.AGENT, Role.REQUESTER]
    supports_delete = True

    @staticmethod
    def factory():
        return WebhookSubscription.objects.create(
            name="existing", url="http://192.0.2.11/h", topics="*", secret="x"
        )

    def test_the_secret_is_never_read_back(self, api):
        boss = admin()
        response = api(boss).post(
            "/api/notifications/webhooks/", {**self.create_data, "secret": "hush"}, format="json"
        )
        assert response.status_code == 201 and "secret" not in response.json()
        assert WebhookSubscription.objects.get(name="chatops").secret == "hush"

    def test_a_missing_topic_list_is_a_field_error(self, api):
        response = api(admin()).post(
            "/api/notifications/webhooks/", {**self.create_data, "topics": " , "}, format="json"
        )
        assert_error_shape(response, 400, field="topics")


def note(user, title="Assigned: VPN", read=False):
    from django.utils import timezone

    return InAppNotification.objects.create(
        user=user,
        source_event_id=InAppNotification.objects.count() + 1,
        event="assigned",
        title=title,
        read_at=timezone.now() if read else None,
    )


def test_each_agent_sees_only_their_own_notifications(api):
    me, colleague = agent(), agent()
    mine = note(me)
    note(colleague, title="Not yours")
    body = api(me).get("/api/notifications/notifications/").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    theirs = InAppNotification.objects.get(user=colleague)
    assert api(me).get(f"/api/notifications/notifications/{theirs.pk}/").status_code == 404


def test_mark_read_one_then_all(api):
    me, colleague = agent(), agent()
    first, second = note(me), note(me)
    other = note(colleague)
    response = api(me).post(
        "/api/notifications/notifications/mark-read/", {"ids": [first.pk, other.pk]}, format="json"
    )
    assert response.json() == {"marked": 1, "unread": 1}
    other.refresh_from_db()
    assert other.read_at is None  # someone else's stays unread
    unread = api(me).get("/api/notifications/notifications/", {"unread": "true"}).json()
    assert [row["id"] for row in unread["results"]] == [second.pk]
    assert api(me).post("/api/notifications/notifications/mark-read/").json()["unread"] == 0


def test_mark_read_refuses_ids_no_database_holds_and_the_next_request_works(api):
    me = agent()
    client = api(me)
    huge = client.post(
        "/api/notifications/notifications/mark-read/", {"ids": [2**70]}, format="json"
    )
    assert huge.status_code == 400 and "ids.0" in huge.json()["error"]["fields"]
    assert client.get("/api/notifications/preferences/").status_code == 200


def test_preferences_round_trip_and_refusals(api):
    me = agent()
    client = api(me)
    rows = client.post(
        "/api/notifications/preferences/",
        {"event": "commented", "channel": "email", "enabled": False},
        format="json",
    ).json()
    commented = next(r for r in rows if r["event"] == "commented")
    assert commented["email"] is False and commented["in_app"] is True
    page = client.post(
        "/api/notifications/preferences/",
        {"event": "page", "channel": "email", "enabled": False},
        format="json",
    )
    assert_error_shape(page, 400, field="enabled")
    bad = client.post(
        "/api/notifications/preferences/",
        {"event": "lunch", "channel": "pigeon", "enabled": True},
        format="json",
    )
    assert_error_shape(bad, 400, field="event")


def test_mail_log_is_for_administrators(api):
    assert_error_shape(api(agent()).get("/api/notifications/deliveries/"), 403)
    assert api(admin()).get("/api/notifications/deliveries/").status_code == 200

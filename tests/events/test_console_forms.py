"""Console pages that change event management: integrations, rules, windows, heartbeats.

Administrators change integrations, rules and heartbeats; agents read them, plan maintenance
windows and test payloads; requesters never see the console.
"""

from datetime import UTC, datetime, timedelta

import factory
import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from opsdesk.cmdb.models import CIStatus
from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, admin, agent, requester
from opsdesk.core.testing.views import ViewCrudSuite, form_errors, form_post_data
from opsdesk.events.heartbeats import heartbeat_integration
from opsdesk.events.models import (
    Alert,
    Event,
    Format,
    Heartbeat,
    HeartbeatStatus,
    Integration,
    MaintenanceWindow,
    Rule,
    hash_secret,
)
from opsdesk.events.planning import window_active
from opsdesk.events.testing import MaintenanceWindowFactory, RuleFactory
from tests.cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_body(client, url: str, **changes) -> dict:
    """The edit form as the page shows it, with ``changes`` typed in."""
    page = client.get(url)
    assert page.status_code == 200, page.content
    return {**form_post_data(page.context["form"]), **changes}


def audits(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


# --- heartbeats: the generic record-page suite --------------------------------------------------
class HeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Heartbeat

    name = factory.Sequence(lambda n: f"Nightly job {n}")
    integration = factory.LazyFunction(heartbeat_integration)


class TestHeartbeatPages(ViewCrudSuite):
    list_url = "events:heartbeat-list"
    detail_url = "events:heartbeat-detail"
    create_url = "events:heartbeat-create"
    edit_url = "events:heartbeat-edit"
    factory = HeartbeatFactory
    create_data = {
        "name": "ERP backup",
        "interval_seconds": "86400",
        "grace_seconds": "3600",
        "cron": "",
        "timezone": "UTC",
        "severity": "major",
    }
    created_lookup = {"name": "ERP backup"}
    invalid_data = {"interval_seconds": "30"}
    edit_changes = {"description": "Dumps the ERP database to the backup store"}
    reader_roles = [Role.AGENT]
    writer_roles = [Role.ADMINISTRATOR]
    outsider_roles = [Role.REQUESTER]


def test_heartbeat_on_a_cron_schedule_in_its_time_zone(db):
    client = signed_in(admin())
    response = client.post(
        reverse("events:heartbeat-create"),
        {
            **TestHeartbeatPages.create_data,
            "name": "Payroll export",
            "cron": "30 2 * * 1-5",
            "timezone": "Europe/Berlin",
        },
    )
    assert response.status_code == 302, form_errors(response)
    heartbeat = Heartbeat.objects.get(name="Payroll export")
    assert (heartbeat.cron, heartbeat.timezone) == ("30 2 * * 1-5", "Europe/Berlin")
    assert "30 2 * * 1-5" in client.get(response["Location"]).content.decode()


def test_heartbeat_with_a_bad_cron_expression_is_refused_on_its_field(db):
    response = signed_in(admin()).post(
        reverse("events:heartbeat-create"),
        {**TestHeartbeatPages.create_data, "cron": "every night"},
    )
    assert response.status_code == 200
    assert "cron" in form_errors(response)
    assert not Heartbeat.objects.exists()


def test_admin_pauses_and_resumes_a_heartbeat(db):
    heartbeat = HeartbeatFactory(name="Nightly backup")
    url = reverse("events:heartbeat-pause", args=[heartbeat.pk])
    assert signed_in(agent()).post(url, {"action": "pause"}).status_code == 403
    client = signed_in(admin())
    assert (
        url in client.get(reverse("events:heartbeat-detail", args=[heartbeat.pk])).content.decode()
    )
    stale = client.post(url, {"action": "pause", "version": "99"}, follow=True)
    assert "changed by someone else" in stale.content.decode()
    assert Heartbeat.objects.get().status == HeartbeatStatus.NEW
    paused = client.post(url, {"action": "pause", "version": "1"}, follow=True)
    assert "is paused" in paused.content.decode() and "Resume" in paused.content.decode()
    assert Heartbeat.objects.get().status == HeartbeatStatus.PAUSED
    before = timezone.now()
    client.post(url, {"action": "resume", "version": "2"})
    resumed = Heartbeat.objects.get()
    assert resumed.status == HeartbeatStatus.NEW
    # A resumed job counts from now, not from before the pause.
    assert resumed.due_at >= before + timedelta(seconds=resumed.interval_seconds)


# --- integrations ------------------------------------------------------------------------------
INTEGRATION = {
    "name": "Grafana",
    "format": "generic",
    "description": "Dashboards' alerting",
    "active": "on",
    "rate_limit_per_minute": "1200",
    "identity_labels": "alertname, instance, ,alertname",
}


def test_admin_adds_an_integration_and_sees_its_secret_once(db):
    client = signed_in(admin())
    form = client.get(reverse("events:integration-create"))
    assert form.status_code == 200
    assert 'value="heartbeat"' not in form.content.decode()  # opsdesk's own format
    response = client.post(reverse("events:integration-create"), INTEGRATION)
    assert response.status_code == 200, form_errors(response)
    integration = Integration.objects.get(name="Grafana")
    assert integration.identity_labels == ["alertname", "instance"]
    assert integration.rate_limit_per_minute == 1200
    secret = response.context["secret"]
    page = response.content.decode()
    assert f'value="{secret}"' in page and "only this once" in page
    assert integration.secret_hash == hash_secret(secret)
    # The ready-to-use curl examples carry the integration's URL and the secret.
    assert f"/api/events/integrations/{integration.token}/events" in page
    assert f"Authorization: Bearer {secret}" in page
    assert "no-store" in response["Cache-Control"]
    assert audits("integration.created") == 1
    # Never again: not on the list, not on the edit form.
    listing = client.get(reverse("events:integration-list")).content.decode()
    assert integration.token in listing and secret not in listing
    edit = client.get(reverse("events:integration-edit", args=[integration.pk]))
    assert secret not in edit.content.decode()


def test_rotating_the_secret_asks_first_then_shows_the_new_one_once(integration):
    client = signed_in(admin())
    url = reverse("events:integration-rotate", args=[integration.pk])
    old_hash = integration.secret_hash
    confirm = client.get(url)
    assert "stops working" in confirm.content.decode()
    assert Integration.objects.get().secret_hash == old_hash  # a GET changes nothing
    response = client.post(url)
    secret = response.context["secret"]
    assert f'value="{secret}"' in response.content.decode()
    assert Integration.objects.get().secret_hash == hash_secret(secret) != old_hash
    assert audits("integration.secret_rotated") == 1
    assert secret not in client.get(reverse("events:integration-list")).content.decode()


def test_integration_edit_saves_and_a_stale_edit_is_refused(integration):
    client = signed_in(admin())
    url = reverse("events:integration-edit", args=[integration.pk])
    team = TeamFactory(name="Database")
    body = edit_body(client, url, team=str(team.pk), identity_labels="fingerprint")
    response = client.post(url, body)
    assert response.status_code == 302, form_errors(response)
    fresh = Integration.objects.get()
    assert (fresh.team, fresh.identity_labels) == (team, ["fingerprint"])
    assert fresh.version == integration.version + 1

    stale = edit_body(client, url, name="Renamed")
    Integration.objects.filter(pk=integration.pk).update(version=F("version") + 1)
    refused = client.post(url, stale)
    assert refused.status_code == 200
    assert "changed by someone else" in refused.content.decode()
    assert Integration.objects.get().name == "Prometheus"


def test_integration_name_taken_is_a_field_error(integration):
    response = signed_in(admin()).post(
        reverse("events:integration-create"), {**INTEGRATION, "name": "Prometheus"}
    )
    assert response.status_code == 200
    assert "name" in form_errors(response)
    assert Integration.objects.count() == 1


def test_agents_read_integrations_but_cannot_change_them(integration):
    client = signed_in(agent())
    listing = client.get(reverse("events:integration-list")).content.decode()
    assert integration.name in listing
    assert reverse("events:integration-create") not in listing
    assert reverse("events:integration-edit", args=[integration.pk]) not in listing
    for url in [
        reverse("events:integration-create"),
        reverse("events:integration-edit", args=[integration.pk]),
        reverse("events:integration-rotate", args=[integration.pk]),
    ]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, INTEGRATION).status_code == 403, url
    fresh = Integration.objects.get()
    assert (Integration.objects.count(), fresh.secret_hash) == (1, integration.secret_hash)


# --- rules -------------------------------------------------------------------------------------
RULE = {
    "name": "Production databases page the DBAs",
    "order": "10",
    "active": "on",
    "conditions": '[{"field": "labels.env", "op": "equals", "value": "prod"}]',
    "actions": '{"set_severity": "critical", "create_incident": true}',
}


def test_admin_adds_a_rule_written_in_json(db):
    client = signed_in(admin())
    form = client.get(reverse("events:rule-create")).content.decode()
    # The help lists what the engine understands.
    for word in ("labels.&lt;name&gt;", "regex", "map_ci_from_label", "correlate"):
        assert word in form, word
    response = client.post(reverse("events:rule-create"), RULE)
    assert response.status_code == 302, form_errors(response)
    rule = Rule.objects.get()
    assert rule.conditions == [{"field": "labels.env", "op": "equals", "value": "prod"}]
    assert rule.actions == {"set_severity": "critical", "create_incident": True}
    assert audits("rule.created") == 1
    listing = client.get(response["Location"]).content.decode()
    assert "is added" in listing and reverse("events:rule-edit", args=[rule.pk]) in listing


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"conditions": '[{"field": "labels.env",'}, "conditions", "not valid JSON"),
        ({"actions": "{'drop': true}"}, "actions", "not valid JSON"),
        ({"conditions": '[{"field": "colour", "value": "red"}]'}, "conditions", "unknown field"),
        ({"conditions": '[{"field": "summary", "op": "like"}]'}, "conditions", "operator"),
        ({"actions": '{"set_severity": "huge"}'}, "actions", "set_severity must be one of"),
        ({"actions": ""}, "actions", "at least one action"),
    ],
)
def test_bad_rule_is_a_field_error_and_nothing_is_written(db, changes, field, message):
    response = signed_in(admin()).post(reverse("events:rule-create"), {**RULE, **changes})
    assert response.status_code == 200
    errors = form_errors(response)
    assert list(errors) == [field], errors
    assert any(message in text for text in errors[field]), errors
    assert not Rule.objects.exists()
    assert audits("rule.created") == 0
    # What was typed is kept so it can be corrected.
    assert escape(changes[field]) in response.content.decode()


def test_rule_is_reordered_by_editing_it_and_a_stale_edit_is_refused(db):
    first, second = RuleFactory(name="First", order=10), RuleFactory(name="Second", order=20)
    client = signed_in(admin())
    url = reverse("events:rule-edit", args=[second.pk])
    # The JSON mode: its page carries the whole rule as the two text fields.
    json_url = f"{url}?editor=json"
    response = client.post(url, edit_body(client, json_url, order="5"))
    assert response.status_code == 302, form_errors(response)
    assert [r.name for r in Rule.objects.all()] == ["Second", "First"]

    stale = edit_body(client, json_url, stop="on")
    Rule.objects.filter(pk=second.pk).update(version=F("version") + 1)
    refused = client.post(url, stale)
    assert "changed by someone else" in refused.content.decode()
    assert Rule.objects.get(pk=second.pk).stop is False
    assert first.order == Rule.objects.get(pk=first.pk).order


def test_rule_delete_asks_first_and_is_audited(db):
    rule = RuleFactory(name="Old noise filter")
    client = signed_in(admin())
    url = reverse("events:rule-delete", args=[rule.pk])
    assert "Delete rule Old noise filter?" in client.get(url).content.decode()
    assert Rule.objects.exists()
    response = client.post(url, follow=True)
    assert "is deleted" in response.content.decode()
    assert not Rule.objects.exists()
    entry = AuditEntry.objects.get(action="rule.deleted")
    assert entry.changes["name"]["from"] == "Old noise filter"


def test_agents_read_rules_but_cannot_change_them(db):
    rule = RuleFactory(name="Page DBAs")
    client = signed_in(agent())
    listing = client.get(reverse("events:rule-list")).content.decode()
    assert "Page DBAs" in listing and reverse("events:rule-create") not in listing
    for url in [
        reverse("events:rule-create"),
        reverse("events:rule-edit", args=[rule.pk]),
        reverse("events:rule-delete", args=[rule.pk]),
    ]:
        assert client.get(url).status_code == 403, url
        assert client.post(url, RULE).status_code == 403, url
    assert list(Rule.objects.values_list("name", flat=True)) == ["Page DBAs"]


# --- maintenance windows -----------------------------------------------------------------------
def window_body(**changes) -> dict:
    return {
        "name": "Database patching",
        "starts_at": "2030-07-01T22:00",
        "ends_at": "2030-07-02T01:00",
        "label_matchers": '{"env": "staging"}',
        **changes,
    }


def test_agent_plans_a_window_in_their_own_time_zone(db):
    db01 = CIFactory(name="db-01")
    retired = CIFactory(name="old-db", status=CIStatus.RETIRED)
    client = signed_in(agent(time_zone="Europe/London"))
    form = client.get(reverse("events:window-create"))
    offered = list(form.context["form"].fields["cis"].queryset)
    assert db01 in offered and retired not in offered
    assert 'type="datetime-local"' in form.content.decode()
    response = client.post(reverse("events:window-create"), window_body(cis=[db01.pk]))
    assert response.status_code == 302, form_errors(response)
    window = MaintenanceWindow.objects.get()
    # 22:00 in London in summer is 21:00 UTC.
    assert window.starts_at == datetime(2030, 7, 1, 21, 0, tzinfo=UTC)
    assert window.ends_at == datetime(2030, 7, 2, 0, 0, tzinfo=UTC)
    assert list(window.cis.all()) == [db01]
    assert window.label_matchers == {"env": "staging"}
    assert audits("maintenancewindow.created") == 1
    # Shown back in the same zone on the edit form.
    edit = client.get(reverse("events:window-edit", args=[window.pk])).content.decode()
    assert 'value="2030-07-01T22:00"' in edit


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2030-07-01T21:00"}, "ends_at"),
        ({"ends_at": "2030-07-01T22:00"}, "ends_at"),
        ({"label_matchers": '{"env": '}, "label_matchers"),
        ({"label_matchers": '{"env": 1}'}, "label_matchers"),
        ({"starts_at": "not a date"}, "starts_at"),
    ],
)
def test_bad_window_is_a_field_error_and_nothing_is_written(db, changes, field):
    response = signed_in(agent()).post(reverse("events:window-create"), window_body(**changes))
    assert response.status_code == 200
    assert field in form_errors(response)
    assert not MaintenanceWindow.objects.exists()


def test_window_edit_keeps_its_cis_and_a_stale_edit_is_refused(db):
    kept = CIFactory(name="app-01", status=CIStatus.RETIRED)  # no longer offered to new windows
    window = MaintenanceWindowFactory(
        starts_at=timezone.now() + timedelta(days=1), ends_at=timezone.now() + timedelta(days=2)
    )
    window.cis.set([kept])
    client = signed_in(agent())
    url = reverse("events:window-edit", args=[window.pk])
    response = client.post(url, edit_body(client, url, weekly="on"))
    assert response.status_code == 302, form_errors(response)
    fresh = MaintenanceWindow.objects.get()
    assert fresh.weekly and list(fresh.cis.all()) == [kept]

    stale = edit_body(client, url, name="Renamed")
    MaintenanceWindow.objects.filter(pk=window.pk).update(version=F("version") + 1)
    refused = client.post(url, stale)
    assert "changed by someone else" in refused.content.decode()
    assert MaintenanceWindow.objects.get().name == window.name


def test_ending_a_running_window_now(db):
    now = timezone.now()
    window = MaintenanceWindowFactory(
        name="Patching", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    client = signed_in(agent())
    listing = client.get(reverse("events:window-list")).content.decode()
    assert "in progress" in listing and reverse("events:window-end", args=[window.pk]) in listing
    response = client.post(reverse("events:window-end", args=[window.pk]), follow=True)
    assert "is ended" in response.content.decode()
    fresh = MaintenanceWindow.objects.get()
    assert not window_active(fresh, timezone.now())
    assert audits("maintenancewindow.ended") == 1
    again = client.post(reverse("events:window-end", args=[window.pk]), follow=True)
    assert "already over" in again.content.decode()


def test_a_window_that_has_not_started_cannot_end_but_can_be_deleted(db):
    later = timezone.now() + timedelta(days=3)
    window = MaintenanceWindowFactory(starts_at=later, ends_at=later + timedelta(hours=2))
    client = signed_in(agent())
    refused = client.post(reverse("events:window-end", args=[window.pk]), follow=True)
    assert "has not started" in refused.content.decode()
    assert MaintenanceWindow.objects.get().ends_at == window.ends_at
    url = reverse("events:window-delete", args=[window.pk])
    assert "Delete maintenance window" in client.get(url).content.decode()
    client.post(url)
    assert not MaintenanceWindow.objects.exists()
    assert audits("maintenancewindow.deleted") == 1


def test_window_list_paginates(db):
    now = timezone.now()
    for n in range(26):
        MaintenanceWindowFactory(
            starts_at=now + timedelta(days=n), ends_at=now + timedelta(days=n + 1)
        )
    client = signed_in(agent())
    first = client.get(reverse("events:window-list"))
    assert 'rel="next"' in first.content.decode()
    assert len(first.context["windows"]) == 25
    assert len(client.get(reverse("events:window-list"), {"page": 2}).context["windows"]) == 1


# --- test this payload -------------------------------------------------------------------------
def test_dry_run_shows_the_matching_rule_and_writes_nothing(integration):
    db01 = CIFactory(name="db-01")
    RuleFactory(
        name="Production databases",
        conditions=[{"field": "labels.env", "op": "equals", "value": "prod"}],
        actions={
            "set_severity": "critical",
            "create_incident": True,
            "map_ci": db01.pk,
            "add_labels": {"tier": "gold"},
        },
    )
    RuleFactory(name="Staging noise", conditions=[{"field": "labels.env", "value": "staging"}])
    client = signed_in(agent())
    assert client.get(reverse("events:rule-test")).status_code == 200
    payload = '{"summary": "Disk full on db-01", "severity": "warning", "labels": {"env": "prod"}}'
    response = client.post(
        reverse("events:rule-test"), {"integration": integration.pk, "payload": payload}
    )
    assert response.status_code == 200
    [row] = response.context["rows"]
    assert row["matched_rules"] == ["Production databases"]
    assert (row["severity"], row["ci"], row["creates_incident"]) == ("critical", "db-01", True)
    page = response.content.decode()
    assert "Production databases" in page and "Staging noise" not in page
    assert "tier=gold" in page
    assert not Event.objects.exists() and not Alert.objects.exists()


def test_dry_run_reads_another_format_and_shows_a_dropped_event(integration):
    RuleFactory(name="Drop watchdog", conditions=[{"field": "check_name", "value": "Watchdog"}])
    Rule.objects.update(actions={"drop": True})
    payload = (
        '{"version": "4", "status": "firing",'
        ' "alerts": [{"status": "firing", "labels": {"alertname": "Watchdog"}}]}'
    )
    response = signed_in(agent()).post(
        reverse("events:rule-test"),
        {"integration": integration.pk, "format": Format.ALERTMANAGER, "payload": payload},
    )
    [row] = response.context["rows"]
    assert row["dropped"] and row["matched_rules"] == ["Drop watchdog"]
    assert "No alert, no incident" in response.content.decode()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"summary": "Disk full",', "not valid JSON"),
        ('{"severity": "critical"}', "Ingest would refuse this payload"),
    ],
)
def test_dry_run_with_a_bad_payload_is_a_form_error(integration, payload, message):
    response = signed_in(agent()).post(
        reverse("events:rule-test"), {"integration": integration.pk, "payload": payload}
    )
    assert response.status_code == 200
    errors = form_errors(response)
    assert any(message in text for text in errors["payload"]), errors
    assert response.context["rows"] is None


# --- who may see the console -------------------------------------------------------------------
def test_requester_cannot_open_any_console_page(integration):
    rule = RuleFactory()
    window = MaintenanceWindowFactory(
        starts_at=timezone.now(), ends_at=timezone.now() + timedelta(hours=1)
    )
    client = signed_in(requester())
    urls = [
        reverse("events:integration-list"),
        reverse("events:integration-create"),
        reverse("events:integration-rotate", args=[integration.pk]),
        reverse("events:rule-list"),
        reverse("events:rule-create"),
        reverse("events:rule-edit", args=[rule.pk]),
        reverse("events:rule-test"),
        reverse("events:window-list"),
        reverse("events:window-create"),
        reverse("events:window-end", args=[window.pk]),
        reverse("events:window-delete", args=[window.pk]),
        reverse("events:heartbeat-list"),
        reverse("events:heartbeat-create"),
        reverse("events:heartbeat-pause", args=[HeartbeatFactory().pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
        assert client.post(url, {}).status_code == 403, url
    assert Client().get(reverse("events:rule-test")).status_code == 302  # to sign in
    assert MaintenanceWindow.objects.count() == Rule.objects.count() == 1


def test_console_nav_links_every_page(db):
    page = signed_in(agent()).get(reverse("events:rule-test")).content.decode()
    for name in ("console", "rule-list", "rule-test", "window-list", "integration-list"):
        assert reverse(f"events:{name}") in page, name
    assert reverse("events:heartbeat-list") in page

"""The rule editor: condition rows and labelled actions, the JSON mode, and rules in words."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from opsdesk.core.models import AuditEntry
from opsdesk.core.testing.factories import TeamFactory, admin, agent
from opsdesk.core.testing.views import form_errors
from opsdesk.events.models import Rule
from opsdesk.events.testing import RuleFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("events:rule-create")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(*conditions: dict, extra: int = 3) -> dict:
    """The condition rows as the browser sends them: filled rows, then blank ones."""
    body = {
        "condition-TOTAL_FORMS": str(len(conditions) + extra),
        "condition-INITIAL_FORMS": "0",
        "condition-MIN_NUM_FORMS": "0",
        "condition-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate([*conditions, *[{}] * extra]):
        body.update({f"condition-{n}-{k}": v for k, v in {"op": "equals", **row}.items()})
    return body


def form_body(*conditions: dict, **fields) -> dict:
    return {"editor": "form", "name": "Databases", "order": "10", "active": "on"} | (
        rows(*conditions) | fields
    )


@pytest.fixture
def dba():
    return TeamFactory(name="Database team")


def test_admin_builds_a_rule_with_the_editor_and_reads_it_back_in_words(dba):
    client = signed_in(admin())
    page = client.get(CREATE).content.decode()
    assert "Edit as JSON (for experts)" in page and "Severity" in page
    assert page.count('data-testid="condition-row"') == 3  # blank rows, no JavaScript needed
    body = form_body(
        {"field": "severity", "op": "equals", "value": "Critical"},
        {"field": "resource", "op": "regex", "value": "db-"},
        {"field": "label", "label_name": "env", "op": "in", "value": "prod, dr"},
        create_incident="on",
        route_to_team="Database team",
        set_severity="major",
    )
    response = client.post(CREATE, body)
    assert response.status_code == 302, form_errors(response)
    rule = Rule.objects.get()
    assert rule.conditions == [
        {"field": "severity", "op": "equals", "value": "critical"},
        {"field": "resource", "op": "regex", "value": "db-"},
        {"field": "labels.env", "op": "in", "value": ["prod", "dr"]},
    ]
    assert rule.actions == {
        "set_severity": "major",
        "route_to_team": dba.pk,
        "create_incident": True,
    }
    assert AuditEntry.objects.filter(action="rule.created").count() == 1

    detail = client.get(response["Location"]).content.decode()
    listing = client.get(reverse("events:rule-list")).content.decode()
    for page in (detail, listing):
        for phrase in (
            "Severity is Critical",
            "Resource contains db-",
            "Label env is one of prod, dr",
            "Set severity to Major",
            "Assign to Database team",
            "Open an incident",
        ):
            assert phrase in page, phrase
        # Never the stored shapes: no dicts, no keys, no team id.
        for raw in ("{&#x27;", "route_to_team", "set_severity", f"team {dba.pk}"):
            assert raw not in page, raw


def test_editing_in_the_form_shows_the_rule_and_keeps_what_is_not_changed(dba):
    rule = RuleFactory(
        name="Night shift",
        conditions=[{"field": "time_of_day", "op": "between", "value": ["22:00", "06:00"]}],
        actions={"route_to_team": dba.pk, "suppress": True},
    )
    client = signed_in(admin())
    url = reverse("events:rule-edit", args=[rule.pk])
    page = client.get(url)
    form = page.context["form"]
    # The team shows by name in its picker, the window as typed times.
    assert form["route_to_team"].value() == "Database team"
    assert 'value="Database team"' in page.content.decode()
    assert 'value="22:00-06:00"' in page.content.decode()
    severity = RuleFactory(conditions=[{"field": "severity", "op": "in", "value": ["critical"]}])
    again = client.get(reverse("events:rule-edit", args=[severity.pk])).content.decode()
    assert 'name="condition-0-value" value="Critical"' in again

    body = form_body(
        {"field": "time_of_day", "op": "between", "value": "22:00-06:00"},
        name="Night shift",
        route_to_team="Database team",
        notify="team:Database team",
        version=str(rule.version),
    )
    response = client.post(url, body)
    assert response.status_code == 302, form_errors(response)
    rule.refresh_from_db()
    assert rule.conditions == [
        {"field": "time_of_day", "op": "between", "value": ["22:00", "06:00"]}
    ]
    # Suppress was unticked: it is gone; the rest is as chosen.
    assert rule.actions == {"route_to_team": dba.pk, "notify": ["team:Database team"]}
    assert "is saved" in client.get(response["Location"]).content.decode()


def test_a_stale_form_edit_is_refused(dba):
    rule = RuleFactory(name="Old", actions={"drop": True})
    client = signed_in(admin())
    url = reverse("events:rule-edit", args=[rule.pk])
    stale = form_body(name="New", drop="on", version=str(rule.version))
    Rule.objects.filter(pk=rule.pk).update(version=rule.version + 1)
    response = client.post(url, stale)
    assert "changed by someone else" in response.content.decode()
    assert Rule.objects.get(pk=rule.pk).name == "Old"


def test_json_mode_and_form_mode_store_the_same_rule(dba):
    client = signed_in(admin())
    conditions = [
        {"field": "severity", "op": "in", "value": ["critical", "major"]},
        {"field": "labels.env", "op": "exists", "not": True},
        {"field": "check_name", "op": "equals", "value": "Watchdog", "not": True},
    ]
    actions = {
        "suppress": True,
        "add_labels": {"owner": "dba"},
        "map_ci_from_label": "instance",
        "create_incident": {"assignment_group": dba.pk},
        "correlate": {"by": "service", "window_minutes": 30},
        "auto_resolve": "on_clear",
    }
    by_json = client.post(
        CREATE,
        {
            "editor": "json",
            "name": "As JSON",
            "order": "10",
            "conditions": json.dumps(conditions),
            "actions": json.dumps(actions),
        },
    )
    assert by_json.status_code == 302, form_errors(by_json)
    by_form = client.post(
        CREATE,
        form_body(
            {"field": "severity", "op": "in", "value": "critical, major"},
            {"field": "label", "label_name": "env", "op": "exists", "negate": "on"},
            {"field": "check_name", "op": "equals", "value": "Watchdog", "negate": "on"},
            name="As form",
            suppress="on",
            add_labels="owner=dba",
            map_ci_from_label="instance",
            create_incident="on",
            incident_group="Database team",
            correlate_by="service",
            correlate_window="30",
            auto_resolve="on_clear",
        ),
    )
    assert by_form.status_code == 302, form_errors(by_form)
    json_rule, form_rule = Rule.objects.get(name="As JSON"), Rule.objects.get(name="As form")
    assert json_rule.conditions == form_rule.conditions == conditions
    assert json_rule.actions == form_rule.actions == actions

    # The JSON page of the form-made rule shows exactly what was stored; posting it back
    # unchanged stores the same rule again.
    url = reverse("events:rule-edit", args=[form_rule.pk])
    json_form = client.get(f"{url}?editor=json").context["form"]
    assert json.loads(json_form["conditions"].value()) == conditions
    saved = client.post(
        url,
        {
            "editor": "json",
            "name": "As form",
            "order": "10",
            "version": str(form_rule.version),
            "conditions": json_form["conditions"].value(),
            "actions": json_form["actions"].value(),
        },
    )
    assert saved.status_code == 302, form_errors(saved)
    form_rule.refresh_from_db()
    assert (form_rule.conditions, form_rule.actions) == (conditions, actions)


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"field": "resource", "op": "regex", "value": "db-("}, "value", "regular expression"),
        ({"field": "severity", "value": "huge"}, "value", "Not a severity: huge"),
        ({"field": "time_of_day", "op": "between", "value": "8 to 6"}, "value", "two times"),
        ({"field": "summary", "op": "between", "value": "08:00-18:00"}, "op", "time of day"),
        ({"field": "label", "value": "prod"}, "label_name", "Name the label"),
        ({"field": "summary", "value": ""}, "value", "Type the value"),
        ({"value": "prod"}, "field", "Choose what this condition looks at"),
    ],
)
def test_a_bad_row_gets_its_own_field_error_and_nothing_is_written(dba, row, field, message):
    good = {"field": "resource", "op": "equals", "value": "db-1"}
    response = signed_in(admin()).post(CREATE, form_body(good, row, drop="on"))
    assert response.status_code == 200
    condition_rows = response.context["form"].rows
    assert condition_rows.errors[0] == {}  # the good row is fine
    assert any(message in text for text in condition_rows.errors[1][field]), condition_rows.errors
    assert "see its row below" in response.content.decode()
    assert not Rule.objects.exists()
    assert not AuditEntry.objects.filter(action="rule.created").exists()
    # What was typed stays in its row to be corrected.
    if row.get("value"):
        assert escape(row["value"]) in response.content.decode()


@pytest.mark.parametrize(
    ("actions", "field", "message"),
    [
        ({"route_to_team": "Nobody"}, "route_to_team", "no team called Nobody"),
        ({"notify": "team:Nobody"}, "notify", "names no team"),
        ({"add_labels": "owner"}, "add_labels", "name=value"),
        ({"correlate_window": "0", "correlate_by": "ci"}, "correlate_window", "greater"),
        ({"incident_group": "Database team"}, "create_incident", "Tick this"),
    ],
)
def test_a_bad_action_is_a_field_error_and_nothing_is_written(dba, actions, field, message):
    response = signed_in(admin()).post(CREATE, form_body(**actions))
    assert response.status_code == 200
    errors = form_errors(response)
    assert any(message in text for text in errors.get(field, [])), errors
    assert not Rule.objects.exists()


def test_a_rule_with_no_action_is_refused():
    response = signed_in(admin()).post(CREATE, form_body())
    assert response.status_code == 200
    assert "Choose at least one action." in form_errors(response)["__all__"]
    assert not Rule.objects.exists()


def test_agents_read_the_rule_page_in_words(dba):
    rule = RuleFactory(
        name="Page DBAs",
        conditions=[{"field": "summary", "op": "equals", "value": "down", "not": True}],
        actions={"route_to_team": dba.pk, "notify": ["oncall:Database team", "ops@example.com"]},
    )
    client = signed_in(agent())
    page = client.get(reverse("events:rule-detail", args=[rule.pk])).content.decode()
    assert "Summary is not down" in page
    assert "Assign to Database team" in page
    assert "Notify whoever is on call for Database team, ops@example.com" in page
    assert reverse("events:rule-edit", args=[rule.pk]) not in page  # agents only read
    # A team deleted since is named as such, not shown as a number.
    dba.delete()
    listing = client.get(reverse("events:rule-list")).content.decode()
    assert "Assign to a team that no longer exists" in listing


def test_an_incident_category_set_in_json_survives_a_form_edit(dba):
    # Categories are the incidents' records; the form keeps the one the JSON mode set.
    rule = RuleFactory(name="Databases", actions={"create_incident": {"category": 7}})
    client = signed_in(admin())
    url = reverse("events:rule-edit", args=[rule.pk])
    page = client.get(url).content.decode()
    assert "category set in the JSON mode is kept" in page
    body = form_body(
        create_incident="on",
        incident_category="7",
        incident_group="Database team",
        version=str(rule.version),
    )
    response = client.post(url, body)
    assert response.status_code == 302, form_errors(response)
    rule.refresh_from_db()
    assert rule.actions == {"create_incident": {"category": 7, "assignment_group": dba.pk}}
    detail = client.get(response["Location"]).content.decode()
    assert "Open an incident in its preset category for Database team" in detail

"""The dashboards: one per audience, open to the IT team only, with their filters in the URL
and bad filters refused with the field they are about."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import services
from opsdesk.reporting.dashboards import all_dashboards, dashboard
from opsdesk.reporting.metrics import Filters, metric
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.selectors import incident_heatmap
from opsdesk.reporting.services import record_fact_refresh

pytestmark = pytest.mark.django_db


def _fact(n, opened_at, **values):
    return RecordFact(
        record_type=values.pop("record_type", "incident"),
        record_id=n,
        number=f"INC{n:07}",
        state=values.pop("state", "new"),
        is_open=values.pop("is_open", True),
        opened_at=opened_at,
        opened_on=values.pop("opened_on", opened_at.date()),
        refreshed_at=opened_at,
        **values,
    )


@pytest.fixture
def incidents(desk_agent, caller, team):
    """Three incidents of the Service Desk team, opened today, one of them resolved."""
    opened = [
        services.incident_open(
            actor=desk_agent, caller=caller, short_description=f"Printer {n}", assignment_group=team
        )
        for n in range(3)
    ]
    for incident in opened:
        record_fact_refresh(record_type="incident", record_id=incident.pk)
    return opened


@pytest.mark.parametrize("slug", [board.slug for board in all_dashboards()])
def test_every_dashboard_renders_for_an_agent(client, desk_agent, incidents, slug):
    client.force_login(desk_agent)
    response = client.get(reverse("reporting:dashboard", args=[slug]), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<h1>{dashboard(slug).label}</h1>" in body
    # Labels, never stored values, and no inline script under the CSP.
    assert "<script>" not in body
    assert "None" not in response.content.decode().replace("is not None", "")


def test_the_index_lists_every_dashboard_by_its_label(client, desk_agent):
    client.force_login(desk_agent)
    body = client.get(reverse("reporting:home")).content.decode()
    for board in all_dashboards():
        assert reverse("reporting:dashboard", args=[board.slug]) in body
        assert board.label in body


def test_requesters_are_refused_and_anonymous_people_sent_to_sign_in(client, caller):
    url = reverse("reporting:dashboard", args=["service-desk"])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and reverse("core:login") in anonymous["Location"]
    client.force_login(caller)
    assert client.get(url).status_code == 403
    assert client.get(reverse("reporting:home")).status_code == 403
    assert client.get(reverse("reporting:records") + "?metric=opened").status_code == 403


def test_an_unknown_dashboard_is_not_found(client, desk_agent):
    client.force_login(desk_agent)
    assert client.get(reverse("reporting:dashboard", args=["colours"])).status_code == 404


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("start=yesterday", "f-start-error", "Enter a date as YYYY-MM-DD."),
        ("start=2026-03-10&end=2026-03-01", "f-end-error", "The end of the period is before"),
        ("team=Service+Desk", "f-team", "Choose one of the options."),
        ("team=999999", "f-team", "Choose one of the options."),
        ("record_type=spaceship", "f-record_type", "Choose one of the record types."),
    ],
)
def test_bad_filters_answer_400_with_the_fields_message(client, desk_agent, query, field, message):
    client.force_login(desk_agent)
    response = client.get(reverse("reporting:dashboard", args=["service-desk"]) + "?" + query)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert f'id="{field}' in body


def test_the_filters_stay_in_the_form_and_the_links(client, desk_agent, team, incidents):
    client.force_login(desk_agent)
    today = date.today()
    url = reverse("reporting:dashboard", args=["service-desk"])
    response = client.get(url, {"team": team.pk, "start": today - timedelta(days=6), "end": today})
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{team.pk}" selected>Service Desk</option>' in body
    # Every number leads to its records with the same filters.
    assert f"team={team.pk}" in body and "metric=opened" in body


def test_the_team_lead_page_opens_on_the_viewers_own_team(client, desk_agent, team):
    client.force_login(desk_agent)
    response = client.get(reverse("reporting:dashboard", args=["team-lead"]))
    assert response.status_code == 302 and f"team={team.pk}" in response["Location"]


def test_each_number_says_how_it_is_computed(client, desk_agent, incidents):
    client.force_login(desk_agent)
    body = client.get(reverse("reporting:dashboard", args=["service-desk"])).content.decode()
    description = metric("opened").description
    assert f'title="{description}"' in body
    assert "How is “Opened” computed?" in body
    # …and from there an improvement action can be raised on it, scoped as the page is.
    create = reverse("reporting:improvement-create")
    assert f'href="{create}?metric_key=opened&amp;dashboard=service-desk"' in body


def test_charts_carry_their_figures_as_json_for_the_script(client, desk_agent, incidents):
    client.force_login(desk_agent)
    body = client.get(reverse("reporting:dashboard", args=["service-desk"])).content.decode()
    assert '<script id="chart-volumes" type="application/json">' in body
    assert 'data-chart="chart-volumes"' in body
    assert "reporting/vendor/chartjs/chart.umd.js" in body
    assert "reporting/dashboards.js" in body


def test_the_executive_page_compares_with_the_previous_period(client, desk_agent, db):
    # Opened: 3 in the last 7 days, 2 in the 7 days before → up 1 of 2 = 50%.
    today = date.today()
    now = datetime.now(UTC).replace(hour=12)
    facts = [
        _fact(n, now - timedelta(days=1), opened_on=today - timedelta(days=1)) for n in (1, 2, 3)
    ]
    facts += [
        _fact(n, now - timedelta(days=8), opened_on=today - timedelta(days=8)) for n in (4, 5)
    ]
    RecordFact.objects.bulk_create(facts)
    client.force_login(desk_agent)
    response = client.get(
        reverse("reporting:dashboard", args=["executive"]),
        {"start": today - timedelta(days=6), "end": today},
    )
    assert "Up 50% (was 2)" in response.content.decode()


def test_the_heat_map_counts_incidents_by_the_organisations_weekday_and_hour(settings, desk_agent):
    settings.OPSDESK_TIME_ZONE = "Europe/Paris"
    # Monday 2 March 2026, 08:30 UTC is 09:30 in Paris (UTC+1): Monday, 9 o'clock.
    # Sunday 29 March 2026, 01:30 UTC is 03:30 in Paris, summer time from 02:00 (UTC+2).
    # Sunday 1 March 2026, 23:30 UTC is already Monday 2 March 00:30 in Paris.
    RecordFact.objects.bulk_create(
        [
            _fact(1, datetime(2026, 3, 2, 8, 30, tzinfo=UTC), opened_on=date(2026, 3, 2)),
            _fact(2, datetime(2026, 3, 2, 8, 45, tzinfo=UTC), opened_on=date(2026, 3, 2)),
            _fact(3, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), opened_on=date(2026, 3, 29)),
            _fact(4, datetime(2026, 3, 1, 23, 30, tzinfo=UTC), opened_on=date(2026, 3, 2)),
            _fact(5, datetime(2026, 3, 2, 8, 30, tzinfo=UTC), record_type="problem"),
        ]
    )
    heat = incident_heatmap(
        filters=Filters(start=date(2026, 3, 1), end=date(2026, 3, 31)), viewer=desk_agent
    )
    cells = {
        (c["weekday"], c["hour"]): c for row in heat["rows"] for c in row["cells"] if c["count"]
    }
    assert {key: cell["count"] for key, cell in cells.items()} == {(1, 9): 2, (7, 3): 1, (1, 0): 1}
    # The busiest cell (2) has the darkest shade, a cell of 1 half of it: round(5 × 1/2) = 2.
    assert cells[(1, 9)]["shade"] == 5 and cells[(7, 3)]["shade"] == 2
    assert heat["total"] == 4


def test_a_lead_role_sees_the_reports_in_the_menu(client, db):
    lead = UserFactory(roles=[Role.TEAM_LEAD])
    client.force_login(lead)
    body = client.get(reverse("reporting:home")).content.decode()
    assert f'href="{reverse("reporting:home")}"' in body and ">Reports<" in body


def _clock(incident, *, due_at, now):
    from django.contrib.contenttypes.models import ContentType

    from opsdesk.sla.models import SlaTimer
    from opsdesk.sla.models.timers import TimerKind, TimerState
    from tests.sla.factories import PolicyFactory

    policy = PolicyFactory()
    return SlaTimer.objects.create(
        content_type=ContentType.objects.get_for_model(incident),
        object_id=str(incident.pk),
        record_type="incident",
        kind=TimerKind.RESOLUTION,
        policy=policy,
        calendar=policy.resolution_calendar,
        state=TimerState.RUNNING,
        started_at=now,
        elapsed=timedelta(0),
        elapsed_at=now,
        due_at=due_at,
    )


def test_the_team_lead_sees_the_clocks_about_to_breach(client, desk_agent, team, incidents):
    # Due in 1 h: listed; overdue 10 min ago: listed first, marked; due in 10 h: not yet.
    from opsdesk.sla.models import SlaTimer

    SlaTimer.objects.all().delete()
    now = datetime.now(UTC)
    soon, late, quiet = incidents
    _clock(soon, due_at=now + timedelta(hours=1), now=now)
    _clock(late, due_at=now - timedelta(minutes=10), now=now)
    _clock(quiet, due_at=now + timedelta(hours=10), now=now)
    client.force_login(desk_agent)
    response = client.get(reverse("reporting:dashboard", args=["team-lead"]), {"team": team.pk})
    body = response.content.decode()
    panel = body[body.index('data-testid="panel-breaching"') :]
    panel = panel[: panel.index("</section>")]
    assert panel.index(late.number) < panel.index(soon.number)
    assert quiet.number not in panel
    assert "Overdue" in panel
    assert f'href="{reverse("incidents:detail", args=[soon.pk])}"' in panel


def test_the_service_owner_sees_the_major_incidents_of_the_period(client, desk_agent, incidents):
    # Declared 3 h ago and ended 1 h 30 min later: it lasted 1 h 30 min.
    from opsdesk.incidents.models import Incident

    major = incidents[0]
    declared = datetime.now(UTC) - timedelta(hours=3)
    Incident.objects.filter(pk=major.pk).update(
        is_major=True, major_declared_at=declared, major_ended_at=declared + timedelta(minutes=90)
    )
    client.force_login(desk_agent)
    body = client.get(reverse("reporting:dashboard", args=["service-owner"])).content.decode()
    panel = body[body.index('data-testid="panel-major"') :]
    panel = panel[: panel.index("</section>")]
    assert major.number in panel and "1 h 30 min" in panel
    assert incidents[1].number not in panel


def test_a_panel_of_metrics_not_registered_yet_is_left_out(client, desk_agent):
    from opsdesk.reporting.dashboards import Dashboard, Panel
    from opsdesk.reporting.selectors import dashboard_data

    board = Dashboard(
        slug="x",
        label="X",
        audience="Tester",
        description="",
        panels=(
            Panel(key="later", title="Later", metrics=("a_metric_to_come",)),
            Panel(key="now", title="Now", metrics=("a_metric_to_come", "opened")),
        ),
    )
    panels = dashboard_data(board=board, filters=Filters.default(), viewer=desk_agent)
    assert [p["panel"].key for p in panels] == ["now"]
    assert [m.key for m in panels[0]["metrics"]] == ["opened"]


def test_the_operations_page_counts_alerts_by_severity(client, desk_agent):
    from opsdesk.events.models import Alert
    from opsdesk.events.testing import IntegrationFactory

    integration = IntegrationFactory()
    now = datetime.now(UTC)
    # Two critical alerts (one resolved), one warning: 3 raised, 2 active now.
    for n, (severity, status) in enumerate(
        [("critical", "open"), ("critical", "resolved"), ("warning", "acknowledged")]
    ):
        Alert.objects.create(
            integration=integration,
            fingerprint=f"f{n}",
            status=status,
            severity=severity,
            highest_severity=severity,
            classification="exception",
            first_seen=now,
            last_seen=now,
        )
    client.force_login(desk_agent)
    response = client.get(
        reverse("reporting:dashboard", args=["operations"]), {"format": "csv", "table": "alerts"}
    )
    assert response.content.decode().splitlines()[:3] == [
        "Severity,Alerts",
        "Critical,2",
        "Major,0",
    ]


def test_a_metric_that_cannot_take_a_filter_says_so_and_the_page_stands(client, desk_agent):
    # The backlog trend is kept per record type, team and priority: not per service.
    from tests.cmdb.factories import business_service

    mail = business_service("Mail")
    client.force_login(desk_agent)
    response = client.get(
        reverse("reporting:dashboard", args=["service-desk"]), {"service": mail.pk}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not shown for these filters. Backlog trend:" in body
    assert "kept per record type, team and priority only" in body


def test_an_age_bucket_of_the_backlog_lists_its_own_records(client, admin_user_, team):
    # Open P2 records opened 3 days ago (INC1, INC2: under 7 days) and 10 days ago (INC3:
    # 7–30 days): the "Under 7 days" cell of P2 counts 2 and lists those two.
    now = datetime.now(UTC)
    RecordFact.objects.bulk_create(
        [
            _fact(1, now - timedelta(days=3), priority=2, team=team),
            _fact(2, now - timedelta(days=3), priority=2, team=team),
            _fact(3, now - timedelta(days=10), priority=2, team=team),
        ]
    )
    client.force_login(admin_user_)
    body = client.get(
        reverse("reporting:dashboard", args=["team-lead"]), {"team": team.pk}
    ).content.decode()
    panel = body[body.index('data-testid="panel-ageing"') :]
    panel = panel[: panel.index("</section>")]
    href = re.search(
        r'href="([^"]*bucket=lt7[^"]*group=2[^"]*|[^"]*group=2[^"]*bucket=lt7[^"]*)"', panel
    )
    assert href, panel
    records = client.get(href.group(1).replace("&amp;", "&")).content.decode()
    assert sorted(re.findall(r">(INC\d{7})</", records)) == ["INC0000001", "INC0000002"]
    assert "open for under 7 days" in records

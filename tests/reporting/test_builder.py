"""The report builder: agents build a report from a measure, filters and a grouping, see its
table and chart, save it under a name and share it; bad input is a form error, never a 500,
and saves nothing."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from opsdesk.core.testing.factories import TeamFactory, agent, requester
from opsdesk.reporting.models import RecordFact, SavedReport
from opsdesk.reporting.periods import local_day

pytestmark = pytest.mark.django_db

BUILDER = reverse("reporting:builder")
SAVE = reverse("reporting:builder-save")


def _fact(n, *, team, opened, seconds):
    return RecordFact(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        state="resolved",
        is_open=False,
        team=team,
        opened_at=opened,
        opened_on=local_day(opened),
        resolved_at=opened + timedelta(seconds=seconds),
        resolved_on=local_day(opened + timedelta(seconds=seconds)),
        first_resolved_at=opened + timedelta(seconds=seconds),
        first_resolved_on=local_day(opened + timedelta(seconds=seconds)),
        resolve_seconds=seconds,
        refreshed_at=opened,
    )


@pytest.fixture
def facts(db):
    network = TeamFactory(name="Network Operations")
    desk = TeamFactory(name="Service Desk")
    opened = timezone.now().replace(microsecond=0) - timedelta(days=2)
    RecordFact.objects.bulk_create(
        [
            _fact(1, team=network, opened=opened, seconds=3600),
            _fact(2, team=network, opened=opened, seconds=7200),
            _fact(3, team=desk, opened=opened, seconds=1800),
        ]
    )
    return network, desk


def test_an_agent_sees_the_table_and_the_chart_of_a_grouped_report(client, facts):
    client.force_login(agent())
    response = client.get(BUILDER, {"metric": "mttr", "period": "7", "group_by": "team"})
    assert response.status_code == 200
    text = response.content.decode()
    # Network Operations: 1 h and 2 h → mean 1 h 30 min over 2 records; Service Desk: 30 min.
    assert "Network Operations" in text and "1 h 30 min" in text
    assert "Service Desk" in text and "30 min" in text
    assert reverse("reporting:builder-chart") in text
    chart = client.get(
        reverse("reporting:builder-chart"), {"metric": "mttr", "period": "7", "group_by": "team"}
    )
    assert chart.status_code == 200 and chart["Content-Type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_empty_builder_explains_what_to_do(client, db):
    client.force_login(agent())
    response = client.get(BUILDER)
    assert response.status_code == 200
    assert "Choose a measure" in response.content.decode()


def test_requesters_may_not_build_reports(client, db):
    client.force_login(requester())
    assert client.get(BUILDER).status_code == 403
    assert client.get(reverse("reporting:builder-chart"), {"metric": "mttr"}).status_code == 403
    response = client.post(SAVE, {"metric": "mttr", "name": "Mine"})
    assert response.status_code == 403
    assert not SavedReport.objects.exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"metric": "no_such_metric"}, "Choose one of the measures."),
        ({"metric": "mttr", "group_by": "colour"}, "Group by one of"),
        ({"metric": "mttr", "period": "custom", "start": "2026-13-01"}, "Enter a date"),
        (
            {"metric": "mttr", "period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
            "The end of the period is before its start.",
        ),
        ({"metric": "mttr", "team": "network"}, "Choose one of the options."),
        ({"metric": "mttr", "period": "365000"}, "Choose one of the periods."),
    ],
)
def test_bad_builder_input_is_a_form_error(client, db, query, message):
    client.force_login(agent())
    response = client.get(BUILDER, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert client.get(reverse("reporting:builder-chart"), query).status_code == 400


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"metric": "mttr", "name": ""}, "Give the report a name."),
        ({"metric": "mttr", "name": "   "}, "Give the report a name."),
        ({"metric": "no_such_metric", "name": "Weekly MTTR"}, "Choose one of the measures."),
        ({"metric": "mttr", "group_by": "colour", "name": "Weekly MTTR"}, "Group by one of"),
        ({"metric": "mttr", "name": "x" * 121}, "at most 120 characters"),
    ],
)
def test_bad_save_input_is_a_form_error_and_saves_nothing(client, db, data, field_message):
    client.force_login(agent())
    response = client.post(SAVE, data)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert not SavedReport.objects.exists()


def test_a_second_report_of_the_same_name_is_refused(client, db):
    client.force_login(agent())
    client.post(SAVE, {"metric": "mttr", "name": "Weekly MTTR"})
    response = client.post(SAVE, {"metric": "opened", "name": "weekly mttr"})
    assert response.status_code == 400
    assert "You already have a report with this name." in response.content.decode()
    assert SavedReport.objects.count() == 1


def test_a_saved_report_keeps_its_filters_as_the_builder_url(client, facts):
    network, _ = facts
    client.force_login(agent())
    response = client.post(
        SAVE,
        {
            "metric": "mttr",
            "period": "7",
            "team": str(network.pk),
            "group_by": "priority",
            "name": "Network MTTR",
        },
        follow=True,
    )
    report = SavedReport.objects.get()
    assert (report.name, report.metric_key, report.shared) == ("Network MTTR", "mttr", False)
    # A relative period is kept relative: the mail of each week covers the seven days before it.
    assert report.query == f"period=7&team={network.pk}&group_by=priority"
    assert "The report Network MTTR is saved." in response.content.decode()
    assert "Open in the builder" in response.content.decode()


def test_visibility_of_saved_and_shared_reports(client, db):
    owner, colleague = agent(), agent()
    client.force_login(owner)
    client.post(SAVE, {"metric": "mttr", "name": "Private MTTR"})
    client.post(SAVE, {"metric": "opened", "name": "Team volumes", "shared": "on"})
    private = SavedReport.objects.get(name="Private MTTR")
    shared = SavedReport.objects.get(name="Team volumes")

    # who looks      | Private MTTR | Team volumes
    # the owner      | listed, 200  | listed, 200
    # another agent  | hidden, 404  | listed, 200
    listing = client.get(reverse("reporting:saved-reports")).content.decode()
    assert "Private MTTR" in listing and "Team volumes" in listing
    assert client.get(reverse("reporting:saved-report", args=[private.pk])).status_code == 200

    client.force_login(colleague)
    listing = client.get(reverse("reporting:saved-reports")).content.decode()
    assert "Team volumes" in listing and "Private MTTR" not in listing
    assert client.get(reverse("reporting:saved-report", args=[private.pk])).status_code == 404
    assert client.get(reverse("reporting:saved-report", args=[shared.pk])).status_code == 200
    # Only the owner may change who sees it.
    share = reverse("reporting:saved-report-share", args=[shared.pk])
    assert client.post(share, {"shared": "0"}).status_code == 403

    client.force_login(owner)
    response = client.post(
        reverse("reporting:saved-report-share", args=[private.pk]), {"shared": "1"}, follow=True
    )
    assert "is shared with every agent" in response.content.decode()
    client.force_login(colleague)
    assert client.get(reverse("reporting:saved-report", args=[private.pk])).status_code == 200


def test_saved_reports_are_paginated(client, db):
    owner = agent()
    SavedReport.objects.bulk_create(
        SavedReport(owner=owner, name=f"Report {n:02}", metric_key="opened") for n in range(30)
    )
    client.force_login(owner)
    page = client.get(reverse("reporting:saved-reports")).content.decode()
    assert "Report 24" in page and "Report 25" not in page and "Page 1 of 2" in page


def test_a_custom_period_is_kept_as_its_dates(client, db):
    client.force_login(agent())
    start = datetime(2026, 3, 1, tzinfo=UTC).date()
    client.post(
        SAVE,
        {
            "metric": "opened",
            "period": "custom",
            "start": start.isoformat(),
            "end": "2026-03-31",
            "name": "March volumes",
        },
    )
    assert SavedReport.objects.get().query == "period=custom&start=2026-03-01&end=2026-03-31"

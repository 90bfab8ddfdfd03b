"""In a real browser: an agent builds a report by its visible labels (a measure, a period and a
grouping), sees its table and chart, saves and shares it, and subscribes to it weekly."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.core.testing.factories import TeamFactory, agent
from opsdesk.reporting.models import RecordFact, ReportSubscription, SavedReport
from opsdesk.reporting.periods import local_day
from tests.e2e.screens import assert_no_internal_values, confirmed, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


def test_an_agent_builds_saves_and_subscribes_to_a_report(
    django_db_serialized_rollback, transactional_db, live_server, new_page
):
    network = TeamFactory(name="Network Operations")
    dana = agent(username="dana", display_name="Dana Dubois", time_zone="Europe/Berlin")
    opened = timezone.now().replace(microsecond=0) - timedelta(days=1)
    # Two incidents of Network Operations resolved in 1 h and 3 h: mean 2 h.
    RecordFact.objects.bulk_create(
        RecordFact(
            record_type="incident",
            record_id=n,
            number=f"INC{n:07}",
            state="resolved",
            is_open=False,
            team=network,
            opened_at=opened,
            opened_on=local_day(opened),
            first_resolved_at=opened + timedelta(hours=hours),
            first_resolved_on=local_day(opened + timedelta(hours=hours)),
            resolve_seconds=hours * 3600,
            refreshed_at=opened,
        )
        for n, hours in ((1, 1), (2, 3))
    )

    page = sign_in(new_page(), live_server.url, dana)
    page.goto(f"{live_server.url}/reports/builder/")
    expect(page.get_by_role("heading", name="Report builder")).to_be_visible()
    page.get_by_label("Measure").select_option(label="Mean time to resolve")
    page.get_by_label("Record type").select_option(label="Incident")
    page.get_by_label("Period").select_option(label="Last 7 days")
    page.get_by_label("Group by").select_option(label="Team")
    page.get_by_role("button", name="Show the report").click()

    table = page.get_by_test_id("report-table")
    expect(table.get_by_role("row", name="Network Operations")).to_contain_text("2 h")
    chart = page.get_by_role("img", name="Chart of Mean time to resolve by group")
    expect(chart).to_be_visible()
    # The chart is a PNG the server drew: the browser decoded it to a real width.
    page.wait_for_function(
        "() => { const i = document.querySelector('img.report-chart');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert_no_internal_values(page)

    page.get_by_label("Report name").fill("Network MTTR")
    page.get_by_label("Share with every agent").check()
    page.get_by_role("button", name="Save the report").click()
    confirmed(page, "The report Network MTTR is saved.")
    expect(page.get_by_role("heading", name="Network MTTR", level=1)).to_be_visible()
    expect(page.get_by_text("every agent sees it")).to_be_visible()

    page.get_by_label("How often").select_option(label="Every week")
    page.get_by_label("Weekday").select_option(label="Monday")
    page.get_by_label("Time of day").select_option(label="08:00")
    page.get_by_role("button", name="Subscribe").click()
    confirmed(page, "You are subscribed to Network MTTR: every Monday at 08:00.")
    row = page.get_by_test_id("subscriptions").get_by_role("row", name="Network MTTR")
    expect(row).to_contain_text("Every Monday at 08:00")
    expect(row).to_contain_text("Active")
    assert_no_internal_values(page)

    report = SavedReport.objects.get()
    assert (report.name, report.metric_key, report.shared) == ("Network MTTR", "mttr", True)
    subscription = ReportSubscription.objects.get()
    assert (subscription.report_id, subscription.weekday, subscription.hour) == (report.pk, 0, 8)

"""CSV of every dashboard table and of the records behind a number: labels and durations as
people read them, and the seconds beside each duration for a spreadsheet."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from opsdesk.reporting.models import RecordFact

pytestmark = pytest.mark.django_db

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def _fact(n, team=None, **values):
    opened_at = values.pop("opened_at", datetime(2026, 3, 2, 9, tzinfo=UTC))
    return RecordFact(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        short_description=f"Printer {n}",
        state=values.pop("state", "resolved"),
        is_open=values.pop("is_open", False),
        team=team,
        opened_at=opened_at,
        opened_on=opened_at.date(),
        refreshed_at=opened_at,
        **values,
    )


@pytest.fixture
def resolved(team):
    """Two P2 incidents of the Service Desk resolved on 3 March: in 2 h (7,200 s) and in
    4 h 30 min (16,200 s); mean 3 h 15 min (11,700 s)."""
    done = datetime(2026, 3, 3, 9, tzinfo=UTC)
    RecordFact.objects.bulk_create(
        [
            _fact(
                1,
                team,
                priority=2,
                resolve_seconds=7200,
                first_resolved_at=done,
                first_resolved_on=done.date(),
            ),
            _fact(
                2,
                team,
                priority=2,
                resolve_seconds=16200,
                first_resolved_at=done,
                first_resolved_on=done.date(),
            ),
        ]
    )


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_a_dashboard_table_downloads_with_labels_and_seconds(client, admin_user_, resolved):
    client.force_login(admin_user_)
    response = client.get(
        reverse("reporting:dashboard", args=["executive"]),
        {**MARCH, "format": "csv", "table": "mttr-by-priority"},
    )
    assert 'filename="executive-mttr-by-priority.csv"' in response["Content-Disposition"]
    lines = _csv(response)
    assert lines[0] == [
        "Priority",
        "Records",
        "Mean",
        "Mean (seconds)",
        "Median",
        "Median (seconds)",
        "p90",
        "p90 (seconds)",
    ]
    # median of 7,200 and 16,200 = 11,700; p90 = 7,200 + 0.9 × 9,000 = 15,300 (4 h 15 min).
    assert lines[1] == [
        "P2 - High",
        "2",
        "3 h 15 min",
        "11700",
        "3 h 15 min",
        "11700",
        "4 h 15 min",
        "15300",
    ]
    assert lines[2][0] == "All"


def test_the_whole_dashboard_downloads_table_after_table(client, admin_user_, resolved):
    client.force_login(admin_user_)
    response = client.get(
        reverse("reporting:dashboard", args=["executive"]), {**MARCH, "format": "csv"}
    )
    lines = _csv(response)
    titles = [line[0] for line in lines if len(line) == 1]
    assert titles[:2] == ["Against the previous period", "Opened and resolved per week"]
    assert ["Opened", "2"] in lines


def test_the_records_behind_a_number_download_with_their_durations(client, admin_user_, resolved):
    client.force_login(admin_user_)
    response = client.get(
        reverse("reporting:records"), {**MARCH, "metric": "mttr", "format": "csv"}
    )
    lines = _csv(response)
    assert lines[0][:3] == ["Number", "Record type", "Summary"]
    assert "Time to resolve (seconds)" in lines[0]
    by_number = {line[0]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    assert set(by_number) == {"INC0000001", "INC0000002"}
    assert by_number["INC0000002"]["Time to resolve"] == "4 h 30 min"
    assert by_number["INC0000002"]["Time to resolve (seconds)"] == "16200"
    assert by_number["INC0000002"]["Team"] == "Service Desk"
    assert by_number["INC0000002"]["Priority"] == "P2 - High"
    assert by_number["INC0000002"]["Record type"] == "Incident"
    assert by_number["INC0000002"]["State"] == "Resolved"


def test_a_csv_with_bad_filters_is_a_400_page_not_a_file(client, admin_user_):
    client.force_login(admin_user_)
    response = client.get(
        reverse("reporting:dashboard", args=["executive"]), {"start": "soon", "format": "csv"}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")

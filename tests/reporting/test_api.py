"""The reporting API: every metric with the dashboards' filters, the same figures as
``metrics.compute``, the records behind them page by page, and field-level 400s."""

from datetime import UTC, date, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from opsdesk.core.services import token_create
from opsdesk.core.testing.api import assert_error_shape
from opsdesk.core.testing.factories import TeamFactory, admin, agent, requester
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import Filters
from opsdesk.reporting.models import RecordFact

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-03-02", "end": "2026-03-08"}
HOUR = 3600


def fact(n, *, team=None, opened, resolved_after=None, business=None, **values):
    """A fact row opened at ``opened`` and (when given) first resolved ``resolved_after``
    seconds later, ``business`` of them in business time."""
    row = dict(
        record_type="incident",
        record_id=n,
        number=f"INC{n:07}",
        short_description=f"Incident {n}",
        team=team,
        state="new",
        is_open=True,
        opened_at=opened,
        opened_on=opened.date(),
        refreshed_at=opened,
        priority=3,
        channel="portal",
    )
    if resolved_after is not None:
        resolved = opened + timedelta(seconds=resolved_after)
        row.update(
            state="resolved",
            is_open=False,
            first_resolved_at=resolved,
            first_resolved_on=resolved.date(),
            resolved_at=resolved,
            resolved_on=resolved.date(),
            resolve_seconds=resolved_after,
            resolve_business_seconds=business,
            total_resolve_seconds=resolved_after,
            total_resolve_business_seconds=business,
        )
    row.update(values)
    return RecordFact(**row)


@pytest.fixture
def desk(db):
    return TeamFactory(name="Service Desk")


@pytest.fixture
def network(db):
    return TeamFactory(name="Network")


@pytest.fixture
def figures(desk, network):
    """Four incidents of the week of 2 March 2026, one of them still open, one confidential.

    Service Desk: 1 h (business 1 h) on Monday 2nd, 2 h (business 30 min) on Tuesday 3rd.
    Network: 3 h (business 2 h) on Tuesday 3rd, confidential. One still open, of no team or
    priority, opened Wednesday 4th.
    """
    RecordFact.objects.bulk_create(
        [
            fact(
                1,
                team=desk,
                opened=datetime(2026, 3, 2, 9, tzinfo=UTC),
                resolved_after=HOUR,
                business=HOUR,
            ),
            fact(
                2,
                team=desk,
                opened=datetime(2026, 3, 3, 9, tzinfo=UTC),
                resolved_after=2 * HOUR,
                business=HOUR / 2,
                priority=2,
            ),
            fact(
                3,
                team=network,
                opened=datetime(2026, 3, 3, 10, tzinfo=UTC),
                resolved_after=3 * HOUR,
                business=2 * HOUR,
                confidential=True,
            ),
            fact(4, opened=datetime(2026, 3, 4, 10, tzinfo=UTC), priority=None),
        ]
    )


def get(client, path, **query):
    return client.get(f"/api/reports/metrics/{path}", query)


def test_the_list_names_every_metric_with_how_it_is_computed(api, figures):
    body = get(api(agent()), "").json()
    by_key = {m["key"]: m for m in body}
    assert set(by_key) == {m.key for m in metrics.all_metrics()}
    mttr = by_key["mttr"]
    assert mttr["label"] == "Mean time to resolve" and mttr["kind"] == "duration"
    assert "cancelled records are left out" in mttr["description"]
    assert [c["key"] for c in mttr["columns"]] == ["count", "mean", "median", "p90"]
    assert mttr["has_records"] is True


def test_mttr_over_the_week_is_computed_by_hand(api, figures):
    body = get(api(agent()), "mttr/", **PERIOD).json()
    # 1 h, 2 h, 3 h: mean 2 h = 7200 s; median 7200 s;
    # p90: rank 0.9 × 2 = 1.8 → 7200 + 0.8 × (10800 − 7200) = 10080 s.
    assert body["total"] == {
        "count": 3,
        "mean": 7200.0,
        "median": 7200.0,
        "p90": pytest.approx(10080.0),
    }
    assert body["rows"] == []
    assert body["filters"]["time"] == "calendar" and body["filters"]["start"] == "2026-03-02"


def test_business_time_and_grouping_by_team_give_labelled_rows(api, figures, desk, network):
    body = get(api(agent()), "mttr/", group_by="team", time="business", **PERIOD).json()
    rows = {row["label"]: row for row in body["rows"]}
    # Service Desk: 3600 and 1800 s → mean 2700; Network: 7200 s alone.
    assert rows["Service Desk"]["group"] == str(desk.pk)
    assert rows["Service Desk"]["values"]["mean"] == 2700.0
    assert rows["Network"]["values"] == {
        "count": 1,
        "mean": 7200.0,
        "median": 7200.0,
        "p90": 7200.0,
    }
    # All three: 3600 + 1800 + 7200 = 12600 / 3 = 4200 s.
    assert body["total"]["mean"] == 4200.0


@pytest.mark.parametrize(
    "key, query",
    [
        ("mttr", {"group_by": "day"}),
        ("mttr", {"group_by": "priority", "time": "business"}),
        ("opened", {"group_by": "team"}),
        ("opened", {"priority": "2"}),
        ("resolved", {"group_by": "week"}),
        ("backlog", {"group_by": "team"}),
        ("mtta", {}),
    ],
)
def test_the_api_gives_the_figures_of_metrics_compute(api, figures, key, query):
    body = get(api(agent()), f"{key}/", **PERIOD, **query).json()
    expected = metrics.compute(key, Filters.from_query({**PERIOD, **query}))
    columns = [column for column, _ in expected.columns]
    assert body["total"] == {c: expected.total.get(c) for c in columns}
    assert [(r["group"], r["label"], r["values"]) for r in body["rows"]] == [
        (
            None if row["group"] is None else str(row["group"]),
            row["label"],
            {c: row.get(c) for c in columns},
        )
        for row in expected.rows
    ]


def test_every_registered_metric_answers(api, figures):
    client = api(agent())
    for found in metrics.all_metrics():
        response = get(client, f"{found.key}/", **PERIOD, group_by="team")
        assert response.status_code == 200, (found.key, response.content)


@pytest.mark.parametrize(
    "query, field",
    [
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-03-10", "end": "2026-03-01"}, "end"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "start"),
        ({"team": "Service Desk"}, "team"),
        ({"priority": "high"}, "priority"),
        ({"person": "1.5"}, "person"),
        ({"group_by": "colour"}, "group_by"),
        ({"record_type": "spaceship"}, "record_type"),
        ({"time": "weekly"}, "time"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(api, query, field):
    client = api(agent())
    assert_error_shape(get(client, "mttr/", **query), 400, field)
    assert_error_shape(get(client, "mttr/records/", **query), 400, field)


def test_every_bad_filter_is_named_at_once(api):
    response = get(api(agent()), "mttr/", start="soon", team="x", group_by="colour")
    error = assert_error_shape(response, 400)
    assert set(error["fields"]) == {"start", "team", "group_by"}
    assert error["message"].startswith("Please correct the filters listed")


def test_a_number_as_it_stands_now_has_no_days_to_group_by(api, figures):
    error = assert_error_shape(get(api(agent()), "backlog/", group_by="day"), 400, "group_by")
    assert "as things stand now" in error["fields"]["group_by"][0]


def test_an_unknown_metric_is_a_404(api):
    client = api(agent())
    assert_error_shape(get(client, "mean_time_to_coffee/"), 404)
    assert_error_shape(get(client, "mean_time_to_coffee/records/"), 404)


@pytest.mark.parametrize("path", ["", "mttr/", "mttr/records/"])
def test_requesters_are_refused_and_strangers_asked_to_sign_in(api, path):
    error = assert_error_shape(get(api(requester()), path), 403)
    assert error["message"] == "Reports are for the IT team."
    assert get(APIClient(), path).status_code == 401


def test_token_and_session_both_work(figures):
    user = agent()
    _, raw = token_create(actor=None, user=user, name="grafana", read_only=True)
    by_token = APIClient().get(
        "/api/reports/metrics/mttr/", PERIOD, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert by_token.status_code == 200 and by_token.json()["total"]["count"] == 3
    session = APIClient()
    session.force_login(user)
    assert session.get("/api/reports/metrics/mttr/", PERIOD).json()["total"]["count"] == 3


def test_the_records_behind_a_number_walk_every_cursor_page(api, figures):
    client = api(admin())
    numbers, url = [], "/api/reports/metrics/mttr/records/"
    query = {**PERIOD, "page_size": 1}
    while url:
        body = client.get(url, query).json()
        numbers += [row["number"] for row in body["results"]]
        url, query = body["next"], None
    # Newest opened first; the open record has no resolution and is not behind MTTR.
    assert numbers == ["INC0000003", "INC0000002", "INC0000001"]


def test_the_records_of_one_row_and_confidential_ones_for_administrators_only(
    api, figures, network
):
    query = {**PERIOD, "group_by": "team", "group": str(network.pk)}
    seen_by_admin = get(api(admin()), "mttr/records/", **query).json()["results"]
    assert [r["number"] for r in seen_by_admin] == ["INC0000003"]
    first = seen_by_admin[0]
    assert (first["team_name"], first["priority_label"], first["resolve_seconds"]) == (
        "Network",
        "P3 - Moderate",
        3 * HOUR,
    )
    assert first["record_type_label"] and first["channel_label"] == "Portal"
    # The agent's number counts it, but the list leaves the confidential record out.
    assert get(api(agent()), "mttr/records/", **query).json()["results"] == []


def test_the_open_backlog_lists_a_record_of_no_team_with_empty_names(api, figures):
    client = api(agent())
    body = get(client, "backlog/", group_by="team").json()
    assert [(r["group"], r["label"], r["values"]) for r in body["rows"]] == [
        (None, "No team", {"count": 1})
    ]
    rows = get(client, "backlog/records/").json()["results"]
    assert [(r["number"], r["team"], r["team_name"], r["priority_label"]) for r in rows] == [
        ("INC0000004", None, None, None)
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"group": "5"},  # without the grouping it came from
        {"group_by": "team", "group": "Network"},
        {"group_by": "day", "group": "Monday"},
    ],
)
def test_a_group_that_is_not_of_the_grouping_is_a_400(api, query):
    assert_error_shape(get(api(agent()), "mttr/records/", **query), 400, "group")


def test_the_schema_documents_the_reporting_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    result = paths["/api/reports/metrics/{key}/"]["get"]
    names = {p["name"] for p in result["parameters"]}
    assert {"key", "start", "end", "team", "person", "service", "ci", "priority"} <= names
    assert {"record_type", "category", "channel", "group_by", "time"} <= names
    assert {"200", "400", "403", "404"} <= set(result["responses"])
    records = paths["/api/reports/metrics/{key}/records/"]["get"]
    assert {"cursor", "page_size", "group"} <= {p["name"] for p in records["parameters"]}
    assert "/api/reports/metrics/" in paths


def test_an_empty_period_has_empty_figures(api, figures):
    body = get(api(agent()), "mttr/", start="2025-01-01", end="2025-01-31").json()
    assert body["total"] == {"count": 0, "mean": None, "median": None, "p90": None}
    assert date.fromisoformat(body["filters"]["end"]) == date(2025, 1, 31)

"""Every number opens the records behind it: the same records the figure counted, each
linking to its own page, a page at a time."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse

from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import services
from opsdesk.reporting.metrics import Filters, compute
from opsdesk.reporting.models import RecordFact
from opsdesk.reporting.services import record_fact_refresh

pytestmark = pytest.mark.django_db


def _fact(n, **values):
    opened_at = values.pop("opened_at", datetime(2026, 3, 2, 9, tzinfo=UTC))
    return RecordFact(
        record_type=values.pop("record_type", "incident"),
        record_id=n,
        number=values.pop("number", f"INC{n:07}"),
        state=values.pop("state", "new"),
        is_open=values.pop("is_open", True),
        opened_at=opened_at,
        opened_on=opened_at.date(),
        refreshed_at=opened_at,
        **values,
    )


def _listed(body: str) -> list[str]:
    return re.findall(r">(INC\d{7})</", body)


def _records(client, **query):
    return client.get(reverse("reporting:records"), query)


MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def march(team):
    """Opened in March 2026: INC1, INC2 (Service Desk, P2), INC3 (no team, P3), and INC4 in
    February (outside the period); INC5 is confidential (Service Desk)."""
    RecordFact.objects.bulk_create(
        [
            _fact(1, team=team, priority=2),
            _fact(2, team=team, priority=2, opened_at=datetime(2026, 3, 9, 9, tzinfo=UTC)),
            _fact(3, priority=3, opened_at=datetime(2026, 3, 16, 9, tzinfo=UTC)),
            _fact(4, team=team, opened_at=datetime(2026, 2, 20, 9, tzinfo=UTC)),
            _fact(5, team=team, priority=2, confidential=True),
        ]
    )


def test_the_total_lists_exactly_the_records_it_counts(client, admin_user_, march):
    # Opened in March: INC1, INC2, INC3, INC5 = 4; INC4 (February) is not.
    figure = compute("opened", Filters.from_query(MARCH)).total["count"]
    client.force_login(admin_user_)
    response = _records(client, metric="opened", **MARCH)
    assert response.status_code == 200
    assert figure == 4
    assert sorted(_listed(response.content.decode())) == [
        "INC0000001",
        "INC0000002",
        "INC0000003",
        "INC0000005",
    ]
    assert "4 records listed." in response.content.decode()


def test_a_group_lists_its_own_records(client, admin_user_, team, march):
    # By team: Service Desk opened INC1, INC2, INC5 (3); no team: INC3 (1).
    client.force_login(admin_user_)
    rows = {
        row["group"]: row["count"]
        for row in compute("opened", Filters.from_query({**MARCH, "group_by": "team"})).rows
    }
    assert rows == {team.pk: 3, None: 1}
    desk = _records(client, metric="opened", group_by="team", group=team.pk, **MARCH)
    assert sorted(_listed(desk.content.decode())) == ["INC0000001", "INC0000002", "INC0000005"]
    assert "Team: Service Desk" in desk.content.decode()
    nobody = _records(client, metric="opened", group_by="team", group="", **MARCH)
    assert _listed(nobody.content.decode()) == ["INC0000003"]
    assert "Team: No team" in nobody.content.decode()


def test_a_week_lists_the_records_of_that_week(client, admin_user_, march):
    # Week of Monday 9 March: INC2 only.
    client.force_login(admin_user_)
    response = _records(client, metric="opened", group_by="week", group="2026-03-09", **MARCH)
    assert _listed(response.content.decode()) == ["INC0000002"]


def test_confidential_records_are_counted_but_listed_to_administrators_only(
    client, desk_agent, march
):
    client.force_login(desk_agent)
    response = _records(client, metric="opened", team="", priority="2", **MARCH)
    # P2 in March: INC1, INC2 and the confidential INC5; an agent sees the first two listed.
    assert sorted(_listed(response.content.decode())) == ["INC0000001", "INC0000002"]


def test_each_record_links_to_its_own_page(client, desk_agent, caller, team):
    incident = services.incident_open(
        actor=desk_agent, caller=caller, short_description="Printer jams", assignment_group=team
    )
    record_fact_refresh(record_type="incident", record_id=incident.pk)
    client.force_login(desk_agent)
    today = date.today()
    response = _records(client, metric="opened", start=today - timedelta(days=1), end=today)
    assert f'href="{reverse("incidents:detail", args=[incident.pk])}">{incident.number}<' in (
        response.content.decode()
    )


def test_the_records_come_a_page_at_a_time(client, admin_user_):
    # 60 records opened on 2 March: 50 on the first page, 10 on the second.
    RecordFact.objects.bulk_create([_fact(n) for n in range(1, 61)])
    client.force_login(admin_user_)
    first = _records(client, metric="opened", **MARCH).content.decode()
    second = _records(client, metric="opened", page=2, **MARCH).content.decode()
    assert len(_listed(first)) == 50 and len(_listed(second)) == 10
    assert "Page 1 of 2" in first and "60 records listed." in first


def test_a_heat_map_cell_lists_the_incidents_opened_then(client, admin_user_, settings):
    settings.OPSDESK_TIME_ZONE = "UTC"
    # Monday 2 March 09:00 (INC1, INC2), Monday 10:00 (INC3), Tuesday 09:00 (INC4).
    RecordFact.objects.bulk_create(
        [
            _fact(1),
            _fact(2, opened_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC)),
            _fact(3, opened_at=datetime(2026, 3, 2, 10, 0, tzinfo=UTC)),
            _fact(4, opened_at=datetime(2026, 3, 3, 9, 0, tzinfo=UTC)),
        ]
    )
    client.force_login(admin_user_)
    response = _records(client, metric="opened", record_type="incident", weekday=1, hour=9, **MARCH)
    assert sorted(_listed(response.content.decode())) == ["INC0000001", "INC0000002"]
    assert "Monday, 09:00–09:59" in response.content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ({"metric": "happiness"}, "Metric: Choose one of the metrics."),
        ({"metric": "opened", "start": "soon"}, "From: Enter a date as YYYY-MM-DD."),
        ({"metric": "opened", "group_by": "colour"}, "Grouping: Choose one of the groupings."),
        (
            {"metric": "opened", "group_by": "week", "group": "last-week"},
            "Group: This group does not belong to the grouping.",
        ),
        ({"metric": "opened", "group_by": "team", "group": "desk"}, "Group: This group"),
        ({"metric": "opened", "hour": "25"}, "Hour: Choose a whole number from 0 to 23."),
    ],
)
def test_bad_drill_downs_answer_400_with_the_field(client, desk_agent, query, message):
    client.force_login(desk_agent)
    response = _records(client, **query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_requesters_see_no_records(client, db):
    client.force_login(UserFactory())
    assert _records(client, metric="opened").status_code == 403

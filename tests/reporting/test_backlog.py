"""The open backlog: the daily snapshot (taken again, a resolved record leaving it, ages at
the day's end, a daylight-saving day), its nightly job and backfill, the ageing and the
trend drawn from the snapshots."""

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey.contrib.djhuey import HUEY

from opsdesk.core.testing.factories import TeamFactory
from opsdesk.reporting.metrics import FilterError, Filters, compute, metric
from opsdesk.reporting.models import BacklogSnapshot, RecordFact
from opsdesk.reporting.services import backlog_snapshot_take, backlog_snapshots_backfill

pytestmark = pytest.mark.django_db


def utc(month, day, hour=12, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def fact(n, opened, *, team=None, priority=3, resolved=None, cancelled=False, **values):
    return RecordFact.objects.create(
        record_type=values.pop("record_type", "incident"),
        record_id=n,
        number=f"INC{n:07}",
        team=team,
        priority=priority,
        state="cancelled" if cancelled else ("resolved" if resolved else "in_progress"),
        is_open=not (resolved or cancelled),
        is_cancelled=cancelled,
        opened_at=opened,
        opened_on=opened.date(),
        resolved_at=resolved,
        refreshed_at=opened,
        **values,
    )


def snapshot(day):
    return {
        (row.team_id, row.priority, row.bucket): row.count
        for row in BacklogSnapshot.objects.filter(day=day)
    }


@pytest.fixture
def london(settings):
    settings.OPSDESK_TIME_ZONE = "Europe/London"


@pytest.fixture
def backlog(london):
    """Records around Sunday 29 March 2026, the day London's clocks go forward: the day
    ends at midnight BST, 23:00 UTC, after 23 hours."""
    a = TeamFactory(name="Network")
    return {
        "team": a,
        # 23:30 BST on the 29th: opened that day, under 7 days old at its end.
        "late": fact(1, utc(3, 29, 22, 30), team=a, priority=1),
        # 00:30 BST on the 30th: not open yet at the end of the 29th.
        "next_day": fact(2, utc(3, 29, 23, 30), team=a, priority=1),
        # 19 days old → 7–30; 73 days → 30–90; 148 days → over 90.
        "weeks": fact(3, utc(3, 10), team=a),
        "months": fact(4, utc(1, 15), team=a),
        "old": fact(5, utc(11, 1, year=2025)),
        # Resolved on the 29th: it leaves that day's backlog.
        "resolved_that_day": fact(6, utc(3, 25), team=a, resolved=utc(3, 29, 12)),
        # Resolved on the 30th: still open at the end of the 29th, under 7 days old.
        "resolved_after": fact(7, utc(3, 28), team=a, priority=1, resolved=utc(3, 30, 8)),
        "cancelled": fact(8, utc(3, 27), team=a, cancelled=True),
        # Exactly 7 × 24 h before the day's end (23:00 UTC on the 22nd): 7–30, the low
        # end belongs to its bucket.
        "seven_days": fact(9, utc(3, 22, 23), team=a),
    }


SUNDAY = date(2026, 3, 29)


def test_a_snapshot_counts_what_was_open_at_the_end_of_the_day(backlog):
    written = backlog_snapshot_take(day=SUNDAY)
    a = backlog["team"].pk
    assert snapshot(SUNDAY) == {
        (a, 1, "lt7"): 2,  # INC1 (opened 23:30 BST) and INC7 (resolved the next day)
        (a, 3, "7to30"): 2,  # INC3 (19 days) and INC9 (exactly 7 days)
        (a, 3, "30to90"): 1,  # INC4
        (None, 3, "gt90"): 1,  # INC5
    }
    assert written == 4


def test_taking_a_day_again_replaces_its_rows(backlog):
    backlog_snapshot_take(day=SUNDAY)
    # INC1 turns out to have been resolved at 21:00 UTC that evening.
    RecordFact.objects.filter(pk=backlog["late"].pk).update(
        is_open=False, state="resolved", resolved_at=utc(3, 29, 21)
    )
    backlog_snapshot_take(day=SUNDAY)
    assert snapshot(SUNDAY)[(backlog["team"].pk, 1, "lt7")] == 1
    assert BacklogSnapshot.objects.filter(day=SUNDAY).count() == 4


def test_the_default_day_is_the_organisations_yesterday(backlog, monkeypatch):
    # 00:30 BST on Monday 30 March is still Sunday 23:30 in UTC: yesterday is the 29th.
    monkeypatch.setattr(timezone, "now", lambda: utc(3, 29, 23, 30))
    backlog_snapshot_take()
    assert set(BacklogSnapshot.objects.values_list("day", flat=True)) == {SUNDAY}


def test_backfill_takes_each_past_day(backlog):
    written = backlog_snapshots_backfill(days=3, until=SUNDAY)
    assert sorted(set(BacklogSnapshot.objects.values_list("day", flat=True))) == [
        date(2026, 3, 27),
        date(2026, 3, 28),
        SUNDAY,
    ]
    # End of the 27th (midnight GMT, before the clocks change): INC3, INC4, INC5, INC6 and
    # INC9 open (INC8 cancelled; INC7 opened on the 28th).
    assert sum(snapshot(date(2026, 3, 27)).values()) == 5
    # 28th: INC7 too.
    assert sum(snapshot(date(2026, 3, 28)).values()) == 6
    assert written == BacklogSnapshot.objects.count()
    with pytest.raises(ValueError):
        backlog_snapshots_backfill(days=0)


def run_periodic_tasks_at(moment):
    """What the worker's scheduler does each minute, at an injected time."""
    autodiscover_modules("tasks")
    for task in HUEY.read_periodic(moment):
        HUEY.enqueue(task)


def test_the_nightly_job_takes_yesterday_after_the_organisations_midnight(backlog, monkeypatch):
    # (moment in UTC, days with a snapshot after the scheduler woke then)
    saturday = date(2026, 3, 28)
    table = [
        # 23:05 BST on Sunday: Saturday had not been taken (the worker was down) → taken.
        (utc(3, 29, 22, 5), {saturday}),
        # 00:05 BST on Monday, the organisation's midnight: Sunday is taken.
        (utc(3, 29, 23, 5), {saturday, SUNDAY}),
        # 01:05 BST: Sunday is there, nothing to do.
        (utc(3, 30, 0, 5), {saturday, SUNDAY}),
    ]
    for moment, expected in table:
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        run_periodic_tasks_at(moment)
        assert set(BacklogSnapshot.objects.values_list("day", flat=True)) == expected, moment


def test_backlog_ageing_by_bucket_at_the_end_of_a_past_period(backlog):
    result = compute("backlog_ageing", Filters(start=date(2026, 3, 1), end=SUNDAY))
    # The same records as Sunday's snapshot: 2 under 7 days, 2 of 7–30, 1 of 30–90, 1 over.
    assert [(row["group"], row["count"]) for row in result.rows] == [
        ("Under 7 days", 2),
        ("7–30 days", 2),
        ("30–90 days", 1),
        ("Over 90 days", 1),
    ]
    assert result.total["count"] == 6
    by_team = compute("backlog_ageing", Filters(start=SUNDAY, end=SUNDAY, group_by="team"))
    rows = {row["label"]: (row["count"], row["lt7"], row["gt90"]) for row in by_team.rows}
    assert rows == {"Network": (5, 2, 0), "No team": (1, 0, 1)}
    records = metric("backlog_ageing").records(Filters(start=SUNDAY, end=SUNDAY, priority=1))
    assert sorted(records.values_list("record_id", flat=True)) == [1, 7]


def test_backlog_ageing_now(backlog, monkeypatch):
    # Now is 1 April 12:00 BST: INC1 and INC2 (2½ days), INC3 (22 days) and INC9 (9½),
    # INC4 (76), INC5 (151) are open; INC6 and INC7 resolved, INC8 cancelled.
    now = utc(4, 1, 11)
    monkeypatch.setattr(timezone, "now", lambda: now)
    result = compute("backlog_ageing", Filters.default())
    assert {row["bucket"]: row["count"] for row in result.rows} == {
        "lt7": 2,
        "7to30": 2,
        "30to90": 1,
        "gt90": 1,
    }
    with pytest.raises(FilterError) as refused:
        compute("backlog_ageing", Filters.default(group_by="day"))
    assert "group_by" in refused.value.errors


@pytest.fixture
def snapshots(db):
    a, b = TeamFactory(name="Network"), TeamFactory(name="Desktop")
    rows = [
        # day, team, priority, bucket, count
        (date(2026, 3, 2), a, 1, "lt7", 4),
        (date(2026, 3, 2), b, 3, "7to30", 2),
        (date(2026, 3, 3), a, 1, "lt7", 3),
        (date(2026, 3, 3), b, 3, "gt90", 1),
        # 4 March: nothing open (no rows).
        (date(2026, 3, 5), a, 3, "lt7", 5),
        (date(2026, 3, 10), a, 3, "lt7", 7),  # after the period
    ]
    BacklogSnapshot.objects.bulk_create(
        BacklogSnapshot(day=d, record_type="incident", team=t, priority=p, bucket=k, count=c)
        for d, t, p, k, c in rows
    )
    return {"network": a, "desktop": b}


TREND = Filters(start=date(2026, 3, 1), end=date(2026, 3, 6))


def test_backlog_trend_is_a_point_per_day(snapshots):
    result = compute("backlog_trend", TREND)
    # 2 March 4 + 2; 3 March 3 + 1; 4 March none open; 5 March 5. The 1st and 6th were not
    # taken: the line starts and ends with the snapshots.
    assert [(row["day"], row["count"]) for row in result.rows] == [
        ("2026-03-02", 6),
        ("2026-03-03", 4),
        ("2026-03-04", 0),
        ("2026-03-05", 5),
    ]
    assert (result.rows[0]["lt7"], result.rows[0]["7to30"], result.rows[1]["gt90"]) == (4, 2, 1)
    # The total is the backlog on the last day taken.
    assert (result.total["count"], result.total["day"]) == (5, "2026-03-05")


def test_backlog_trend_by_team_and_narrowed(snapshots):
    desktop = snapshots["desktop"].pk
    result = compute("backlog_trend", TREND.with_(group_by="team"))
    assert [(row["label"], row["day"], row["count"]) for row in result.rows] == [
        ("Network", "2026-03-02", 4),
        ("Desktop", "2026-03-02", 2),
        ("Network", "2026-03-03", 3),
        ("Desktop", "2026-03-03", 1),
        ("Network", "2026-03-05", 5),
    ]
    narrowed = compute("backlog_trend", TREND.with_(team=desktop))
    assert [row["count"] for row in narrowed.rows] == [2, 1]
    # A week shows its last day: the week of 2 March ends (in the period) on the 5th.
    weekly = compute("backlog_trend", TREND.with_(group_by="week"))
    assert [(row["group"], row["count"]) for row in weekly.rows] == [("2026-03-02", 5)]


def test_backlog_trend_refuses_what_the_snapshot_does_not_keep(snapshots):
    with pytest.raises(FilterError) as refused:
        compute("backlog_trend", TREND.with_(service=4, group_by="channel"))
    assert set(refused.value.errors) == {"service", "group_by"}


def test_an_empty_trend(db):
    result = compute("backlog_trend", TREND)
    assert result.rows == [] and result.total["count"] == 0

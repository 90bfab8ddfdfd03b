"""What the record-type metrics' tests share: a clock the tests move by hand, and the facts
rebuilt from the records as they stand."""

from datetime import UTC, datetime

from django.utils import timezone

from opsdesk.reporting.services.bulk import facts_rebuild_bulk


class Clock:
    """``timezone.now()`` is whatever the test last set: every service stamps that moment."""

    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, moment: datetime) -> datetime:
        self.now = moment
        return moment


def facts_current() -> None:
    """Every fact row rewritten from its record, as the outbox would have done."""
    facts_rebuild_bulk()


def at(day: int, hour: int = 9, minute: int = 0, *, month: int = 3) -> datetime:
    """A moment of 2026 in UTC (the organisation's zone in these tests unless they say)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)

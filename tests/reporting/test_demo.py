"""The demo's reports: every ticket has its fact row, the backlog has ninety days of
snapshots, and the support portal's incidents drop once its problem was fixed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from opsdesk.core.tickets.registry import ticket_types
from opsdesk.incidents import demo as incidents_demo
from opsdesk.incidents.models import Incident
from opsdesk.reporting import demo
from opsdesk.reporting.metrics import Filters, compute
from opsdesk.reporting.models import BacklogSnapshot, RecordFact
from opsdesk.reporting.periods import day_end, day_start, days_between, local_day
from opsdesk.servicedesk.models import Survey

pytestmark = pytest.mark.django_db
WEEKS = 5


def _opened(problem, start, end) -> tuple[int, int]:
    """Incidents opened on the problem's service, in its category, from ``start`` to ``end``
    (days, both included): as the ``opened`` metric counts them, and as the incidents are."""
    service = problem.services.get()
    filters = Filters(
        start=start,
        end=end,
        record_type="incident",
        service=service.pk,
        category="Business applications",
    )
    metric = compute("opened", filters).total["count"]
    table = Incident.objects.filter(
        service=service,
        category__name="Business applications",
        opened_at__gte=day_start(start),
        opened_at__lt=day_end(end),
    ).count()
    return metric, table


def test_the_demo_reports_ninety_days_and_the_fix_shows(monkeypatch):
    monkeypatch.setattr(incidents_demo, "TARGET", 400)  # fewer calls, the same story
    out = StringIO()
    call_command("demo", stdout=out)
    assert "[reporting] backlog snapshots of the last 90 days" in out.getvalue()

    # A fact row for every ticket of every record type, and none for what is not a ticket.
    for tt in ticket_types():
        ids = set(tt.model._default_manager.values_list("pk", flat=True))
        facts = set(
            RecordFact.objects.filter(record_type=tt.key).values_list("record_id", flat=True)
        )
        assert facts == ids, tt.key
    assert RecordFact.objects.filter(record_type="incident").count() >= 400

    # Snapshots of the 90 days before today, yesterday the last. A day ends with nothing open
    # only on the first one (the history begins that evening): then it has no rows.
    today = local_day(timezone.now())
    days = set(BacklogSnapshot.objects.values_list("day", flat=True))
    assert set(days_between(today - timedelta(days=89), today - timedelta(days=1))) <= days
    assert min(days) >= today - timedelta(days=90) and max(days) == today - timedelta(days=1)

    # Surveys over the 90 days, some answered with a rating.
    assert Survey.objects.filter(rating__isnull=False).count() > 10
    assert Survey.objects.filter(created_at__lt=timezone.now() - timedelta(days=60)).exists()

    problem = demo.support_mail_problem(progress=lambda _: None)  # the one the demo made
    assert problem.state == "closed"
    fixed = local_day(problem.fixed_at)
    # 40 days back (a day either way when a change of clocks falls near midnight).
    back = (today - fixed).days
    assert abs(back - incidents_demo.SUPPORT_MAIL_FIX_DAYS_AGO) <= 1
    assert problem.incident_links.count() == demo.support_mail_incidents().count()

    # The five weeks before the fix against the five weeks from it.
    before, before_table = _opened(problem, fixed - timedelta(weeks=WEEKS), fixed)
    after, after_table = _opened(problem, fixed + timedelta(days=1), fixed + timedelta(weeks=WEEKS))
    assert (before, after) == (before_table, after_table)
    # The failure's calls stop on the fix day; the portal's other calls go on.
    failure_after = demo.support_mail_incidents().filter(opened_at__gte=day_end(fixed)).count()
    assert failure_after == 0
    assert after * 2 < before, (before, after)

    # A second run adds no problem, keeps every fact row and the 90 days.
    call_command("demo", stdout=StringIO())
    assert demo.support_mail_problem(progress=lambda _: None).pk == problem.pk
    assert RecordFact.objects.filter(record_type="incident").count() == Incident.objects.count()
    assert set(BacklogSnapshot.objects.values_list("day", flat=True)) == days

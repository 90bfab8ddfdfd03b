"""Demo SLAs: the London and 24x7 calendars and P1–P5 incident policies, loaded once."""

import pytest

from opsdesk.core.testing.factories import TeamFactory
from opsdesk.sla import demo, services
from opsdesk.sla.models import BusinessCalendar, SlaPolicy
from tests.sla.conftest import london


@pytest.mark.django_db
def test_demo_is_idempotent_and_its_policies_work():
    lines = []
    demo.load(progress=lines.append)
    demo.load(progress=lines.append)
    assert BusinessCalendar.objects.count() == 2
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == [
        f"Incident P{n}" for n in range(1, 6)
    ]
    assert lines
    record = TeamFactory()
    # P3 raised at 17:00 on Friday 23 May 2025: Monday 26 May is a bank holiday in England.
    timers = services.sla_start(
        record=record,
        record_type="incident",
        attributes={"priority": "P3"},
        at=london(2025, 5, 23, 17),
    )
    response = next(t for t in timers if t.kind == "response")
    assert response.due_at == london(2025, 5, 27, 11)

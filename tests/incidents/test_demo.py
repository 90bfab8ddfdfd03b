"""Demo incidents: numbered from the INC sequence, with history, and safe to run twice."""

import pytest
from django.db import transaction

from opsdesk.core.models import TimelineEntry
from opsdesk.core.numbering import number_next
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import UserFactory
from opsdesk.incidents import demo
from opsdesk.incidents.models import Incident

pytestmark = pytest.mark.django_db


def test_demo_adds_incidents_with_history_once(monkeypatch, desk_agent):
    monkeypatch.setattr(demo, "TARGET", 60)
    UserFactory(roles=[Role.REQUESTER])
    lines = []
    with transaction.atomic():
        demo.load(progress=lines.append)
    assert Incident.objects.count() == 60
    closed = Incident.objects.filter(state="closed").first()
    assert closed is None or closed.closed_at >= closed.resolved_at >= closed.opened_at
    entries = TimelineEntry.objects.filter(kind="state_change")
    assert entries.count() >= 60
    with transaction.atomic():
        demo.load(progress=lines.append)
        later = number_next(prefix="INC")
    assert Incident.objects.count() == 60
    assert later > max(Incident.objects.values_list("number", flat=True))

"""Major incidents, parent/child resolution and merging duplicates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, TransitionRefused, ValidationFailed
from opsdesk.core.models import OutboxEvent, TimelineEntry
from opsdesk.incidents import major, services
from opsdesk.incidents.models import PostIncidentReview, State
from opsdesk.incidents.testing import IncidentFactory, resolution_code

pytestmark = pytest.mark.django_db


def test_only_a_major_incident_manager_declares(desk_agent, incident):
    with pytest.raises(NotPermitted):
        major.incident_declare_major(actor=desk_agent, incident=incident)


def test_declare_update_remind_and_end(mim, incident, monkeypatch):
    pages = []
    monkeypatch.setattr(
        "opsdesk.incidents.paging.page_on_call", lambda **kw: pages.append(kw["reason"])
    )
    declared = major.incident_declare_major(actor=mim, incident=incident, cadence_minutes=30)
    assert declared.is_major and declared.major_incident_manager == mim
    assert declared.next_update_due > timezone.now() + timedelta(minutes=29)
    assert pages == ["major incident declared"]

    later = timezone.now() + timedelta(minutes=31)
    assert major.incident_major_updates_due(now=later) == 1
    assert major.incident_major_updates_due(now=later) == 0  # one reminder per due update

    updated = major.incident_stakeholder_update(
        actor=mim, incident=declared, body="Payroll is down; fix under way.", now=later
    )
    assert updated.next_update_due == later + timedelta(minutes=30)
    event = OutboxEvent.objects.get(topic="incident.stakeholder_update")
    assert event.payload["body"].startswith("Payroll is down")
    assert TimelineEntry.objects.filter(kind="comment", data__stakeholder_update=True).exists()

    start = timezone.now() - timedelta(hours=2)
    with pytest.raises(ValidationFailed) as failure:
        major.incident_end_major(
            actor=mim, incident=updated, outage_start=start, outage_end=start - timedelta(minutes=1)
        )
    assert "outage_end" in failure.value.fields
    review = major.incident_end_major(
        actor=mim,
        incident=updated,
        outage_start=start,
        outage_end=start + timedelta(hours=1),
        summary="Payroll outage",
    )
    assert isinstance(review, PostIncidentReview) and review.summary == "Payroll outage"
    assert "Payroll is down" in review.timeline
    with pytest.raises(TransitionRefused):
        major.incident_stakeholder_update(actor=mim, incident=updated, body="again")


def test_resolving_the_parent_resolves_open_children(desk_agent, team):
    parent = IncidentFactory(assignment_group=team, state=State.IN_PROGRESS)
    held = IncidentFactory(
        assignment_group=team, state=State.ON_HOLD, hold_reason="awaiting_caller"
    )
    new = IncidentFactory(assignment_group=team)
    done = IncidentFactory(assignment_group=team, state=State.CLOSED)
    for child in (held, new):
        major.incident_attach_child(actor=desk_agent, parent=parent, child=child)
    done.parent = parent
    done.save()
    services.incident_transition(
        actor=desk_agent,
        incident=parent,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="Replaced the switch.",
    )
    for child in (held, new):
        child.refresh_from_db()
        assert child.state == State.RESOLVED
        assert parent.number in child.resolution_notes
    done.refresh_from_db()
    assert done.state == State.CLOSED


def test_children_stay_open_when_configured(settings, desk_agent, team):
    settings.OPSDESK_INCIDENT_RESOLVE_CHILDREN = False
    parent = IncidentFactory(assignment_group=team, state=State.IN_PROGRESS)
    child = IncidentFactory(assignment_group=team)
    major.incident_attach_child(actor=desk_agent, parent=parent, child=child)
    services.incident_transition(
        actor=desk_agent,
        incident=parent,
        action="resolve",
        resolution_code=resolution_code(),
        resolution_notes="ok",
    )
    child.refresh_from_db()
    assert child.state == State.NEW


def test_links_refused_when_they_would_nest_or_loop(desk_agent, team):
    a, b, c = (IncidentFactory(assignment_group=team) for _ in range(3))
    with pytest.raises(ValidationFailed):
        major.incident_attach_child(actor=desk_agent, parent=a, child=a)
    major.incident_attach_child(actor=desk_agent, parent=a, child=b)
    with pytest.raises(ValidationFailed):
        major.incident_attach_child(actor=desk_agent, parent=b, child=c)
    with pytest.raises(ValidationFailed):
        major.incident_attach_child(actor=desk_agent, parent=c, child=a)


def test_merge_moves_comments_and_watchers_and_closes_as_duplicate(desk_agent, team, caller):
    original = IncidentFactory(assignment_group=team)
    duplicate = IncidentFactory(assignment_group=team, caller=caller)
    services.incident_comment(actor=caller, incident=duplicate, body="Screen is black")
    merged = major.incident_merge(actor=desk_agent, duplicate=duplicate, into=original)
    assert merged.state == State.CLOSED and merged.duplicate_of == original
    assert merged.resolution_code.key == "duplicate"
    assert caller in original.watchers.all()
    assert TimelineEntry.objects.filter(
        object_id=str(original.pk), kind="comment", body="Screen is black"
    ).exists()
    event = OutboxEvent.objects.get(topic="incident.merged")
    assert event.payload["caller_id"] == caller.pk and event.payload["into_id"] == original.pk
    with pytest.raises(TransitionRefused):
        major.incident_merge(actor=desk_agent, duplicate=merged, into=original)

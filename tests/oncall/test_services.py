"""Who is on call for a team, escalation walking, and who may change a team's on-call."""

from datetime import UTC, datetime, time, timedelta

import pytest

from opsdesk.core.errors import NotPermitted, StaleVersion, ValidationFailed
from opsdesk.core.models import AuditEntry
from opsdesk.core.roles import Role
from opsdesk.core.testing.factories import TeamFactory, UserFactory, requester
from opsdesk.oncall import selectors, services
from opsdesk.oncall.models import Schedule, StepTarget
from tests.oncall.factories import (
    MONDAY_0900,
    EscalationPolicyFactory,
    LayerFactory,
    OverrideFactory,
    ScheduleFactory,
    staff,
)

pytestmark = pytest.mark.django_db
TUESDAY_NOON = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def rota():
    ann, bob = staff(display_name="Ann"), staff(display_name="Bob")
    lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD], display_name="Lea")
    team = TeamFactory(lead=lead)
    team.members.add(ann, bob, lead)
    schedule = ScheduleFactory(team=team)
    LayerFactory(schedule=schedule, people=[ann, bob])
    return team, schedule, ann, bob, lead


def test_oncall_now_follows_the_rotation(rota):
    team, _schedule, ann, bob, _lead = rota
    assert selectors.oncall_now(team=team, at=TUESDAY_NOON) == [ann]
    assert selectors.oncall_now(team=team, at=TUESDAY_NOON + timedelta(days=7)) == [bob]


def test_oncall_now_is_empty_in_a_gap_and_for_a_team_without_schedules(rota):
    team, *_ = rota
    assert selectors.oncall_now(team=team, at=MONDAY_0900 - timedelta(hours=1)) == []
    assert selectors.oncall_now(team=TeamFactory(), at=TUESDAY_NOON) == []


def test_later_override_wins(rota):
    team, schedule, _ann, bob, lead = rota
    OverrideFactory(schedule=schedule, user=bob)
    OverrideFactory(schedule=schedule, user=lead)  # same span, created later
    assert selectors.oncall_now(team=team, at=TUESDAY_NOON + timedelta(hours=1)) == [lead]


def test_spans_and_gaps_of_a_schedule(rota):
    _team, schedule, ann, bob, _lead = rota
    start = MONDAY_0900 - timedelta(days=1)
    spans = selectors.schedule_spans(schedule=schedule, start=start, end=start + timedelta(days=16))
    assert [s.user for s in spans] == [ann, bob, ann]
    gaps = selectors.coverage_gaps(schedule=schedule, start=start, end=start + timedelta(days=16))
    assert [(g.start, g.end) for g in gaps] == [(start, MONDAY_0900)]


def test_escalation_targets_on_call_then_lead_then_a_named_person(rota):
    team, _schedule, ann, _bob, lead = rota
    duty = staff(display_name="Duty manager")
    policy = EscalationPolicyFactory(
        team=team,
        repeat=1,
        steps=[
            {"target": StepTarget.TEAM_ON_CALL, "delay_minutes": 15},
            {"target": StepTarget.TEAM_LEAD, "delay_minutes": 10},
            {"target": StepTarget.USER, "user": duty, "delay_minutes": 5},
        ],
    )
    assert selectors.escalation_targets(policy=policy, step_index=0, at=TUESDAY_NOON) == [ann]
    assert selectors.escalation_targets(policy=policy, step_index=1, at=TUESDAY_NOON) == [lead]
    assert selectors.escalation_targets(policy=policy, step_index=2, at=TUESDAY_NOON) == [duty]
    assert selectors.escalation_targets(policy=policy, step_index=3, at=TUESDAY_NOON) == []


def test_walking_a_policy_repeats_then_stops(rota):
    team, *_ = rota
    policy = EscalationPolicyFactory(
        team=team,
        repeat=2,
        steps=[
            {"target": StepTarget.TEAM_ON_CALL, "delay_minutes": 15},
            {"target": StepTarget.TEAM_LEAD, "delay_minutes": 10},
        ],
    )
    walk, state = [], (0, 0)
    while state is not None:
        walk.append(state)
        following = selectors.escalation_next_step(
            policy=policy, step_index=state[0], repeat=state[1]
        )
        if following:
            assert following.delay == timedelta(minutes=15 if state[0] == 0 else 10)
        state = following and (following.step_index, following.repeat)
    assert walk == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]


def test_team_lead_and_admin_may_change_but_other_agents_may_not(rota):
    _team, schedule, ann, _bob, lead = rota
    start = TUESDAY_NOON
    with pytest.raises(NotPermitted):
        services.override_create(
            actor=ann, schedule=schedule, user=ann, start=start, end=start + timedelta(hours=1)
        )
    services.override_create(
        actor=lead, schedule=schedule, user=ann, start=start, end=start + timedelta(hours=1)
    )
    other_lead = UserFactory(roles=[Role.AGENT, Role.TEAM_LEAD])
    with pytest.raises(NotPermitted):
        services.schedule_update(actor=other_lead, schedule=schedule, name="Hijacked")


def test_override_must_end_after_it_starts_and_cover_with_staff(rota):
    _team, schedule, ann, _bob, lead = rota
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as failed:
        services.override_create(
            actor=lead, schedule=schedule, user=ann, start=TUESDAY_NOON, end=TUESDAY_NOON
        )
    assert "end" in failed.value.fields
    with pytest.raises(ValidationFailed) as failed:
        services.override_create(
            actor=lead,
            schedule=schedule,
            user=requester(),
            start=TUESDAY_NOON,
            end=TUESDAY_NOON + timedelta(hours=1),
        )
    assert "user" in failed.value.fields
    assert AuditEntry.objects.count() == before


def _layer(people, **extra):
    return {
        "name": "Rota",
        "priority": 1,
        "turn": "weekly",
        "handoff_time": time(9),
        "rotation_start": MONDAY_0900,
        "time_zone": "Europe/London",
        "participants": people,
        **extra,
    }


def test_replacing_layers_is_audited_and_bumps_the_version(rota):
    team, schedule, ann, bob, lead = rota
    updated = services.schedule_update(
        actor=lead, schedule=schedule, expected_version=1, layers=[_layer([bob, ann])]
    )
    assert updated.version == 2
    assert selectors.oncall_now(team=team, at=TUESDAY_NOON) == [bob]
    entry = AuditEntry.objects.filter(action="schedule.updated").latest("id")
    assert entry.changes["layers"]["to"][0]["participants"] == [bob.pk, ann.pk]
    with pytest.raises(StaleVersion):
        services.schedule_update(actor=lead, schedule=schedule, expected_version=1, name="x")


def test_bad_layers_are_refused_with_field_errors_and_nothing_changes(rota):
    team, schedule, ann, bob, lead = rota
    with pytest.raises(ValidationFailed) as failed:
        services.schedule_update(
            actor=lead,
            schedule=schedule,
            layers=[
                _layer([ann], turn="custom"),
                _layer([], priority=2, restrictions=[{"days": [9], "start": "25:00", "end": "x"}]),
            ],
        )
    fields = failed.value.fields
    assert {"layers.0.turn_seconds", "layers.1.participants", "layers.1.restrictions"} <= set(
        fields
    )
    assert selectors.oncall_now(team=team, at=TUESDAY_NOON) == [ann]
    with pytest.raises(ValidationFailed) as failed:
        services.schedule_update(
            actor=lead, schedule=schedule, layers=[_layer([ann]), _layer([bob])]
        )
    assert "layers" in failed.value.fields


def test_schedule_create_by_lead_and_delete(rota):
    team, _schedule, ann, _bob, lead = rota
    schedule = services.schedule_create(
        actor=lead, team=team, name="Secondary", layers=[_layer([ann])]
    )
    assert schedule.layers.get().places.get().user == ann
    services.schedule_delete(actor=lead, schedule=schedule)
    assert not Schedule.objects.filter(pk=schedule.pk).exists()
    assert AuditEntry.objects.filter(action="schedule.deleted").exists()


def test_feed_token_reset_invalidates_the_old_secret(rota):
    _team, _schedule, ann, *_ = rota
    first = services.feed_token_reset(user=ann)
    assert services.feed_token_user(first) == ann
    second = services.feed_token_reset(user=ann)
    assert services.feed_token_user(first) is None
    assert services.feed_token_user(second) == ann
    assert services.feed_token_user("") is None

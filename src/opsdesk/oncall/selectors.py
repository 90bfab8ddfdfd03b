"""Reads: schedules and policies for the people allowed to see them, and who is on call.

Incident paging calls ``oncall_now``, ``escalation_targets`` and ``escalation_next_step``.
"""

from datetime import timedelta
from typing import NamedTuple

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from opsdesk.core.models import Team, User
from opsdesk.core.roles import is_admin, is_agent
from opsdesk.oncall import rotation
from opsdesk.oncall.models import (
    EscalationPolicy,
    Layer,
    LayerParticipant,
    Override,
    Schedule,
    StepTarget,
    parse_clock,
)


def may_manage_team(user, team: Team) -> bool:
    """Administrators, and the lead of the team, change its schedules and policies."""
    if is_admin(user):
        return True
    return is_agent(user) and team.lead_id == user.pk


# --- lists ----------------------------------------------------------------------------------
def schedule_list(*, viewer) -> QuerySet[Schedule]:
    if not is_agent(viewer):
        return Schedule.objects.none()
    return Schedule.objects.select_related("team").prefetch_related(
        Prefetch("layers", queryset=Layer.objects.prefetch_related("places__user"))
    )


def override_list(*, viewer) -> QuerySet[Override]:
    if not is_agent(viewer):
        return Override.objects.none()
    return Override.objects.select_related("schedule__team", "user", "created_by")


def escalation_policy_list(*, viewer) -> QuerySet[EscalationPolicy]:
    if not is_agent(viewer):
        return EscalationPolicy.objects.none()
    return EscalationPolicy.objects.select_related("team").prefetch_related("steps")


# --- who is on call -------------------------------------------------------------------------
def _restriction_windows(layer: Layer) -> tuple[rotation.Window, ...]:
    return tuple(
        rotation.Window(frozenset(r["days"]), parse_clock(r["start"]), parse_clock(r["end"]))
        for r in layer.restrictions
    )


def layer_data(layer: Layer) -> rotation.Layer:
    """The layer as plain data for the rotation arithmetic (participants by user id)."""
    places = sorted(layer.places.all(), key=lambda p: p.position)
    return rotation.Layer(
        priority=layer.priority,
        participants=tuple(p.user_id for p in places),
        rotation_start=layer.rotation_start,
        turn=layer.turn,
        handoff=layer.handoff_time,
        time_zone=layer.time_zone,
        turn_seconds=layer.turn_seconds,
        restrictions=_restriction_windows(layer),
    )


def _covers(schedule: Schedule, start, end) -> list[rotation.Cover]:
    overrides = Override.objects.filter(schedule=schedule, start__lt=end, end__gt=start)
    return [
        # Later-created wins; the id breaks a tie between two created in the same instant.
        rotation.Cover(o.start, o.end, o.user_id, (o.created_at.timestamp(), o.pk))
        for o in overrides
    ]


def _layers(schedule: Schedule) -> list[rotation.Layer]:
    layers = Layer.objects.filter(schedule=schedule).prefetch_related(
        Prefetch("places", queryset=LayerParticipant.objects.order_by("position"))
    )
    return [layer_data(layer) for layer in layers]


class UserSpan(NamedTuple):
    start: object
    end: object
    user: User


def schedule_final(*, schedule: Schedule, start, end) -> tuple[list[UserSpan], list]:
    """(spans with users, gaps) of a schedule across [start, end)."""
    final = rotation.final_schedule(_layers(schedule), _covers(schedule, start, end), start, end)
    users = User.objects.in_bulk({s.user for s in final.spans})
    spans = [UserSpan(s.start, s.end, users[s.user]) for s in final.spans]
    return spans, final.gaps


def schedule_spans(*, schedule: Schedule, start, end) -> list[UserSpan]:
    """Who is on call across [start, end), as merged (start, end, user) spans."""
    return schedule_final(schedule=schedule, start=start, end=end)[0]


def coverage_gaps(*, schedule: Schedule, start, end) -> list[rotation.Gap]:
    """The parts of [start, end) nobody covers."""
    final = rotation.final_schedule(_layers(schedule), _covers(schedule, start, end), start, end)
    return final.gaps


def oncall_now(*, team: Team, at=None) -> list[User]:
    """Who is on call for the team at ``at`` (default now), one per schedule; empty in a gap."""
    at = at or timezone.now()
    found: list[int] = []
    for schedule in Schedule.objects.filter(team=team).order_by("id"):
        user_id = rotation.on_call_at(
            _layers(schedule), _covers(schedule, at, at + timedelta(microseconds=1)), at
        )
        if user_id is not None and user_id not in found:
            found.append(user_id)
    users = User.objects.in_bulk(found)
    return [users[pk] for pk in found if users[pk].is_active]


# --- escalation -----------------------------------------------------------------------------
class NextStep(NamedTuple):
    step_index: int
    repeat: int
    delay: timedelta


def escalation_targets(*, policy: EscalationPolicy, step_index: int, at=None) -> list[User]:
    """The people step ``step_index`` notifies at ``at``; empty when nobody answers for it."""
    steps = list(policy.steps.all())
    if not 0 <= step_index < len(steps):
        return []
    step = steps[step_index]
    team = step.team or policy.team
    if step.target == StepTarget.TEAM_ON_CALL:
        return oncall_now(team=team, at=at)
    if step.target == StepTarget.USER:
        return [step.user] if step.user and step.user.is_active else []
    lead = team.lead
    return [lead] if lead is not None and lead.is_active else []


def escalation_next_step(
    *, policy: EscalationPolicy, step_index: int, repeat: int
) -> NextStep | None:
    """After notifying ``step_index`` in pass ``repeat`` (0 first): the next step, its pass
    and how long to wait for it; None when the policy is exhausted."""
    steps = list(policy.steps.all())
    if not 0 <= step_index < len(steps):
        return None
    delay = timedelta(minutes=steps[step_index].delay_minutes)
    if step_index + 1 < len(steps):
        return NextStep(step_index + 1, repeat, delay)
    if repeat < policy.repeat:
        return NextStep(0, repeat + 1, delay)
    return None

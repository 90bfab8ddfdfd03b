"""Writes for schedules, overrides, escalation policies and feed tokens.

Each function is one audited transaction. Layers belong to their schedule and steps to their
policy: both are replaced as a whole, and the change is audited on the parent record.
"""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from opsdesk.core.audit import audit_record, diff, snapshot
from opsdesk.core.concurrency import lock_for_update, version_check
from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.models import Team
from opsdesk.core.outbox import outbox_publish
from opsdesk.core.records import (
    audited_fields,
    record_create,
    record_delete,
    record_update,
    validate_or_fail,
    validation_failed,
)
from opsdesk.core.roles import is_agent
from opsdesk.oncall.models import (
    EscalationPolicy,
    EscalationStep,
    FeedToken,
    Layer,
    LayerParticipant,
    Override,
    Schedule,
    StepTarget,
)
from opsdesk.oncall.selectors import may_manage_team

LAYER_FIELDS = [
    "name",
    "priority",
    "turn",
    "turn_seconds",
    "handoff_time",
    "rotation_start",
    "time_zone",
    "restrictions",
]
STEP_FIELDS = ["target", "team", "user", "delay_minutes"]


def _require_manager(actor, team: Team) -> None:
    # actor None is the system itself (demo data, migrations of data): always allowed.
    if actor is not None and not may_manage_team(actor, team):
        raise NotPermitted(f"Only administrators and the lead of {team.name} may change this.")


def _clean(obj, **kwargs) -> None:
    validate_or_fail(obj, **kwargs)


def _nested_errors(prefix: str, index: int, error: ValidationError) -> dict:
    return {
        f"{prefix}.{index}" if name == "__all__" else f"{prefix}.{index}.{name}": messages
        for name, messages in validation_failed(error).fields.items()
    }


def _check_staff(users, field: str) -> None:
    for user in users:
        if not user.is_active or not is_agent(user):
            raise ValidationFailed(
                f"{user} is not active service-desk staff and cannot be on call.",
                fields={field: [f"{user} cannot be on call."]},
            )


# --- schedules ------------------------------------------------------------------------------
def _layer_snapshot(schedule: Schedule) -> list[dict]:
    layers = []
    for layer in schedule.layers.order_by("-priority"):
        values = snapshot(layer, LAYER_FIELDS)
        values["participants"] = list(
            layer.places.order_by("position").values_list("user_id", flat=True)
        )
        layers.append(values)
    return layers


def _replace_layers(schedule: Schedule, layers: list[dict]) -> None:
    priorities = [spec.get("priority", 1) for spec in layers]
    if len(set(priorities)) != len(priorities):
        raise ValidationFailed(
            "Two layers share a priority; give each layer its own.",
            fields={"layers": ["Each layer needs a different priority."]},
        )
    built = []
    errors: dict = {}
    for index, spec in enumerate(layers):
        spec = dict(spec)
        participants = list(spec.pop("participants", []))
        layer = Layer(schedule=schedule, **spec)
        try:
            layer.full_clean(exclude=["schedule"], validate_constraints=False)
        except ValidationError as error:
            errors.update(_nested_errors("layers", index, error))
        if not participants:
            errors[f"layers.{index}.participants"] = ["Add at least one person to the rotation."]
        try:
            _check_staff(participants, f"layers.{index}.participants")
        except ValidationFailed as failed:
            errors.update(failed.fields)
        built.append((layer, participants))
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"Please correct the layers: {first}", fields=errors)
    schedule.layers.all().delete()
    for layer, participants in built:
        layer.save()
        LayerParticipant.objects.bulk_create(
            LayerParticipant(layer=layer, user=user, position=position)
            for position, user in enumerate(participants)
        )


@transaction.atomic
def schedule_create(*, actor, team: Team, name: str, layers=(), **fields) -> Schedule:
    _require_manager(actor, team)
    values = {"team": team, "name": name, **fields}
    _clean(Schedule(**values))
    schedule = record_create(Schedule, values=values, actor=actor)
    if layers:
        _replace_layers(schedule, list(layers))
        audit_record(
            action="schedule.layers_changed",
            obj=schedule,
            changes={"layers": {"from": [], "to": _layer_snapshot(schedule)}},
            actor=actor,
        )
    outbox_publish(topic="oncall.schedule_changed", payload={"schedule": schedule.pk})
    return schedule


def _update_with_parts(
    obj, *, actor, expected_version, fields, parts, part_name, snapshot_parts, replace_parts
):
    """Update a record and, when given, replace its ordered parts (layers, steps) as a whole;
    one audit entry holds both, and nothing is written when nothing changed."""
    _require_manager(actor, obj.team)
    if "team" in fields and fields["team"] != obj.team:
        _require_manager(actor, fields["team"])
    model = type(obj)
    current = lock_for_update(model, obj.pk)
    version_check(current, expected_version)
    before = snapshot(current, audited_fields(model))
    parts_before = snapshot_parts(current)
    for name, value in fields.items():
        setattr(current, name, value)
    changes = diff(before, snapshot(current, audited_fields(model)))
    if parts is not None:
        replace_parts(current, list(parts))
        parts_after = snapshot_parts(current)
        if parts_after != parts_before:
            changes[part_name] = {"from": parts_before, "to": parts_after}
    if not changes:
        return current, False
    current.version += 1
    _clean(current)
    current.save()
    audit_record(
        action=f"{model._meta.model_name}.updated", obj=current, changes=changes, actor=actor
    )
    return current, True


@transaction.atomic
def schedule_update(
    *, actor, schedule: Schedule, expected_version=None, layers=None, **fields
) -> Schedule:
    current, changed = _update_with_parts(
        schedule,
        actor=actor,
        expected_version=expected_version,
        fields=fields,
        parts=layers,
        part_name="layers",
        snapshot_parts=_layer_snapshot,
        replace_parts=_replace_layers,
    )
    if changed:
        outbox_publish(topic="oncall.schedule_changed", payload={"schedule": current.pk})
    return current


@transaction.atomic
def schedule_delete(*, actor, schedule: Schedule) -> None:
    _require_manager(actor, schedule.team)
    record_delete(schedule, actor=actor)


# --- overrides ------------------------------------------------------------------------------
@transaction.atomic
def override_create(*, actor, schedule: Schedule, user, start, end, note: str = "") -> Override:
    """``user`` covers [start, end) of the schedule, over every layer and earlier overrides."""
    _require_manager(actor, schedule.team)
    _check_staff([user], "user")
    values = {
        "schedule": schedule,
        "user": user,
        "start": start,
        "end": end,
        "note": note,
        "created_by": actor,
    }
    _clean(Override(**values))
    override = record_create(Override, values=values, actor=actor)
    outbox_publish(
        topic="oncall.override_created",
        payload={"override": override.pk, "schedule": schedule.pk, "user": user.pk},
    )
    return override


@transaction.atomic
def override_update(*, actor, override: Override, expected_version=None, **fields) -> Override:
    _require_manager(actor, override.schedule.team)
    if "schedule" in fields:
        _require_manager(actor, fields["schedule"].team)
    if "user" in fields:
        _check_staff([fields["user"]], "user")
    draft = Override.objects.get(pk=override.pk)
    for name, value in fields.items():
        setattr(draft, name, value)
    _clean(draft)
    return record_update(override, values=fields, actor=actor, expected_version=expected_version)


@transaction.atomic
def override_delete(*, actor, override: Override) -> None:
    _require_manager(actor, override.schedule.team)
    record_delete(override, actor=actor)


# --- escalation policies --------------------------------------------------------------------
def _steps_snapshot(policy: EscalationPolicy) -> list[dict]:
    return [snapshot(step, STEP_FIELDS) for step in policy.steps.order_by("position")]


def _replace_steps(policy: EscalationPolicy, steps: list[dict]) -> None:
    if not steps:
        raise ValidationFailed(
            "A policy needs at least one step.", fields={"steps": ["Add at least one step."]}
        )
    built, errors = [], {}
    for index, spec in enumerate(steps):
        step = EscalationStep(policy=policy, position=index, **spec)
        try:
            step.full_clean(exclude=["policy"], validate_constraints=False)
        except ValidationError as error:
            errors.update(_nested_errors("steps", index, error))
        if step.target == StepTarget.USER and step.user is not None:
            try:
                _check_staff([step.user], f"steps.{index}.user")
            except ValidationFailed as failed:
                errors.update(failed.fields)
        built.append(step)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(f"Please correct the steps: {first}", fields=errors)
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(built)


@transaction.atomic
def escalation_policy_create(*, actor, team: Team, name: str, steps=(), **fields):
    _require_manager(actor, team)
    values = {"team": team, "name": name, **fields}
    _clean(EscalationPolicy(**values))
    policy = record_create(EscalationPolicy, values=values, actor=actor)
    _replace_steps(policy, list(steps))
    audit_record(
        action="escalationpolicy.steps_changed",
        obj=policy,
        changes={"steps": {"from": [], "to": _steps_snapshot(policy)}},
        actor=actor,
    )
    return policy


@transaction.atomic
def escalation_policy_update(
    *, actor, policy: EscalationPolicy, expected_version=None, steps=None, **fields
):
    current, _ = _update_with_parts(
        policy,
        actor=actor,
        expected_version=expected_version,
        fields=fields,
        parts=steps,
        part_name="steps",
        snapshot_parts=_steps_snapshot,
        replace_parts=_replace_steps,
    )
    return current


@transaction.atomic
def escalation_policy_delete(*, actor, policy: EscalationPolicy) -> None:
    _require_manager(actor, policy.team)
    record_delete(policy, actor=actor)


# --- calendar feed tokens -------------------------------------------------------------------
def _feed_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def feed_token_reset(*, user) -> str:
    """A new secret for the user's feed links; the old links stop working. Shown once."""
    raw = secrets.token_urlsafe(32)
    FeedToken.objects.update_or_create(user=user, defaults={"key_hash": _feed_hash(raw)})
    audit_record(action="oncall.feed_token_reset", obj=user, actor=user)
    return raw


def feed_token_user(raw: str | None):
    """The active user whose feed secret this is, or None."""
    if not raw or len(raw) > 200:
        return None
    token = FeedToken.objects.select_related("user").filter(key_hash=_feed_hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    return token.user

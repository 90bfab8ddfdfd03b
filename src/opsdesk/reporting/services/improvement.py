"""Writes of the improvement register: raising an action, editing it, moving it on."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.db import transaction
from django.utils import timezone

from opsdesk.core.errors import NotPermitted, ValidationFailed
from opsdesk.core.numbering import number_next
from opsdesk.core.records import record_create, record_update
from opsdesk.core.roles import is_admin, is_agent
from opsdesk.reporting import metrics
from opsdesk.reporting.metrics import FilterError, Filters
from opsdesk.reporting.models import ImprovementAction, ImprovementState
from opsdesk.reporting.periods import local_day
from opsdesk.reporting.workflow import IMPROVEMENT_WORKFLOW

# The filters an action keeps: what scopes the number, never the period (the page measures
# before and after the action itself).
SCOPE_KEYS = ("record_type", "team", "person", "service", "ci", "priority", "category", "channel")


def scope_query(text: str) -> str:
    """The action's filters cleaned to its scope, in a stable order; ``FilterError`` on bad
    values (``metric_filters`` names the field)."""
    pairs = dict(parse_qsl(text.lstrip("?"), keep_blank_values=False))
    kept = {key: pairs[key] for key in SCOPE_KEYS if pairs.get(key)}
    try:
        Filters.from_query(kept)
    except FilterError as exc:
        raise FilterError(
            {"metric_filters": [f"{name}: {' '.join(m)}" for name, m in exc.errors.items()]}
        ) from exc
    return urlencode(kept)


def _checked(values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    key = values.get("metric_key")
    if key is not None and key not in {m.key for m in metrics.all_metrics()}:
        errors["metric_key"] = ["Choose one of the metrics."]
    if "metric_filters" in values:
        try:
            values["metric_filters"] = scope_query(values["metric_filters"] or "")
        except FilterError as exc:
            errors.update(exc.errors)
    owner = values.get("owner")
    if owner is not None and not (owner.is_active and is_agent(owner)):
        errors["owner"] = ["The owner is someone in the IT team who can sign in."]
    if errors:
        raise ValidationFailed("The action cannot be saved as it is.", fields=errors)
    return values


def _may_change(actor, action: ImprovementAction) -> None:
    if not (is_admin(actor) or actor.pk in (action.owner_id, action.created_by_id)):
        raise NotPermitted("Only the action's owner, whoever raised it, or an administrator may.")


def improvement_create(*, actor, values: dict) -> ImprovementAction:
    if not is_agent(actor):
        raise NotPermitted("Improvement actions are raised by the IT team.")
    values = _checked(dict(values))
    with transaction.atomic():
        return record_create(
            ImprovementAction,
            values={
                **values,
                "number": number_next(prefix=ImprovementAction.NUMBER_PREFIX),
                "state": IMPROVEMENT_WORKFLOW.initial,
                "created_by": actor,
            },
            actor=actor,
            action="improvement.created",
        )


def improvement_update(
    *, actor, action: ImprovementAction, values: dict, expected_version: int | None = None
) -> ImprovementAction:
    _may_change(actor, action)
    values = _checked(dict(values))
    with transaction.atomic():
        return record_update(
            action,
            values=values,
            actor=actor,
            expected_version=expected_version,
            action="improvement.updated",
        )


def improvement_transition(
    *,
    actor,
    action: ImprovementAction,
    name: str,
    outcome: str = "",
    expected_version: int | None = None,
) -> ImprovementAction:
    """Start, finish, drop or reopen; starting stamps the day measuring "after" begins,
    finishing or dropping the day it ends (with the outcome), reopening clears the end."""
    _may_change(actor, action)
    move = IMPROVEMENT_WORKFLOW.check(action, name, outcome=outcome)
    today = local_day(timezone.now())
    values: dict = {"state": move.target}
    if name == "start":
        values["started_on"] = action.started_on or today
    elif move.target in (ImprovementState.DONE, ImprovementState.DROPPED):
        values.update(finished_on=today, outcome=outcome.strip())
        if action.started_on is None:
            values["started_on"] = today
    elif name == "reopen":
        values["finished_on"] = None
    with transaction.atomic():
        return record_update(
            action,
            values=values,
            actor=actor,
            expected_version=expected_version,
            action=f"improvement.{name}",
        )

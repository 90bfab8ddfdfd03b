from django.core.exceptions import ValidationError
from django.db import models

from opsdesk.core.models import TimestampedModel, VersionedModel
from opsdesk.sla.hold_reasons import default_pause_reasons, hold_reason_choices
from opsdesk.sla.models.calendars import BusinessCalendar

# Condition name -> the type of each accepted value ("caller_vip" takes a single boolean).
CONDITION_TYPES = {
    "priority": str,
    "service_id": int,
    "ci_criticality": int,
    "caller_vip": bool,
    "department": str,
}


def register_condition(name: str, kind: type) -> None:
    """A record type's own attribute policies may match on (a request item's catalog item)."""
    CONDITION_TYPES.setdefault(name, kind)


def default_thresholds():
    return [50, 75, 90]


class SlaPolicy(TimestampedModel, VersionedModel):
    """Targets for one kind of record; policies are tried in ``order`` and the first match wins.

    ``conditions`` narrows the match, e.g. {"priority": ["P1", "P2"], "caller_vip": true}; every
    condition given must hold, and an empty object matches every record of the type.
    """

    name = models.CharField(max_length=100, unique=True)
    order = models.PositiveIntegerField(default=100, db_index=True)
    active = models.BooleanField(default=True)
    record_type = models.CharField(max_length=50, db_index=True, help_text='e.g. "incident"')
    conditions = models.JSONField(default=dict, blank=True)
    response_target = models.DurationField(null=True, blank=True)
    response_calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_target = models.DurationField(null=True, blank=True)
    resolution_calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Each assignment group's share (OLA) runs on the resolution calendar.
    ola_target = models.DurationField(null=True, blank=True)
    pause_states = models.JSONField(default=list, blank=True, help_text='e.g. ["on_hold"]')
    # In a pause state, a record that gives a hold reason pauses a clock only for the reasons
    # listed for it; one that gives none pauses on its state alone. The OLA clocks follow the
    # resolution list: the group's share stops when the resolution clock does.
    response_pause_reasons = models.JSONField(
        default=default_pause_reasons,
        blank=True,
        help_text='Hold reasons that pause the response clock, e.g. ["awaiting_caller"].',
    )
    resolution_pause_reasons = models.JSONField(
        default=default_pause_reasons,
        blank=True,
        help_text=(
            'Hold reasons that pause the resolution and OLA clocks, e.g. ["awaiting_caller"].'
        ),
    )
    warning_thresholds = models.JSONField(default=default_thresholds, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self):
        return self.name

    def clean(self):
        errors: dict[str, list[str]] = {}
        for kind in ("response", "resolution"):
            target = getattr(self, f"{kind}_target")
            has_calendar = getattr(self, f"{kind}_calendar_id") is not None
            if target is not None and target.total_seconds() <= 0:
                errors[f"{kind}_target"] = ["The target must be longer than zero."]
            if target is not None and not has_calendar:
                errors[f"{kind}_calendar"] = ["Choose the calendar the target is counted in."]
        if self.response_target is None and self.resolution_target is None:
            errors["resolution_target"] = ["Give a response target, a resolution target or both."]
        if self.ola_target is not None and self.resolution_calendar_id is None:
            errors["resolution_calendar"] = ["OLA targets count in the resolution calendar."]
        problems = _check_conditions(self.conditions)
        if problems:
            errors["conditions"] = problems
        if not (
            isinstance(self.pause_states, list)
            and all(isinstance(s, str) and s for s in self.pause_states)
        ):
            errors["pause_states"] = ['Use a list of state names, e.g. ["on_hold"].']
        for name in ("response_pause_reasons", "resolution_pause_reasons"):
            if problem := _check_reasons(getattr(self, name), self.record_type):
                errors[name] = [problem]
        thresholds = self.warning_thresholds
        if not (
            isinstance(thresholds, list)
            and all(
                isinstance(t, int) and not isinstance(t, bool) and 0 < t < 100 for t in thresholds
            )
        ):
            errors["warning_thresholds"] = [
                "Use whole percentages between 1 and 99, e.g. [50, 75]."
            ]
        else:
            self.warning_thresholds = sorted(set(thresholds))
        if errors:
            raise ValidationError(errors)

    def target_for(self, kind: str):
        """(target, calendar_id) for "response", "resolution" or "ola"."""
        if kind == "ola":
            return self.ola_target, self.resolution_calendar_id
        return getattr(self, f"{kind}_target"), getattr(self, f"{kind}_calendar_id")

    def pauses_for(self, kind: str, *, state: str, hold_reason: str | None = None) -> bool:
        """Whether a ``kind`` clock stands still while the record is in ``state`` for
        ``hold_reason`` (empty or None: the record gives no reason, its state decides)."""
        if state not in self.pause_states:
            return False
        if not hold_reason:
            return True
        reasons = (
            self.response_pause_reasons if kind == "response" else self.resolution_pause_reasons
        )
        return hold_reason in (reasons or [])

    def calendar_for(self, kind: str):
        """The calendar the ``kind`` clock counts in (an OLA counts in the resolution one)."""
        return self.response_calendar if kind == "response" else self.resolution_calendar

    def matches(self, attributes: dict) -> bool:
        for name, expected in (self.conditions or {}).items():
            value = attributes.get(name)
            if name == "caller_vip":
                if bool(value) != expected:
                    return False
            elif value is None or value not in expected:
                return False
        return True


def _check_conditions(value) -> list[str]:
    if not isinstance(value, dict):
        return ['Use an object like {"priority": ["P1"]}.']
    problems = []
    for name, expected in value.items():
        kind = CONDITION_TYPES.get(name)
        if kind is None:
            problems.append(f"{name!r} is not a condition; use {', '.join(CONDITION_TYPES)}.")
        elif kind is bool:
            if not isinstance(expected, bool):
                problems.append(f"{name} takes true or false.")
        elif not (
            isinstance(expected, list)
            and expected
            and all(isinstance(v, kind) and not isinstance(v, bool) for v in expected)
        ):
            problems.append(f"{name} takes a non-empty list of {kind.__name__} values.")
    return problems


def _check_reasons(value, record_type: str) -> str:
    if not (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
        return 'Use a list of hold reasons, e.g. ["awaiting_caller"].'
    known = dict(hold_reason_choices(record_type))
    unknown = [v for v in value if v not in known]
    if known and unknown:
        return f"{', '.join(unknown)}: not a hold reason of {record_type}; use {', '.join(known)}."
    return ""


class ConfigStamp(models.Model):
    """A value that changes whenever a policy or a calendar does.

    Each process keeps the active policies (with their calendars) in memory and loads them
    again when the stamp it reads differs (``policies.policy_match``). Database triggers
    (migration 0002) write a new random stamp in the same transaction as every insert, update
    or delete of a policy or calendar, whoever makes it: a service, the admin, a bulk update,
    raw SQL or another process. A later migration that rebuilds either table on SQLite drops
    its triggers with the old table and must create them again (the incident creation tests
    notice if it does not).
    """

    # Derived state: restoring policies writes a new stamp anyway (core/backup.py skips it).
    backed_up = False

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    stamp = models.BigIntegerField()

    def __str__(self):
        return f"SLA configuration stamp {self.stamp}"

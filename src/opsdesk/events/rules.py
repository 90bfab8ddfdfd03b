"""The rules engine: conditions and actions as plain JSON, checked here and evaluated here.

A condition is ``{"field": "labels.env", "op": "equals", "value": "prod", "not": false}``.
Fields: ``severity``, ``integration``, ``resource``, ``check_name``, ``summary``, ``ci``,
``service``, ``labels.<name>`` and ``time_of_day`` (``op`` ``between``, ``["08:00", "18:00"]``,
UTC). Operators: ``equals``, ``in``, ``regex``, ``exists``, ``between``; ``not`` negates.

Actions (one object, every key optional): ``drop``, ``suppress``, ``set_severity``,
``add_labels``, ``map_ci_from_label``, ``map_ci``, ``map_service``, ``route_to_team``,
``create_incident`` (``true`` or ``{"category": id, "assignment_group": id}``),
``correlate`` (``{"by": "service"|"ci"|"group_key", "window_minutes": 60}``),
``auto_resolve`` (``"on_clear"`` or ``"never"``), ``notify`` (a list of recipients).

``notify`` recipients, each one mailed once when the alert opens (users also see it in the
app): ``"team:<team name or id>"`` (the team's active members), ``"user:<username>"``,
``"oncall:<team name or id>"`` (whoever is on call for the team at that moment) or a plain
e-mail address. Teams and users must exist when the rule is saved.
"""

import re
from dataclasses import dataclass, field
from datetime import time

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from opsdesk.core.models import Team, User
from opsdesk.events.models import Severity

FIELDS = {
    "severity",
    "integration",
    "resource",
    "check_name",
    "summary",
    "ci",
    "service",
    "time_of_day",
}
OPS = {"equals", "in", "regex", "exists", "between"}
CORRELATE_BY = {"service", "ci", "group_key"}
ACTION_KEYS = {
    "drop": bool,
    "suppress": bool,
    "set_severity": str,
    "add_labels": dict,
    "map_ci_from_label": str,
    "map_ci": int,
    "map_service": int,
    "route_to_team": int,
    "create_incident": (bool, dict),
    "correlate": dict,
    "auto_resolve": str,
    "notify": list,
}


def _field_ok(name) -> bool:
    return isinstance(name, str) and (name in FIELDS or (name.startswith("labels.") and name[7:]))


def _parse_hhmm(value) -> time | None:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        return None


def validate_conditions(conditions) -> list[str]:
    """Every problem with a rule's conditions, as messages an administrator can act on."""
    if not isinstance(conditions, list):
        return ["Conditions must be a list."]
    problems = []
    for n, cond in enumerate(conditions, 1):
        if not isinstance(cond, dict):
            problems.append(f"Condition {n} must be an object.")
            continue
        name, op, value = cond.get("field"), cond.get("op", "equals"), cond.get("value")
        if not _field_ok(name):
            problems.append(f"Condition {n}: unknown field {name!r}.")
        if op not in OPS:
            problems.append(f"Condition {n}: unknown operator {op!r}; use {sorted(OPS)}.")
        elif op == "in" and not isinstance(value, list):
            problems.append(f"Condition {n}: 'in' needs a list of values.")
        elif op == "regex":
            try:
                re.compile(str(value))
            except re.error as exc:
                problems.append(f"Condition {n}: bad regular expression ({exc}).")
        elif op == "between" and (
            not isinstance(value, list)
            or len(value) != 2
            or None in (_parse_hhmm(value[0]), _parse_hhmm(value[1]))
        ):
            problems.append(f'Condition {n}: \'between\' needs two times like ["08:00", "18:00"].')
        if "not" in cond and not isinstance(cond["not"], bool):
            problems.append(f"Condition {n}: 'not' must be true or false.")
    return problems


NOTIFY_KINDS = ("team", "user", "oncall")
NOTIFY_MAX = 50
NOTIFY_FORMS = (
    "team:<team name or id>, user:<username>, oncall:<team name or id> or an e-mail address"
)


def parse_recipient(entry) -> tuple[str, str] | None:
    """``(kind, value)`` of one ``notify`` entry, kind one of NOTIFY_KINDS or ``"email"``."""
    if not isinstance(entry, str):
        return None
    entry = entry.strip()
    kind, sep, value = entry.partition(":")
    if sep and kind.strip().lower() in NOTIFY_KINDS:
        return (kind.strip().lower(), value.strip()) if value.strip() else None
    try:
        validate_email(entry)
    except ValidationError:
        return None
    return "email", entry


def find_team(value: str) -> Team | None:
    """The team a recipient names: by exact name, else by id."""
    team = Team.objects.filter(name=value).first()
    if team is None and value.isdigit():
        team = Team.objects.filter(pk=int(value)).first()
    return team


def find_user(value: str) -> User | None:
    return User.objects.filter(username=value, is_active=True).first()


def validate_notify(entries) -> list[str]:
    """Every problem with a ``notify`` list, naming the entry at fault."""
    if not isinstance(entries, list) or not entries:
        return [f"notify needs at least one recipient: {NOTIFY_FORMS}."]
    if len(entries) > NOTIFY_MAX:
        return [f"notify names at most {NOTIFY_MAX} recipients."]
    problems = []
    for entry in entries:
        parsed = parse_recipient(entry)
        if parsed is None:
            problems.append(f"notify: {entry!r} is not a recipient; use {NOTIFY_FORMS}.")
        elif parsed[0] in ("team", "oncall") and find_team(parsed[1]) is None:
            problems.append(f"notify: {entry!r} names no team.")
        elif parsed[0] == "user" and find_user(parsed[1]) is None:
            problems.append(f"notify: {entry!r} names no active user.")
    return problems


def validate_actions(actions) -> list[str]:
    if not isinstance(actions, dict) or not actions:
        return ["Actions must be an object with at least one action."]
    problems = []
    for key, value in actions.items():
        expected = ACTION_KEYS.get(key)
        if expected is None:
            problems.append(f"Unknown action {key!r}; use {sorted(ACTION_KEYS)}.")
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(f"Action {key!r} has the wrong type of value.")
    if "set_severity" in actions and actions["set_severity"] not in Severity.values:
        problems.append(f"set_severity must be one of {Severity.values}.")
    if "auto_resolve" in actions and actions["auto_resolve"] not in ("on_clear", "never"):
        problems.append("auto_resolve must be 'on_clear' or 'never'.")
    correlate = actions.get("correlate")
    if isinstance(correlate, dict):
        if correlate.get("by") not in CORRELATE_BY:
            problems.append(f"correlate.by must be one of {sorted(CORRELATE_BY)}.")
        window = correlate.get("window_minutes", 60)
        if not isinstance(window, int) or isinstance(window, bool) or window < 1:
            problems.append("correlate.window_minutes must be a positive whole number.")
    labels = actions.get("add_labels")
    if isinstance(labels, dict) and not all(isinstance(v, str) for v in labels.values()):
        problems.append("add_labels values must be text.")
    if isinstance(actions.get("notify"), list):
        problems.extend(validate_notify(actions["notify"]))
    return problems


@dataclass
class Subject:
    """What a condition can look at: an event as the rules see it."""

    severity: str
    integration: str
    resource: str = ""
    check_name: str = ""
    summary: str = ""
    ci: str = ""
    service: str = ""
    labels: dict = field(default_factory=dict)
    at: object = None  # an aware datetime

    def value(self, name: str):
        if name.startswith("labels."):
            return self.labels.get(name[7:])
        if name == "time_of_day":
            return self.at.time() if self.at else None
        return getattr(self, name)


def _test(cond: dict, subject: Subject) -> bool:
    op = cond.get("op", "equals")
    actual = subject.value(cond["field"])
    expected = cond.get("value")
    if op == "exists":
        result = actual not in (None, "")
    elif actual is None:
        result = False
    elif op == "equals":
        result = str(actual) == str(expected)
    elif op == "in":
        result = str(actual) in {str(v) for v in expected}
    elif op == "regex":
        result = re.search(str(expected), str(actual)) is not None
    else:  # between, on time of day; a window may wrap past midnight
        start, end = _parse_hhmm(expected[0]), _parse_hhmm(expected[1])
        result = start <= actual < end if start <= end else (actual >= start or actual < end)
    return not result if cond.get("not") else result


def rule_matches(rule, subject: Subject) -> bool:
    return all(_test(cond, subject) for cond in rule.conditions)


def merge_actions(into: dict, actions: dict) -> dict:
    """Later rules refine earlier ones; labels and notify recipients accumulate."""
    for key, value in actions.items():
        if key == "add_labels":
            into["add_labels"] = {**into.get("add_labels", {}), **value}
        elif key == "notify":
            into["notify"] = [
                *into.get("notify", []),
                *(v for v in value if v not in into.get("notify", [])),
            ]
        elif key in ("drop", "suppress"):
            into[key] = into.get(key, False) or value
        else:
            into[key] = value
    return into


def evaluate(rules, subject: Subject) -> tuple[list, dict]:
    """The rules that match, in order, and the actions they add up to."""
    matched, actions = [], {}
    for rule in rules:
        if rule_matches(rule, subject):
            matched.append(rule)
            merge_actions(actions, rule.actions)
            if rule.stop:
                break
    return matched, actions

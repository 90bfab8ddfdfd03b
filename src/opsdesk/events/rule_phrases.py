"""A rule told in words: its conditions and actions as phrases, with labels and names.

The rule list, the rule page and the editor's labels all come from here, so what an
administrator picks in the editor reads back the same way everywhere.
"""

from dataclasses import dataclass, field

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.core.models import Team
from opsdesk.events.models import Severity
from opsdesk.events.rules import parse_recipient

FIELD_LABELS = {
    "severity": "Severity",
    "integration": "Integration",
    "resource": "Resource",
    "check_name": "Check name",
    "summary": "Summary",
    "ci": "CI",
    "service": "Service",
    "time_of_day": "Time of day (UTC)",
}
OP_LABELS = {
    "equals": "is",
    "in": "is one of",
    "regex": "contains (regular expression)",
    "exists": "is present",
    "between": "is between",
}
# What a negated condition says instead.
NOT_PHRASES = {
    "equals": "is not",
    "in": "is not one of",
    "regex": "does not contain",
    "exists": "is absent",
    "between": "is not between",
}
OP_PHRASES = {**OP_LABELS, "regex": "contains"}
CORRELATE_LABELS = {"service": "service", "ci": "CI", "group_key": "group key"}
AUTO_RESOLVE_LABELS = {
    "on_clear": "Resolve when the monitor reports it cleared",
    "never": "Never resolve on its own",
}
SEVERITY_LABELS = dict(Severity.choices)


def field_label(name: str) -> str:
    if isinstance(name, str) and name.startswith("labels."):
        return f"Label {name[7:]}"
    return FIELD_LABELS.get(name, str(name))


def _value_text(name, value) -> str:
    if name == "severity":
        return SEVERITY_LABELS.get(str(value), str(value))
    return str(value)


def condition_phrase(cond: dict) -> str:
    name, op, value = cond.get("field"), cond.get("op", "equals"), cond.get("value")
    verb = (NOT_PHRASES if cond.get("not") else OP_PHRASES).get(op, str(op))
    subject = field_label(name)
    if op == "exists":
        return f"{subject} {verb}"
    if op == "in" and isinstance(value, list):
        return f"{subject} {verb} {', '.join(_value_text(name, v) for v in value)}"
    if op == "between" and isinstance(value, list) and len(value) == 2:
        return f"{subject} {verb} {value[0]} and {value[1]}"
    return f"{subject} {verb} {_value_text(name, value)}"


@dataclass
class Names:
    """Names of the teams and CIs that rules refer to by id, looked up at once."""

    teams: dict = field(default_factory=dict)
    cis: dict = field(default_factory=dict)

    @classmethod
    def for_rules(cls, rules) -> "Names":
        teams, cis = set(), set()
        for rule in rules:
            actions = rule.actions if isinstance(rule.actions, dict) else {}
            teams.add(actions.get("route_to_team"))
            cis.update((actions.get("map_ci"), actions.get("map_service")))
            incident = actions.get("create_incident")
            if isinstance(incident, dict):
                teams.add(incident.get("assignment_group"))
        ids = lambda values: [v for v in values if isinstance(v, int)]  # noqa: E731
        return cls(
            teams=dict(Team.objects.filter(pk__in=ids(teams)).values_list("pk", "name")),
            cis=dict(ConfigurationItem.objects.filter(pk__in=ids(cis)).values_list("pk", "name")),
        )

    def team(self, pk) -> str:
        return self.teams.get(pk, "a team that no longer exists")

    def ci(self, pk) -> str:
        return self.cis.get(pk, "a CI that no longer exists")


def _recipient_phrase(entry) -> str:
    parsed = parse_recipient(entry)
    if parsed is None:
        return str(entry)
    kind, value = parsed
    return {
        "team": f"team {value}",
        "user": f"user {value}",
        "oncall": f"whoever is on call for {value}",
    }.get(kind, value)


def action_phrases(actions: dict, names: Names) -> list[str]:
    phrases = []
    if not isinstance(actions, dict):
        return phrases
    if actions.get("drop"):
        phrases.append("Drop the event")
    if actions.get("suppress"):
        phrases.append("Suppress the alert")
    if "set_severity" in actions:
        severity = actions["set_severity"]
        phrases.append(f"Set severity to {SEVERITY_LABELS.get(severity, severity)}")
    for name, value in (actions.get("add_labels") or {}).items():
        phrases.append(f"Add label {name} = {value}")
    if "map_ci" in actions:
        phrases.append(f"Set the CI to {names.ci(actions['map_ci'])}")
    elif actions.get("map_ci_from_label"):
        phrases.append(f"Find the CI named in label {actions['map_ci_from_label']}")
    if "map_service" in actions:
        phrases.append(f"Set the service to {names.ci(actions['map_service'])}")
    if "route_to_team" in actions:
        phrases.append(f"Assign to {names.team(actions['route_to_team'])}")
    incident = actions.get("create_incident")
    if incident is True or isinstance(incident, dict):
        phrase = "Open an incident"
        if isinstance(incident, dict):
            if incident.get("category"):
                # Categories are the incidents' own records, named on the incident's side.
                phrase += " in its preset category"
            if incident.get("assignment_group"):
                phrase += f" for {names.team(incident['assignment_group'])}"
        phrases.append(phrase)
    elif incident is False:
        phrases.append("Open no incident")
    correlate = actions.get("correlate")
    if isinstance(correlate, dict):
        by = CORRELATE_LABELS.get(correlate.get("by"), correlate.get("by"))
        window = correlate.get("window_minutes", 60)
        phrases.append(f"Group alerts by {by} within {window} minutes")
    if actions.get("auto_resolve") in AUTO_RESOLVE_LABELS:
        phrases.append(AUTO_RESOLVE_LABELS[actions["auto_resolve"]])
    if actions.get("notify"):
        phrases.append("Notify " + ", ".join(_recipient_phrase(e) for e in actions["notify"]))
    return phrases


@dataclass
class RuleDescription:
    conditions: list[str]
    actions: list[str]


def describe_rule(rule, names: Names | None = None) -> RuleDescription:
    """What ``rule`` does, in phrases: "Severity is Critical", "Assign to Database"."""
    names = names or Names.for_rules([rule])
    conditions = rule.conditions if isinstance(rule.conditions, list) else []
    return RuleDescription(
        conditions=[condition_phrase(c) for c in conditions if isinstance(c, dict)]
        or ["Every event"],
        actions=action_phrases(rule.actions, names),
    )


def describe_rules(rules) -> list[tuple]:
    """``(rule, description)`` for each rule, with one lookup of names for all of them."""
    rules = list(rules)
    names = Names.for_rules(rules)
    return [(rule, describe_rule(rule, names)) for rule in rules]

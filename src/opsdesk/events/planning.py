"""What should happen to one event: rules, CI mapping, maintenance. No writes.

Processing and the "test this payload" dry run share this, so the dry run tells the truth.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.db.models.functions import Lower

from opsdesk.cmdb.models import ConfigurationItem
from opsdesk.cmdb.selectors import ci_find
from opsdesk.events.models import MaintenanceWindow, Rule
from opsdesk.events.normalise import CLASSIFICATION, host_of
from opsdesk.events.rules import Subject, evaluate

WEEK = timedelta(days=7)


def window_active(window: MaintenanceWindow, now) -> bool:
    if now < window.starts_at:
        return False
    if not window.weekly:
        return now < window.ends_at
    return (now - window.starts_at) % WEEK < (window.ends_at - window.starts_at)


def window_current_end(window: MaintenanceWindow, now):
    """When the occurrence running at ``now`` ends (for reminders)."""
    if not window.weekly:
        return window.ends_at
    occurrence = window.starts_at + ((now - window.starts_at) // WEEK) * WEEK
    return occurrence + (window.ends_at - window.starts_at)


@dataclass
class Plan:
    drop: bool = False
    severity: str = ""
    labels: dict = field(default_factory=dict)
    ci_id: int | None = None
    service_id: int | None = None
    team_id: int | None = None
    suppressed_by: str = ""
    actions: dict = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)


class Planner:
    """Loads rules and windows once and answers for many events (a processing batch)."""

    def __init__(self, *, now):
        self.now = now
        self.rules = list(Rule.objects.filter(active=True))
        self.windows = [
            (w, set(w.cis.values_list("id", flat=True)))
            for w in MaintenanceWindow.objects.filter(starts_at__lte=now).filter(
                Q(weekly=True) | Q(ends_at__gt=now)
            )
            if window_active(w, now)
        ]
        self._ci_by_name: dict[str, int | None] = {}
        self._ci_names: dict[int, str] = {}

    def ci_names_load(self, names) -> None:
        """Look up many CI names in one query (what ``ci_find`` would choose for each).

        A batch names hundreds of hosts; one query per name cost more than all the rest of
        processing. Names not found are remembered as not found.
        """
        keys = {name.strip().lower() for name in names} - self._ci_by_name.keys() - {""}
        if not keys:
            return
        found: dict[str, tuple] = {}
        rows = (
            ConfigurationItem.objects.annotate(key=Lower("name"))
            .filter(key__in=keys)
            .order_by("name", "id")
            .values_list("key", "id", "name", "environment", "criticality")
        )
        for key, pk, name, environment, criticality in rows:
            rank = (environment != "production", criticality)
            if key not in found or rank < found[key][0]:
                found[key] = (rank, pk, name)
        for key in keys:
            if key in found:
                _, pk, name = found[key]
                self._ci_by_name[key] = pk
                self._ci_names[pk] = name
            else:
                self._ci_by_name[key] = None

    def ci_named(self, name: str) -> int | None:
        key = name.strip().lower()
        if key not in self._ci_by_name:
            ci = ci_find(name=key) if key else None
            self._ci_by_name[key] = ci.pk if ci else None
            if ci:
                self._ci_names[ci.pk] = ci.name
        return self._ci_by_name[key]

    def ci_name(self, ci_id) -> str:
        if ci_id and ci_id not in self._ci_names:
            self._ci_names[ci_id] = (
                ConfigurationItem.objects.filter(pk=ci_id).values_list("name", flat=True).first()
                or ""
            )
        return self._ci_names.get(ci_id, "") if ci_id else ""

    def _subject(self, event: dict, integration_name: str, plan: Plan) -> Subject:
        return Subject(
            severity=plan.severity or event["severity"],
            integration=integration_name,
            resource=event.get("resource", ""),
            check_name=event.get("check_name", ""),
            summary=event.get("summary", ""),
            ci=self.ci_name(plan.ci_id),
            service=self.ci_name(plan.service_id),
            labels=plan.labels,
            at=self.now,
        )

    def plan(self, event: dict, *, integration, known_ci=None, known_service=None) -> Plan:
        plan = Plan(
            labels=dict(event.get("labels") or {}), ci_id=known_ci, service_id=known_service
        )
        matched, actions = evaluate(self.rules, self._subject(event, integration.name, plan))
        mapped = self._map(plan, actions)
        if plan.ci_id is None and (resource := event.get("resource", "")):
            # No rule named the CI: the resource may be its name (any case), as senders say.
            plan.ci_id = self.ci_named(host_of(resource))
            mapped = mapped or plan.ci_id is not None
        if mapped:
            # A rule that named the CI may let CI- and service-based rules match too.
            matched, actions = evaluate(self.rules, self._subject(event, integration.name, plan))
            self._map(plan, actions)
        plan.rules = [r.name for r in matched]
        plan.actions = actions
        plan.drop = bool(actions.get("drop"))
        plan.severity = actions.get("set_severity") or event["severity"]
        plan.labels.update(actions.get("add_labels", {}))
        plan.team_id = actions.get("route_to_team") or integration.team_id
        if actions.get("suppress"):
            plan.suppressed_by = "rule: " + ", ".join(plan.rules)
        for window, ci_ids in self.windows:
            if self._in_scope(window, ci_ids, plan):
                plan.suppressed_by = f"maintenance: {window.name}"
                break
        return plan

    def _map(self, plan: Plan, actions: dict) -> bool:
        before = (plan.ci_id, plan.service_id)
        if "map_ci" in actions:
            plan.ci_id = actions["map_ci"]
        elif label := actions.get("map_ci_from_label"):
            value = plan.labels.get(label, "")
            plan.ci_id = self.ci_named(host_of(value)) if value else plan.ci_id
        if "map_service" in actions:
            plan.service_id = actions["map_service"]
        return (plan.ci_id, plan.service_id) != before

    @staticmethod
    def _in_scope(window, ci_ids: set, plan: Plan) -> bool:
        if ci_ids and not ({plan.ci_id, plan.service_id} & ci_ids):
            return False
        matchers = window.label_matchers or {}
        if any(plan.labels.get(k) != v for k, v in matchers.items()):
            return False
        return bool(ci_ids or matchers)


def classification_of(severity: str) -> str:
    return CLASSIFICATION[severity]

"""Where an incident goes and how urgent it is: the priority matrix, assignment rules, CMDB impact.

Pure reads and decisions; the services apply them.
"""

from django.db import connection
from django.db.models import Count, Q

from opsdesk.cmdb.models import BUSINESS_SERVICE, ConfigurationItem
from opsdesk.cmdb.selectors import ci_impacted_services
from opsdesk.core.models import Team, User
from opsdesk.incidents.models import (
    OPEN_STATES,
    AssignmentRule,
    AutoAssign,
    Incident,
    PriorityMatrixRow,
)

SERVICE_DESK_TEAM = "Service Desk"


def priority_for(*, impact: int, urgency: int) -> int:
    """The matrix cell, or impact + urgency - 1 when an administrator removed the cell."""
    # Read on every creation: one indexed row in plain SQL, without building an ORM query.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT priority FROM {PriorityMatrixRow._meta.db_table} "
            "WHERE impact = %s AND urgency = %s",
            [impact, urgency],
        )
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    return max(1, min(5, impact + urgency - 1))


def affected_services_for(*, ci, service=None) -> list[int]:
    """Business services hit by ``ci`` (from CMDB impact), plus the chosen service itself."""
    ids: list[int] = []
    if service is not None:
        ids.append(service.pk)
    if ci is not None:
        if ci.ci_class.key == BUSINESS_SERVICE:
            ids.append(ci.pk)
        ids.extend(reached.ci.id for reached in ci_impacted_services(ci=ci).items)
    return sorted(set(ids))


def suggested_impact(*, service_ids: list[int]) -> int | None:
    """The most critical affected service suggests the impact (criticality 1-2 high, 3 medium)."""
    if not service_ids:
        return None
    best = min(
        ConfigurationItem.objects.filter(pk__in=service_ids).values_list("criticality", flat=True)
    )
    return 1 if best <= 2 else 2 if best == 3 else 3


def _rule_matches(rule: AssignmentRule, facts: dict) -> bool:
    if rule.category_id and rule.category_id not in (facts["category"], facts["subcategory"]):
        return False
    if rule.service_id and rule.service_id != facts["service"]:
        return False
    if rule.ci_id and rule.ci_id != facts["ci"]:
        return False
    if rule.channel and rule.channel != facts["channel"]:
        return False
    if rule.caller_department and (
        rule.caller_department.lower() != (facts["department"] or "").lower()
    ):
        return False
    keywords = rule.keyword_list()
    return not keywords or any(k in facts["text"] for k in keywords)


def matching_rule(
    *, category, subcategory, service, ci, channel, caller, short_description, description
) -> AssignmentRule | None:
    facts = {
        "category": getattr(category, "pk", None),
        "subcategory": getattr(subcategory, "pk", None),
        "service": getattr(service, "pk", None),
        "ci": getattr(ci, "pk", None),
        "channel": channel,
        "department": getattr(caller, "department", ""),
        "text": f"{short_description}\n{description}".lower(),
    }
    for rule in AssignmentRule.objects.filter(active=True).order_by("order", "id"):
        if _rule_matches(rule, facts):
            return rule
    return None


def fallback_group(*, ci, service) -> Team | None:
    """The CI's supporting team, then the service's, then the service desk."""
    for item in (ci, service):
        if item is not None and item.supporting_team_id:
            return item.supporting_team
    return Team.objects.filter(name=SERVICE_DESK_TEAM).first()


def auto_assignee(*, rule: AssignmentRule) -> User | None:
    """Round-robin or least-loaded among the group's active members who are available.

    Members mark themselves away (``User.available``) when off shift, on leave or busy; on-call
    schedules say who answers pages out of hours, not who works the queue, so they are not
    asked. With nobody available the incident stays unassigned in the group.
    """
    members = list(
        rule.assignment_group.members.filter(is_active=True, available=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not members or rule.auto_assign == AutoAssign.NONE:
        return None
    if rule.auto_assign == AutoAssign.ROUND_ROBIN:
        after = [pk for pk in members if rule.last_assignee_id and pk > rule.last_assignee_id]
        chosen = (after or members)[0]
        rule.last_assignee_id = chosen
        rule.save(update_fields=["last_assignee"])
        return User.objects.get(pk=chosen)
    loads = dict(
        Incident.objects.filter(assignee_id__in=members, state__in=OPEN_STATES)
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    chosen = min(members, key=lambda pk: (loads.get(pk, 0), pk))
    return User.objects.get(pk=chosen)


def open_load(user) -> int:
    return Incident.objects.filter(Q(assignee=user) & Q(state__in=OPEN_STATES)).count()

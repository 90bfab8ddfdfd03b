"""Reads of access management, permission-filtered: what a person may ask for, who holds
what, which combinations conflict, and what each person has to review."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from opsdesk.access.models import (
    AccessPackage,
    AccessRequest,
    Entitlement,
    Grant,
    GrantSource,
    GrantState,
    Match,
    ReviewItem,
    Risk,
    SodAction,
    SodRule,
)
from opsdesk.core.roles import Role, has_role, is_admin, is_agent, role_names

HELD = (GrantState.SCHEDULED, GrantState.ACTIVE)


def may_manage_access(user) -> bool:
    """Administrators and catalog managers configure entitlements, packages and rules."""
    return has_role(user, Role.ADMINISTRATOR, Role.CATALOG_MANAGER)


def may_request(package: AccessPackage, person) -> bool:
    """The package's audience: everyone, or anyone in a listed department or holding a role."""
    if not package.active or not getattr(person, "is_authenticated", False):
        return False
    departments = package.audience_departments or []
    roles = package.audience_roles or []
    if not departments and not roles:
        return True
    if person.department and person.department in departments:
        return True
    return bool(set(roles) & set(role_names(person)))


def packages_for(person) -> list[AccessPackage]:
    packages = AccessPackage.objects.filter(active=True).prefetch_related(
        "entitlements__application"
    )
    return [p for p in packages if may_request(p, person)]


def packages_matching(person, query: str = "") -> list[AccessPackage]:
    """What the service catalog shows of access: the packages the person may ask for whose
    name, description or entitlements hold every word typed."""
    words = [w.lower() for w in (query or "").split() if w]
    found = []
    for package in packages_for(person):
        text = " ".join(
            [
                package.name,
                package.description,
                *(f"{e.application.name} {e.name}" for e in package.entitlements.all()),
            ]
        ).lower()
        if all(word in text for word in words):
            found.append(package)
    return found


def package_by_slug(slug: str) -> AccessPackage | None:
    return AccessPackage.objects.filter(slug=slug, active=True).first()


def requests_visible(viewer) -> QuerySet:
    from opsdesk.core.tickets.registry import ticket_type

    visible = ticket_type("access_request").visible
    assert visible is not None  # TicketType fills it in
    return visible(viewer)


def grants_visible(viewer) -> QuerySet:
    """Holders see their own; owners their entitlements' holders; managers their reports';
    access managers and agents everything."""
    qs = Grant.objects.select_related("holder", "entitlement__application", "request")
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return qs.none()
    if may_manage_access(viewer) or is_agent(viewer):
        return qs
    return qs.filter(
        Q(holder=viewer) | Q(entitlement__owner=viewer) | Q(holder__manager=viewer)
    ).distinct()


def entitlements_visible(viewer) -> QuerySet:
    qs = Entitlement.objects.select_related("application", "owner", "target")
    if may_manage_access(viewer) or is_agent(viewer):
        return qs
    return qs.filter(owner=viewer)


def held_grants(person, *, at: datetime | None = None) -> QuerySet:
    """The person's grants that are scheduled or active (at ``at``: those whose window holds it)."""
    qs = Grant.objects.filter(holder=person, state__in=HELD).select_related(
        "entitlement__application"
    )
    if at is not None:
        qs = qs.filter(valid_from__lte=at).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
    return qs


def held_on_day(queryset: QuerySet, day: date) -> QuerySet:
    """The grants of ``queryset`` held at any time during ``day`` (the server's time zone),
    ended ones included: what a person had on a given date. Held that day: it had started
    before the day ended, and neither its window nor an early end (revoked, the person left)
    closed before the day began."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = start + timedelta(days=1)
    return (
        queryset.filter(started_at__isnull=False, started_at__lt=end, valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
    )


def grants_report(
    viewer,
    *,
    text: str = "",
    state: str = GrantState.ACTIVE,
    source: str = "",
    risk: str = "",
    expiring_within_days: int | None = None,
    held_on: date | None = None,
) -> QuerySet:
    """Who has what: the viewer's visible grants by person or access text, state (ignored
    for a past day, when any state may have been held), source, risk, end coming soon."""
    qs = grants_visible(viewer)
    if held_on is not None:
        qs = held_on_day(qs, held_on)
    elif state in GrantState.values:
        qs = qs.filter(state=state)
    text = (text or "").strip()
    if text:
        qs = qs.filter(
            Q(holder__username__icontains=text)
            | Q(holder__first_name__icontains=text)
            | Q(holder__last_name__icontains=text)
            | Q(holder__display_name__icontains=text)
            | Q(entitlement__name__icontains=text)
            | Q(entitlement__application__name__icontains=text)
        )
    if source in GrantSource.values:
        qs = qs.filter(source=source)
    if risk in Risk.values:
        qs = qs.filter(entitlement__risk=risk)
    if expiring_within_days is not None:
        now = timezone.now()
        qs = qs.filter(
            state=GrantState.ACTIVE,
            valid_to__gt=now,
            valid_to__lte=now + timedelta(days=expiring_within_days),
        )
    return qs.order_by("holder__username", "entitlement__name")


# --- segregation of duties --------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime | None  # None: open-ended

    def overlaps(self, other: "Window") -> bool:
        starts_before_other_ends = other.end is None or self.start < other.end
        ends_after_other_starts = self.end is None or self.end > other.start
        return starts_before_other_ends and ends_after_other_starts


@dataclass
class Conflict:
    rule: SodRule
    # The entitlements on each side that make the conflict, by name.
    held: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    grant_ids: list[int] = field(default_factory=list)

    @property
    def action(self) -> str:
        return self.rule.action

    @property
    def blocks(self) -> bool:
        return self.rule.action == SodAction.BLOCK

    def message(self) -> str:
        both = ", ".join(sorted({*self.held, *self.asked}))
        why = f" {self.rule.description}" if self.rule.description else ""
        return f"“{self.rule.name}”: one person may not hold {both} together.{why}"

    def as_data(self) -> dict:
        return {
            "rule_id": self.rule.pk,
            "rule": self.rule.name,
            "action": self.rule.action,
            "entitlements": sorted({*self.held, *self.asked}),
            "message": self.message(),
        }


def _side_met(side: set[int], match: str, holding: set[int]) -> bool:
    if not side:
        return False
    return side <= holding if match == Match.ALL else bool(side & holding)


def active_rules() -> list[tuple[SodRule, set[int], set[int]]]:
    rules = SodRule.objects.filter(active=True).prefetch_related("left", "right")
    return [
        (rule, {e.pk for e in rule.left.all()}, {e.pk for e in rule.right.all()}) for rule in rules
    ]


def sod_conflicts(
    person,
    entitlement_ids: set[int],
    window: Window,
    *,
    exclude_grant_ids: frozenset[int] = frozenset(),
) -> list[Conflict]:
    """The rules the person would break by holding ``entitlement_ids`` during ``window``.

    Only grants whose time window overlaps ``window`` count: two grants that never overlap in
    time do not conflict.
    """
    overlapping: dict[int, list[Grant]] = {}
    for grant in held_grants(person).exclude(pk__in=exclude_grant_ids):
        if window.overlaps(Window(grant.valid_from, grant.valid_to)):
            overlapping.setdefault(grant.entitlement_id, []).append(grant)
    names = dict(
        Entitlement.objects.filter(pk__in={*entitlement_ids, *overlapping}).values_list(
            "pk", "name"
        )
    )
    holding = set(overlapping) | set(entitlement_ids)
    found: list[Conflict] = []
    for rule, left, right in active_rules():
        if not (
            _side_met(left, rule.left_match, holding)
            and _side_met(right, rule.right_match, holding)
        ):
            continue
        involved = (left | right) & holding
        # A conflict the person already has without this request is not this request's doing.
        if not involved & entitlement_ids:
            continue
        found.append(
            Conflict(
                rule=rule,
                held=[names[i] for i in involved if i in overlapping and i not in entitlement_ids],
                asked=[names[i] for i in involved if i in entitlement_ids],
                grant_ids=[g.pk for i in involved for g in overlapping.get(i, [])],
            )
        )
    return found


# --- reviews ----------------------------------------------------------------------------------
def review_items_for(reviewer) -> QuerySet:
    """The reviewer's undecided items in running campaigns."""
    return (
        ReviewItem.objects.filter(reviewer=reviewer, decision="", campaign__state="running")
        .select_related("grant__holder", "grant__entitlement__application", "campaign")
        .order_by("campaign__deadline", "grant__holder__username")
    )


def request_of(number: str, viewer) -> AccessRequest | None:
    return requests_visible(viewer).filter(number=number).first()


def is_access_admin(user) -> bool:
    return is_admin(user)
